package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/shard"
)

// TestStandbysForward runs a leader and two standby coordinators on one dev stack. Requests
// sent to a standby (gRPC stream, gRPC unary, OpenAI SSE, Admin Status, /v1/models) get what
// the leader gives, and its /readyz is 200. After the leader stops, one standby leads and
// serves itself, and the other forwards to it.
func TestStandbysForward(t *testing.T) {
	d, leader := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, Plan: shard.Options{Stages: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	standbys := []*Coordinator{startStandby(t, d, "coordinator-2"), startStandby(t, d, "coordinator-3")}
	for _, s := range standbys {
		waitReadyz(t, ctx, s)
	}
	gc := goldenCases(t)[0]
	via := dialCoordinator(t, standbys[0])
	checkGreedy(t, ctx, via, gc.InputIDs, gc.GreedyContinuation)
	if _, err := via.Tokenize(ctx, "no tokenizer", true); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Tokenize through the standby: %v, want the leader's InvalidArgument", err)
	}
	checkStatusOfLeader(t, ctx, d, via)
	body := fmt.Sprintf(`{"prompt":%s,"max_tokens":%d,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}`,
		jsonOf(gc.InputIDs), len(gc.GreedyContinuation))
	want := sseEvents(t, d.Coordinator.Servers.HTTPAddr, body)
	if got := sseEvents(t, standbys[0].Servers.HTTPAddr, body); !slices.Equal(got, want) || !strings.Contains(strings.Join(got, ""), fmt.Sprintf(`"completion_tokens":%d`, len(gc.GreedyContinuation))) {
		t.Errorf("SSE through the standby:\n%v\nleader:\n%v", got, want)
	}
	if code, b := get(t, standbys[1].Servers.HTTPAddr, "/v1/models"); code != 200 || !strings.Contains(b, `"id":"tiny-hymba"`) {
		t.Errorf("/v1/models on a standby: %d %s", code, b)
	}
	leader.Close()
	d.Coordinator.Close()
	stopped := time.Now()
	next, other := waitNewLeader(t, ctx, standbys)
	took := time.Since(stopped)
	if id, addr, _ := next.Leader(); id != next.ID() || addr != "" {
		t.Errorf("the new leader sees leader %q and forwards to %q", id, addr)
	}
	checkGreedy(t, ctx, dialCoordinator(t, next), gc.InputIDs, gc.GreedyContinuation)
	for {
		if id, addr, ok := other.Leader(); id == next.ID() && addr == next.AdvertiseGRPC() && ok {
			break
		}
		sleepOrFail(t, ctx, "the remaining standby never followed the new leader")
	}
	waitReadyz(t, ctx, other)
	checkGreedy(t, ctx, dialCoordinator(t, other), gc.InputIDs, gc.GreedyContinuation)
	t.Logf("leader stopped: %s served %.2f s later; %s forwarded to it %.2f s after the stop",
		next.ID(), took.Seconds(), other.ID(), time.Since(stopped).Seconds())
}

// startStandby starts another coordinator on d's stack (it campaigns after d's).
func startStandby(t *testing.T, d *Dev, id string) *Coordinator {
	t.Helper()
	co, err := StartCoordinator(context.Background(), d.Endpoints,
		coordinator.Config{ID: id, ModelDir: tinyDir, Plan: shard.Options{Stages: 1}, FollowInterval: 100 * time.Millisecond, Log: quiet},
		ServeOptions{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}, dialOptions(DevOptions{Fast: true, Log: quiet}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(co.Close)
	return co
}

func dialCoordinator(t *testing.T, co *Coordinator, opts ...client.Option) *client.Client {
	c, err := client.Dial(co.Servers.GRPCAddr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkGreedy generates greedily through c: the tokens must be want, streamed one per message.
func checkGreedy(t *testing.T, ctx context.Context, c *client.Client, prompt, want []int) {
	t.Helper()
	msgs := 0
	res, err := c.Generate(ctx, client.IDsRequest(prompt, len(want)), func(m *v1.GenerateResponse) {
		if len(m.GetTokenIds()) > 0 {
			msgs++
		}
	})
	if err != nil || !slices.Equal(res.IDs, want) || msgs != len(want) {
		t.Fatalf("generate: %v in %d messages (%v), want %v one per message", res.IDs, msgs, err, want)
	}
}

// checkStatusOfLeader: Admin Status through the standby is the leader's plan and workers.
func checkStatusOfLeader(t *testing.T, ctx context.Context, d *Dev, c *client.Client) {
	t.Helper()
	st, err := c.Status(ctx)
	r, _ := d.Coordinator.Route()
	if err != nil || !st.GetReady() || st.GetPlanEpoch() != uint64(r.Epoch) || len(st.GetWorkers()) != 1 ||
		len(st.GetWorkers()[0].GetStages()) != 1 || st.GetWorkers()[0].GetId() != r.Plan.Replicas[0].Stages[0].Worker {
		t.Errorf("Status through the standby: %v (%v), want the leader's plan epoch %d", st, err, r.Epoch)
	}
}

func waitReadyz(t *testing.T, ctx context.Context, co *Coordinator) {
	t.Helper()
	for {
		if code, _ := get(t, co.Servers.HTTPAddr, "/readyz"); code == http.StatusOK {
			return
		}
		sleepOrFail(t, ctx, co.ID()+" never answered /readyz 200")
	}
}

// waitNewLeader waits until one of cs serves and returns it and the other.
func waitNewLeader(t *testing.T, ctx context.Context, cs []*Coordinator) (*Coordinator, *Coordinator) {
	t.Helper()
	for {
		for i, c := range cs {
			if c.Ready() {
				return c, cs[1-i]
			}
		}
		sleepOrFail(t, ctx, "no standby took over")
	}
}

func sleepOrFail(t *testing.T, ctx context.Context, msg string) {
	t.Helper()
	select {
	case <-ctx.Done():
		t.Fatal(msg)
	case <-time.After(20 * time.Millisecond):
	}
}

func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b.String()
}

// sseEvents posts a streaming completion and returns its events without the fields that differ
// between two runs (id, created).
func sseEvents(t *testing.T, addr, body string) []string {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", addr, resp.StatusCode)
	}
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%s: event %q: %v", addr, data, err)
		}
		delete(ev, "id")
		delete(ev, "created")
		out = append(out, jsonOf(ev))
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
