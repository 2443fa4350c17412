//go:build !amd64 || purego

package kernels

// attendGroup computes query heads j·g … j·g+g−1 of one row (see Attend).
func attendGroup(out, q, k, v []float32, spans []Span, s AttnShape, j, n int, sc []float32) {
	attendGroupGo(out, q, k, v, spans, s, j, n, sc)
}
