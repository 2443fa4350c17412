package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// opFlags are the flags every operation takes.
type opFlags struct {
	addr    string
	asJSON  bool
	timeout time.Duration
	conn    connFlags
	fs      *flag.FlagSet
}

func newOpFlags(name string, stderr io.Writer) *opFlags {
	o := &opFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	o.fs.SetOutput(stderr)
	o.fs.StringVar(&o.addr, "addr", "127.0.0.1:7070", "coordinator gRPC address")
	o.fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	o.fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	o.conn.register(o.fs)
	return o
}

// call dials the coordinator and runs f on its Admin service.
func (o *opFlags) call(f func(context.Context, v1.AdminClient) (proto.Message, error), stdout io.Writer, table func(io.Writer, proto.Message) error) error {
	c, err := o.conn.dial(o.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	m, err := f(ctx, c.Admin())
	if err != nil {
		return err
	}
	if o.asJSON {
		b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
		if err != nil {
			return err
		}
		var v any
		json.Unmarshal(b, &v)
		return json.NewEncoder(stdout).Encode(v)
	}
	return table(stdout, m)
}

// oneWorker parses the flags (before or after it) and the single WORKER argument.
func (o *opFlags) oneWorker(args []string) (string, error) {
	var pos []string
	for {
		if err := o.fs.Parse(args); err != nil {
			return "", err
		}
		if o.fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, o.fs.Arg(0)), o.fs.Args()[1:]
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("want exactly one WORKER argument, got %d", len(pos))
	}
	return pos[0], nil
}

func runPlan(args []string, stdout, stderr io.Writer) error {
	o := newOpFlags("plan", stderr)
	propose := o.fs.Bool("propose", false, "also show what the planner would choose now")
	if err := o.fs.Parse(args); err != nil {
		return err
	}
	return o.call(func(ctx context.Context, a v1.AdminClient) (proto.Message, error) {
		return a.GetPlan(ctx, &v1.GetPlanRequest{Propose: *propose})
	}, stdout, func(w io.Writer, m proto.Message) error {
		r := m.(*v1.GetPlanResponse)
		printPlan(w, "current plan", r.GetCurrent())
		if r.GetProposed() != nil {
			printPlan(w, "\nproposed plan", r.GetProposed())
		}
		return nil
	})
}

func printPlan(w io.Writer, title string, p *v1.Plan) {
	if p == nil {
		fmt.Fprintf(w, "%s: none\n", title)
		return
	}
	fmt.Fprintf(w, "%s (epoch %d, estimated %.1f tokens/s)\n", title, p.GetEpoch(), p.GetEstimatedTokensPerSecond())
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tSTAGE\tWORKER\tLAYERS")
	for r, rep := range p.GetReplicas() {
		for s, st := range rep.GetStages() {
			fmt.Fprintf(tw, "%d\t%d\t%s\t[%d,%d)\n", r, s, st.GetWorker(), st.GetLayerBegin(), st.GetLayerEnd())
		}
	}
	tw.Flush()
	if len(p.GetUnused()) > 0 {
		fmt.Fprintf(w, "unused: %s\n", strings.Join(p.GetUnused(), ", "))
	}
}

func runRebalance(args []string, stdout, stderr io.Writer) error {
	o := newOpFlags("rebalance", stderr)
	dry := o.fs.Bool("dry-run", false, "show the moves without applying them")
	if err := o.fs.Parse(args); err != nil {
		return err
	}
	return o.call(func(ctx context.Context, a v1.AdminClient) (proto.Message, error) {
		return a.Rebalance(ctx, &v1.RebalanceRequest{DryRun: *dry})
	}, stdout, func(w io.Writer, m proto.Message) error {
		r := m.(*v1.RebalanceResponse)
		if len(r.GetMoves()) == 0 {
			fmt.Fprintln(w, "the plan in force is already the planner's choice: nothing to move")
			return nil
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKER\tGAINS\tLOSES\tLOADS")
		for _, mv := range r.GetMoves() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mv.GetWorker(), ranges(mv.GetGain()), ranges(mv.GetLose()), mib(mv.GetLoadBytes()))
		}
		tw.Flush()
		fmt.Fprintf(w, "\nweights to load %s; sequences to replay %d; expected pause ≈ %.1f s\n",
			mib(r.GetLoadBytes()), r.GetSequencesToReplay(), r.GetExpectedPauseSeconds())
		if r.GetApplied() {
			fmt.Fprintf(w, "applied\n")
		} else {
			fmt.Fprintf(w, "dry run: nothing applied\n")
		}
		return nil
	})
}

func ranges(rs []*v1.LayerRange) string {
	if len(rs) == 0 {
		return "-"
	}
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("[%d,%d)", r.GetBegin(), r.GetEnd()))
	}
	return strings.Join(s, " ")
}

func runDrain(args []string, stdout, stderr io.Writer) error {
	o := newOpFlags("drain", stderr)
	stay := o.fs.Bool("stay", false, "keep the worker running (cordoned) instead of telling it to leave")
	worker, err := o.oneWorker(args)
	if err != nil {
		return err
	}
	return o.call(func(ctx context.Context, a v1.AdminClient) (proto.Message, error) {
		return a.Drain(ctx, &v1.DrainRequest{Worker: worker, Leave: !*stay})
	}, stdout, func(w io.Writer, m proto.Message) error {
		r := m.(*v1.DrainResponse)
		_, err := fmt.Fprintf(w, "drained %s in %.1f s: plan epoch %d no longer uses it; %d sequences moved (%s of state), %d replayed\n",
			worker, r.GetSeconds(), r.GetPlanEpoch(), r.GetSequencesMoved(), mib(r.GetBytesMoved()), r.GetSequencesReplayed())
		return err
	})
}

func runCordon(cordon bool) func([]string, io.Writer, io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		name := map[bool]string{true: "cordon", false: "uncordon"}[cordon]
		o := newOpFlags(name, stderr)
		worker, err := o.oneWorker(args)
		if err != nil {
			return err
		}
		return o.call(func(ctx context.Context, a v1.AdminClient) (proto.Message, error) {
			return a.Cordon(ctx, &v1.CordonRequest{Worker: worker, Cordon: cordon})
		}, stdout, func(w io.Writer, _ proto.Message) error {
			_, err := fmt.Fprintf(w, "%sed %s\n", name, worker)
			return err
		})
	}
}

func runMove(args []string, stdout, stderr io.Writer) error {
	o := newOpFlags("move", stderr)
	layers := o.fs.String("layers", "", "the layer range A-B (B exclusive) that one stage holds exactly")
	to := o.fs.String("to", "", "the worker (unused by the plan) to hand that stage to")
	if err := o.fs.Parse(args); err != nil {
		return err
	}
	var a, b uint32
	if _, err := fmt.Sscanf(*layers, "%d-%d", &a, &b); err != nil || a >= b || *to == "" {
		return fmt.Errorf("want --layers A-B with A < B and --to WORKER")
	}
	return o.call(func(ctx context.Context, adm v1.AdminClient) (proto.Message, error) {
		return adm.Move(ctx, &v1.MoveRequest{LayerBegin: a, LayerEnd: b, To: *to})
	}, stdout, func(w io.Writer, m proto.Message) error {
		r := m.(*v1.MoveResponse)
		printPlan(w, fmt.Sprintf("moved layers [%d,%d) to %s in %.1f s (%d sequences, %s of state); plan",
			a, b, *to, r.GetSeconds(), r.GetSequencesMoved(), mib(r.GetBytesMoved())), r.GetPlan())
		return nil
	})
}
