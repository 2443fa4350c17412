package coordinator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync/atomic"
	"time"
)

// counters are the coordinator's running totals, exported on /metrics.
type counters struct {
	requests, requestErrors, tokens atomic.Int64
	migratedSeqs, migratedBytes     atomic.Int64
	forwarded                       atomic.Int64 // calls a standby forwarded to the leader
}

// MetricsHandler serves the coordinator's metrics in the Prometheus text format (version
// 0.0.4): readiness, plan epoch, requests, tokens, replays and migrations, and per worker the
// state bytes it holds and the bytes admission reserved on it.
func (c *Coordinator) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		c.writeMetrics(r.Context(), w)
	})
}

func (c *Coordinator) writeMetrics(ctx context.Context, w io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, _ := c.Status(ctx)
	ready := 0
	if st != nil && st.Ready {
		ready = 1
	}
	gauge(w, "hymbaserve_ready", "1 when this coordinator serves a plan", float64(ready))
	forwarding := 0
	if ready == 0 && c.follow.reachable() {
		forwarding = 1
	}
	gauge(w, "hymbaserve_forwarding", "1 when this coordinator is a standby that forwards to a reachable leader", float64(forwarding))
	counter(w, "hymbaserve_forwarded_requests_total", "API calls this coordinator forwarded to the leader", float64(c.stats.forwarded.Load()))
	if st != nil {
		gauge(w, "hymbaserve_plan_epoch", "revision of the plan in force", float64(st.PlanEpoch))
	}
	counter(w, "hymbaserve_requests_total", "generation requests finished", float64(c.stats.requests.Load()))
	counter(w, "hymbaserve_request_errors_total", "generation requests that failed", float64(c.stats.requestErrors.Load()))
	counter(w, "hymbaserve_generated_tokens_total", "tokens generated", float64(c.stats.tokens.Load()))
	counter(w, "hymbaserve_sequences_replayed_total", "sequences replayed after losing their state", float64(c.exec.Replays()))
	counter(w, "hymbaserve_sequences_preempted_total", "sequences preempted for memory and recomputed later (--reserve-ahead)", float64(c.sched.Preemptions()))
	counter(w, "hymbaserve_sequences_migrated_total", "sequences whose state moved in live migrations", float64(c.stats.migratedSeqs.Load()))
	counter(w, "hymbaserve_migrated_bytes_total", "state bytes moved in live migrations", float64(c.stats.migratedBytes.Load()))
	counter(w, "hymbaserve_prefix_hits_total", "requests that started from a cached prompt prefix", float64(c.prefix.hits.Load()))
	counter(w, "hymbaserve_prefix_tokens_saved_total", "prompt tokens not recomputed thanks to the prefix cache", float64(c.prefix.saved.Load()))
	counter(w, "hymbaserve_prefix_evictions_total", "prefix snapshots dropped to make room for a sequence", float64(c.prefix.evictions.Load()))
	if st == nil {
		return
	}
	reserved := c.ledger.reserved()
	fmt.Fprintln(w, "# HELP hymbaserve_worker_state_bytes sequence state a worker holds\n# TYPE hymbaserve_worker_state_bytes gauge")
	ids := make([]string, 0, len(st.Workers))
	for _, ws := range st.Workers {
		ids = append(ids, ws.ID)
		fmt.Fprintf(w, "hymbaserve_worker_state_bytes{worker=%q} %d\n", ws.ID, ws.Memory.KVBytes)
	}
	fmt.Fprintln(w, "# HELP hymbaserve_worker_reserved_bytes state bytes admission reserved on a worker\n# TYPE hymbaserve_worker_reserved_bytes gauge")
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(w, "hymbaserve_worker_reserved_bytes{worker=%q} %d\n", id, reserved[id])
	}
}

func gauge(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
}

func counter(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", name, help, name, name, v)
}
