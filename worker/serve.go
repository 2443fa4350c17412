package worker

import (
	"context"

	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/wire"
)

// onStep runs one frame through the stage and forwards the result.
func (w *Worker) onStep(msg transport.Msg) {
	in, err := wire.DecodeStep(msg.Data)
	if err != nil {
		w.refuse(&wire.ErrorFrame{Code: wire.CodeMalformed, Message: err.Error()})
		return
	}
	w.run.Lock()
	defer w.run.Unlock()
	w.mu.Lock()
	stage := w.stage
	w.mu.Unlock()
	if stage == nil {
		w.refuse(&wire.ErrorFrame{Epoch: in.Epoch, StepID: in.StepID, Hop: in.Hop, Code: wire.CodeStaleEpoch, Message: "no stage loaded"})
		return
	}
	out, err := stage.Handle(in)
	n, bytes := stage.Seqs()
	w.seqs.Store(int64(n))
	w.stateBytes.Store(bytes)
	if err != nil {
		ef, ok := err.(*wire.ErrorFrame)
		if !ok {
			ef = &wire.ErrorFrame{Code: wire.CodeInternal, Message: err.Error()}
		}
		ef.Epoch, ef.StepID, ef.Hop = in.Epoch, in.StepID, in.Hop
		w.refuse(ef)
		return
	}
	w.steps.Add(1)
	w.forward(out)
}

// forward publishes the stage's output to the next stage of the replica, or to the coordinator.
func (w *Worker) forward(out *wire.Step) {
	w.mu.Lock()
	subject, err := w.subj.Coord(w.coord)
	if out.Kind != wire.KindLogits {
		next, ok := w.plan.Next(w.where[0], w.where[1])
		if !ok {
			w.mu.Unlock()
			w.refuse(&wire.ErrorFrame{Epoch: out.Epoch, StepID: out.StepID, Code: wire.CodeInternal, Message: "no next stage in the plan"})
			return
		}
		subject, err = w.subj.Stage(next.Worker)
	}
	w.mu.Unlock()
	if err != nil {
		w.log.Error("no subject to forward a step to", "step", out.StepID, "err", err)
		return
	}
	b, err := wire.AppendStep(nil, out)
	if err == nil {
		err = w.cfg.Transport.Publish(context.Background(), subject, b)
	}
	if err != nil {
		w.log.Error("forwarding a step failed", "step", out.StepID, "to", subject, "err", err)
	}
}

// refuse reports a refused step to the coordinator; the worker keeps serving.
func (w *Worker) refuse(ef *wire.ErrorFrame) {
	w.errs.Add(1)
	ef.Worker = w.cfg.ID
	w.log.Warn("step refused", "step", ef.StepID, "code", ef.Code, "msg", ef.Message)
	w.mu.Lock()
	subject, err := w.subj.Coord(w.coord)
	w.mu.Unlock()
	if err != nil {
		return // no plan yet: nobody to tell
	}
	b, err := wire.AppendError(nil, ef)
	if err == nil {
		err = w.cfg.Transport.Publish(context.Background(), subject, b)
	}
	if err != nil {
		w.log.Error("error frame not sent", "err", err)
	}
}
