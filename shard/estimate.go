package shard

// replicaEstimate is the cost model of docs/planner.md for one replica whose stages take times[i]
// seconds per token for one sequence, running seqs concurrent sequences, with hop seconds per hop.
//
// A sequence's token passes every stage and s+1 hops (coordinator → first stage, s−1 between
// stages, last stage → coordinator) before the sequence can decode its next token. The replica
// keeps m = min(s, seqs) micro-batches of seqs/m sequences in flight, so one decode round of all
// sequences takes the longer of a micro-batch's round trip and the bottleneck stage's work on all
// sequences:
//
//	round   = (seqs/m)·Σtimes + (s+1)·hop
//	cycle   = max(round, seqs·max(times))
//	tokens  = seqs / cycle               (throughput)
//	latency = Σtimes + (s+1)·hop         (a lone sequence)
//
// A deeper pipeline pays more hops and, when seqs < s, idles in bubbles; replicas pay neither.
func replicaEstimate(times []float64, seqs int, hop float64) Estimate {
	var sum, slowest float64
	for _, t := range times {
		sum += t
		slowest = max(slowest, t)
	}
	s := len(times)
	m := min(s, seqs)
	hops := float64(s+1) * hop
	// Explicit conversions keep the compiler from fusing multiply-adds, so results are
	// identical on every architecture (golden plans compare them exactly).
	round := float64(float64(seqs)/float64(m)*sum) + hops
	cycle := max(round, float64(float64(seqs)*slowest))
	return Estimate{
		TokensPerSecond: float64(seqs) / cycle,
		LatencySeconds:  sum + hops,
	}
}

// combine adds up replica throughputs and keeps the slowest replica's latency.
func combine(ests []Estimate) Estimate {
	var e Estimate
	for _, r := range ests {
		e.TokensPerSecond += r.TokensPerSecond
		e.LatencySeconds = max(e.LatencySeconds, r.LatencySeconds)
	}
	return e
}

// betterThan orders fitting candidates: more throughput, then lower latency. Equal estimates
// keep the earlier (shallower) candidate.
func (e Estimate) betterThan(o Estimate) bool {
	if e.TokensPerSecond != o.TokensPerSecond {
		return e.TokensPerSecond > o.TokensPerSecond
	}
	return e.LatencySeconds < o.LatencySeconds
}
