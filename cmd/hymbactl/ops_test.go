package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/cluster"
	"github.com/hymbaserve/hymbaserve/shard"
)

// TestOpsCommands runs the operator commands against a one-process cluster of 3 workers (a
// 2-stage pipeline and a spare) and checks what each prints and does.
func TestOpsCommands(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := cluster.StartDev(context.Background(), cluster.DevOptions{Workers: 3, ModelDir: "../../testdata/golden/tiny-hymba",
		Plan: shard.Options{Stages: 2, Replicas: 1}, Fast: true, Dir: t.TempDir(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	addr := "--addr=" + d.Coordinator.Servers.GRPCAddr
	must := func(want string, args ...string) string {
		t.Helper()
		out, errOut, code := runCLI(t, append(args, addr)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%v: exit %d, output %q (want %q), stderr %s", args, code, out, want, errOut)
		}
		return out
	}
	must("K/V f32  preempted 0", "status")
	var plan struct {
		Current struct {
			Replicas []struct {
				Stages []struct {
					Worker     string `json:"worker"`
					LayerBegin int    `json:"layer_begin"`
					LayerEnd   int    `json:"layer_end"`
				} `json:"stages"`
			} `json:"replicas"`
			Unused []string `json:"unused"`
		} `json:"current"`
	}
	if err := json.Unmarshal([]byte(must("replicas", "plan", "--propose", "--json")), &plan); err != nil {
		t.Fatal(err)
	}
	must("nothing to move", "rebalance", "--dry-run")
	st := plan.Current.Replicas[0].Stages[1]
	spare := plan.Current.Unused[0]
	must("moved layers", "move", "--layers", strings.Join([]string{itoa(st.LayerBegin), itoa(st.LayerEnd)}, "-"), "--to", spare)
	must("cordoned "+st.Worker, "cordon", st.Worker)
	must("uncordoned "+st.Worker, "uncordon", st.Worker)
	must("drained "+spare, "drain", "--stay", spare)
	if _, errOut, code := runCLI(t, "drain", addr, "no-such-worker"); code == 0 || errOut == "" {
		t.Fatalf("drain of an unknown worker: exit %d, stderr %q", code, errOut)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
