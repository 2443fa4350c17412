package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkQuick(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][3]int{{8960, 1600, 1}, {32001, 1600, 1}, {8960, 1600, 8}, {8960, 1600, 32}} {
		R, C, n := sh[0], sh[1], sh[2]
		w := &Matrix{Rows: R, Cols: C, BF16: make([]uint16, R*C)}
		for i := range w.BF16 {
			w.BF16[i] = F32ToBF16(rng.Float32()*2 - 1)
		}
		x := make([]float32, n*C)
		dst := make([]float32, n*R)
		b.Run(fmt.Sprint(sh), func(b *testing.B) {
			b.SetBytes(w.Bytes())
			for b.Loop() {
				MatMul(dst, x, n, w)
			}
			b.ReportMetric(float64(2*R*C*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	b.Run("bw", func(b *testing.B) {
		for b.Loop() {
			b.ReportMetric(MeasureBandwidth(0)/1e9, "GB/s")
		}
	})
}
