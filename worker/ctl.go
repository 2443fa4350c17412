package worker

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/transport"
)

// onCtl answers control requests (pipeline.CtlRequest, JSON). A send, which waits for another
// worker, answers from its own goroutine so that it never holds up the others.
func (w *Worker) onCtl(msg transport.Msg) {
	var req pipeline.CtlRequest
	err := json.Unmarshal(msg.Data, &req)
	if err == nil && req.Op == "send" {
		go w.answer(msg, req, nil)
		return
	}
	w.answer(msg, req, err)
}

// answer runs req (unless it did not decode: err) and replies.
func (w *Worker) answer(msg transport.Msg, req pipeline.CtlRequest, err error) {
	var body []byte
	if err == nil {
		body, err = w.ctl(req)
	}
	if err != nil {
		body, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	if msg.Reply != "" {
		if err := w.cfg.Transport.Publish(context.Background(), msg.Reply, body); err != nil {
			w.log.Warn("control reply not sent", "err", err)
		}
	}
}

func (w *Worker) ctl(req pipeline.CtlRequest) ([]byte, error) {
	switch req.Op {
	case "status":
		return json.Marshal(w.Status())
	case "leave":
		w.log.Info("asked to leave")
		w.left.Store(true)
		time.AfterFunc(100*time.Millisecond, w.leave) // after the reply
		return ok, nil
	case "prepare":
		return ok, w.prepare(req.First, req.Last, req.Gen)
	case "send":
		return w.send(req)
	case "graft":
		w.run.Lock()
		defer w.run.Unlock()
		if w.stage == nil || w.prepared == nil {
			return nil, fmt.Errorf("graft: no stage or nothing prepared")
		}
		if w.prepared == w.stage {
			return ok, nil
		}
		return ok, w.prepared.Graft(w.stage, req.Seqs, req.First, req.Last)
	case "snapshot", "fork", "unsnap":
		return ok, w.prefixOp(req)
	case "abort":
		w.run.Lock()
		w.prepared = nil
		w.run.Unlock()
		return ok, nil
	}
	return nil, fmt.Errorf("unknown control request %q", req.Op)
}

// prepare loads layers [first, last) for the next plan beside the stage in force (or reuses the
// stage in force when it holds exactly those layers), for migration gen.
func (w *Worker) prepare(first, last int, gen uint64) error {
	w.mu.Lock()
	cur := w.stage
	doc := w.doc
	w.mu.Unlock()
	if cur != nil && cur.M.First == first && cur.M.Last == last {
		w.run.Lock()
		w.prepared, w.prepGen = cur, gen
		w.run.Unlock()
		return nil
	}
	if doc == nil {
		return fmt.Errorf("prepare: no plan adopted yet")
	}
	m, err := w.load(context.Background(), doc, first, last)
	if err != nil {
		return err
	}
	w.run.Lock()
	w.prepared, w.prepGen = pipeline.NewStage(m, 0), gen
	w.run.Unlock()
	return nil
}

// sendTimeout bounds one state transfer to another worker.
const sendTimeout = 2 * time.Minute

// send exports the state of req.Seqs for layers [req.First, req.Last) and has worker req.To
// import it into its prepared stage, straight over NATS: state never passes through the
// coordinator. The reply counts the bytes sent.
func (w *Worker) send(req pipeline.CtlRequest) ([]byte, error) {
	w.run.Lock()
	if w.stage == nil {
		w.run.Unlock()
		return nil, fmt.Errorf("send: no stage")
	}
	b, err := w.stage.Export(req.Seqs, req.First, req.Last)
	w.run.Unlock()
	if err != nil {
		return nil, err
	}
	subject, err := w.subj.KV(req.To)
	if err != nil {
		return nil, fmt.Errorf("send to %q: %w", req.To, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	r, err := w.cfg.Transport.Request(ctx, subject, append(binary.LittleEndian.AppendUint64(nil, req.Gen), b...))
	if err != nil {
		return nil, fmt.Errorf("send to %s: %w", req.To, err)
	}
	var reply struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r, &reply); err != nil || reply.Error != "" {
		return nil, fmt.Errorf("import on %s: %s", req.To, cmp.Or(reply.Error, "unreadable reply"))
	}
	return json.Marshal(map[string]any{"ok": true, "bytes": len(b)})
}

// onImport takes sequence state (the migration's gen, then Stage.Export bytes) into the
// prepared stage, when it was prepared for that migration: the state of an aborted migration
// that arrives late is refused, never mixed into the next one.
func (w *Worker) onImport(msg transport.Msg) {
	n, err := w.importState(msg.Data)
	body, _ := json.Marshal(map[string]any{"imported": n})
	if err != nil {
		body, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	if msg.Reply != "" {
		w.cfg.Transport.Publish(context.Background(), msg.Reply, body)
	}
}

func (w *Worker) importState(data []byte) (int, error) {
	if len(data) < 8 {
		return 0, fmt.Errorf("import: %d bytes, not even a migration gen", len(data))
	}
	gen := binary.LittleEndian.Uint64(data)
	w.run.Lock()
	defer w.run.Unlock()
	switch {
	case w.prepared == nil:
		return 0, fmt.Errorf("import: nothing prepared")
	case gen != w.prepGen:
		return 0, fmt.Errorf("import: state of migration %d, the stage is prepared for migration %d", gen, w.prepGen)
	}
	return w.prepared.Import(data[8:])
}

// prefixOp keeps, uses or drops a prefix snapshot on the stage in force:
// snapshot seqs[0] (at its current position), fork seqs[1] from seqs[0] at first, unsnap
// seqs[0] at first.
func (w *Worker) prefixOp(req pipeline.CtlRequest) error {
	w.run.Lock()
	defer w.run.Unlock()
	if w.stage == nil || len(req.Seqs) == 0 {
		return fmt.Errorf("%s: no stage, or no sequence named", req.Op)
	}
	switch req.Op {
	case "snapshot":
		return w.stage.Snapshot(req.Seqs[0])
	case "fork":
		if len(req.Seqs) != 2 {
			return fmt.Errorf("fork: want source and new sequence")
		}
		return w.stage.Fork(req.Seqs[0], req.First, req.Seqs[1])
	}
	w.stage.DropSnapshot(req.Seqs[0], req.First)
	return nil
}
