package kernels

import (
	"testing"
)

// Hymba-1.5B decode shapes [rows, cols] (rows = output features).
var (
	shapeInProj = [2]int{8960, 1600}
	shapeHead   = [2]int{32001, 1600}
	layerShapes = map[string][2]int{
		"in_proj": shapeInProj, "x_proj": {132, 3200}, "dt_proj": {3200, 100}, "out_proj": {1600, 3200},
		"gate": {5504, 1600}, "up": {5504, 1600}, "down": {1600, 5504},
	}
)

// reportMatMul adds weight-stream GB/s and GFLOP/s to a MatMul benchmark.
func reportMatMul(b *testing.B, w *Matrix, n int) {
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(w.Bytes())/s/1e9, "GB/s")
	b.ReportMetric(2*float64(w.Rows)*float64(w.Cols)*float64(n)/s/1e9, "GFLOP/s")
}

// BenchmarkMatMul: BF16 and F32 weights, decode (n=1), batched decode (n=8) and prefill
// chunks (n=32) on in_proj and the LM head.
func BenchmarkMatMul(b *testing.B) {
	for _, dt := range []DType{BF16, F32} {
		for _, sh := range []struct {
			name  string
			shape [2]int
		}{{"in_proj", shapeInProj}, {"head", shapeHead}} {
			w := randMatrix(1, sh.shape[0], sh.shape[1], dt)
			for _, n := range []int{1, 8, 32} {
				x := randVec(2, n*w.Cols)
				dst := make([]float32, n*w.Rows)
				b.Run(name("%v/%s/n=%d", dt, sh.name, n), func(b *testing.B) {
					for b.Loop() {
						MatMul(dst, x, n, w)
					}
					reportMatMul(b, w, n)
				})
			}
		}
	}
}

// BenchmarkDecodeLayer runs one Hymba layer's seven projections at n=1 with BF16 weights
// (93 MB, more than the caches): the weight stream of a decode step, layer by layer.
func BenchmarkDecodeLayer(b *testing.B) {
	var ws []*Matrix
	var bytes int64
	for _, nm := range []string{"in_proj", "x_proj", "dt_proj", "out_proj", "gate", "up", "down"} {
		sh := layerShapes[nm]
		ws = append(ws, randMatrix(3, sh[0], sh[1], BF16))
		bytes += ws[len(ws)-1].Bytes()
	}
	x, dst := randVec(4, 5504), make([]float32, 8960)
	for b.Loop() {
		for _, w := range ws {
			MatMul(dst, x[:w.Cols], 1, w)
		}
	}
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkAttend: one decode row over a 1K (sliding window) and 8K (global) cache with the
// Hymba-1.5B heads.
func BenchmarkAttend(b *testing.B) {
	s := AttnShape{Heads: 25, KVHeads: 5, HeadDim: 64, VDim: 128}
	for _, S := range []int{1024, 8192} {
		c := attnCase{s, S}
		q, k, v := attnData(c, 1)
		out, sc := make([]float32, s.Heads*s.VDim), make([]float32, 5*S)
		b.Run(name("S=%d", S), func(b *testing.B) {
			for b.Loop() {
				Attend(out, q, k, v, []Span{{Lo: 0, Hi: S}}, s, sc)
			}
			b.ReportMetric(float64(S*(s.KVHeads*(s.HeadDim+s.VDim))*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "cacheGB/s")
		})
	}
}

// BenchmarkAttendBF16: BenchmarkAttend with the cache in bf16 pages of 16 rows (as the model's
// bf16 K/V cache holds it), next to float32 pages of 16 rows: half the cache bytes to read.
func BenchmarkAttendBF16(b *testing.B) {
	s := AttnShape{Heads: 25, KVHeads: 5, HeadDim: 64, VDim: 128}
	for _, S := range []int{1024, 8192} {
		c := attnCase{s, S}
		q, k16, v16, k, v := bf16Data(c, 1)
		out, sc := make([]float32, s.Heads*s.VDim), make([]float32, 5*S)
		for _, dt := range []string{"f32", "bf16"} {
			spans, size := paged(k, v, s, 16, 0, S), 4
			if dt == "bf16" {
				spans, size = paged16(k16, v16, s, 16, 0, S), 2
			}
			b.Run(name("S=%d/%s-pages", S, dt), func(b *testing.B) {
				for b.Loop() {
					Attend(out, q, nil, nil, spans, s, sc)
				}
				b.ReportMetric(float64(S*(s.KVHeads*(s.HeadDim+s.VDim))*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "cacheGB/s")
			})
		}
	}
}

// BenchmarkAttendRows: a 64-row causal prefill chunk at the end of a 1K cache.
func BenchmarkAttendRows(b *testing.B) {
	s := AttnShape{Heads: 25, KVHeads: 5, HeadDim: 64, VDim: 128}
	const m, S = 64, 1024
	q, k, v := attnData(attnCase{s, S}, m)
	out := make([]float32, m*s.Heads*s.VDim)
	spans := make([][]Span, m)
	for i := range spans {
		spans[i] = []Span{{Lo: 0, Hi: S - m + 1 + i}}
	}
	for b.Loop() {
		AttendRows(out, q, k, v, spans, s)
	}
}

// BenchmarkCausalConv: Hymba's D=3200, K=4 at decode (T=1) and a 64-row prefill chunk.
func BenchmarkCausalConv(b *testing.B) {
	const D, K = 3200, 4
	for _, T := range []int{1, 64} {
		x, w, bias, st, u := randVec(5, T*D), randVec(6, D*K), randVec(7, D), make([]float32, D*K), make([]float32, T*D)
		b.Run(name("T=%d", T), func(b *testing.B) {
			for b.Loop() {
				CausalConv(u, x, st, w, bias, T, D, K)
			}
		})
	}
}

// BenchmarkSelectiveScan: Hymba's D=3200, N=16 at decode (T=1) and a 64-row prefill chunk.
func BenchmarkSelectiveScan(b *testing.B) {
	for _, T := range []int{1, 64} {
		s := newScanData(T, 3200, 16)
		y, st := make([]float32, T*s.D), make([]float32, s.D*s.N)
		b.Run(name("T=%d", T), func(b *testing.B) {
			for b.Loop() {
				s.run(SelectiveScan, y, st, 0, T)
			}
		})
	}
}

// BenchmarkMeasureBandwidth reports the streaming read bandwidth over 512 MiB.
func BenchmarkMeasureBandwidth(b *testing.B) {
	var bw float64
	for b.Loop() {
		bw = MeasureBandwidth(0)
	}
	b.ReportMetric(bw/1e9, "GB/s")
}
