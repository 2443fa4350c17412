// Package worker is a hymbaserve worker: it registers in the registry under a lease, watches the
// layer plan, loads exactly the layers the plan gives it (from its own model directory or from
// the coordinator's Object Store bucket), and serves its pipeline stage: step frames arrive on
// its stage subject, run through its layers, and go on to the next stage (or, as logits, to the
// coordinator). A bad or stale frame is answered with an error frame and never stops the worker.
package worker
