package shard

import "math"

// split is one replica's stages and their compute times per token (FLOPs / Speed).
type split struct {
	stages []Stage
	times  []float64
	max    float64 // the bottleneck stage's time
	sum    float64 // the replica's compute time per token
}

// better orders splits: a faster bottleneck first, then less total time.
func (s split) better(o split) bool {
	if s.max != o.max {
		return s.max < o.max
	}
	return s.sum < o.sum
}

// cell is the dynamic program's best way to cover layers [0, pts[p]) with the first j workers.
type cell struct {
	max, sum float64
	from     int // index of the previous stage's end in pts
}

// partition cuts the layers into len(ws) stages, stage j on ws[j] in that pipeline order, at
// kv_reuse_group boundaries, with every stage inside its worker's memory. It minimises the
// bottleneck stage's time, then the sum of stage times (dynamic program over boundaries,
// O(stages × boundaries²)). ok is false when no split fits.
func (p *profile) partition(ws []Worker) (split, bool) {
	s, n := len(ws), len(p.pts)
	if s == 0 || s > n-1 {
		return split{}, false
	}
	dp := make([][]cell, s+1)
	for j := range dp {
		dp[j] = make([]cell, n)
		for i := range dp[j] {
			dp[j][i] = cell{max: math.Inf(1), sum: math.Inf(1)} // unreachable
		}
	}
	dp[0][0] = cell{} // zero stages cover zero layers at no cost
	for j := 1; j <= s; j++ {
		p.extend(dp[j-1], dp[j], ws[j-1], j == 1, j == s)
	}
	if math.IsInf(dp[s][n-1].max, 1) {
		return split{}, false
	}
	return p.trace(dp, ws), true
}

// extend fills row cur (j stages) from row prev (j−1 stages), worker w holding stage j−1.
func (p *profile) extend(prev, cur []cell, w Worker, first, last bool) {
	for b := 1; b < len(p.pts); b++ {
		if last && b != len(p.pts)-1 {
			continue
		}
		for a := 0; a < b; a++ {
			if math.IsInf(prev[a].max, 1) {
				continue
			}
			lo, hi := p.pts[a], p.pts[b]
			if p.stageMem(lo, hi, first, last) > w.MemBytes {
				continue
			}
			t := p.stageFLOPs(lo, hi, first, last) / w.Speed
			c := cell{max: max(prev[a].max, t), sum: prev[a].sum + t, from: a}
			if c.max < cur[b].max || c.max == cur[b].max && c.sum < cur[b].sum {
				cur[b] = c
			}
		}
	}
}

// trace walks the dynamic program back from the last boundary and builds the stages.
func (p *profile) trace(dp [][]cell, ws []Worker) split {
	s := len(ws)
	out := split{stages: make([]Stage, s), times: make([]float64, s)}
	b := len(p.pts) - 1
	for j := s; j >= 1; j-- {
		a := dp[j][b].from
		lo, hi := p.pts[a], p.pts[b]
		first, last := j == 1, j == s
		f := p.stageFLOPs(lo, hi, first, last)
		out.stages[j-1] = Stage{
			Worker: ws[j-1].ID, First: lo, Last: hi, Embed: first, Head: last,
			CostFLOPs: f, MemBytes: p.stageMem(lo, hi, first, last),
		}
		out.times[j-1] = f / ws[j-1].Speed
		b = a
	}
	out.max, out.sum = dp[s][len(p.pts)-1].max, dp[s][len(p.pts)-1].sum
	return out
}
