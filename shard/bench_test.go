package shard

import (
	"fmt"
	"testing"
)

// BenchmarkNewPlan plans the real config on pools of equal workers that each hold 40% of a
// replica (so every depth from 3 up is weighed), and on mixed pools.
func BenchmarkNewPlan(b *testing.B) {
	cfg := loadConfig(b, "1.5b")
	opt := DefaultOptions()
	need := replicaNeed(cfg, opt)
	for _, n := range []int{8, 64, 256} {
		mixed := make([]float64, n)
		for i := range mixed {
			mixed[i] = 0.2 + float64(i%7)*0.2
		}
		for name, fracs := range map[string][]float64{"homog40": repeat(0.4, n), "mixed": mixed} {
			ws := makeWorkers(need, fracs, []float64{2e10, 3e10, 1e10})
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := NewPlan(cfg, ws, opt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
