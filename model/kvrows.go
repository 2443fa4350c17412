package model

import (
	"math"
	"slices"

	"github.com/hymbaserve/hymbaserve/kernels"
	"github.com/hymbaserve/hymbaserve/kvshare"
)

// kvRows are consecutive K/V rows in one dtype: K and V (float32) or K16 and V16 (bfloat16
// bits), the other pair nil.
type kvRows struct {
	k, v     []float32
	k16, v16 []uint16
}

// bf16 reports whether the rows are bf16.
func (r kvRows) bf16() bool { return r.k16 != nil || r.v16 != nil }

// rows is the number of rows, K rows being kw values wide.
func (r kvRows) rows(kw int) int {
	if r.bf16() {
		return len(r.k16) / kw
	}
	return len(r.k) / kw
}

// slice returns rows [from, from+n).
func (r kvRows) slice(from, n, kw, vw int) kvRows {
	if r.bf16() {
		return kvRows{k16: r.k16[from*kw : (from+n)*kw], v16: r.v16[from*vw : (from+n)*vw]}
	}
	return kvRows{k: r.k[from*kw : (from+n)*kw], v: r.v[from*vw : (from+n)*vw]}
}

// cat returns r's rows followed by o's, in new slices.
func (r kvRows) cat(o kvRows) kvRows {
	return kvRows{k: slices.Concat(r.k, o.k), v: slices.Concat(r.v, o.v), k16: slices.Concat(r.k16, o.k16), v16: slices.Concat(r.v16, o.v16)}
}

// float32 returns the rows as float32, widening bf16 rows exactly (new slices).
func (r kvRows) float32() (k, v []float32) {
	if !r.bf16() {
		return slices.Clone(r.k), slices.Clone(r.v)
	}
	k, v = make([]float32, len(r.k16)), make([]float32, len(r.v16))
	kernels.BF16ToF32Row(k, r.k16)
	kernels.BF16ToF32Row(v, r.v16)
	return k, v
}

// gatherRows copies n rows of pages (r rows each), from row from of the first page, out of the
// K/V slices get picks from each page.
func gatherRows[T float32 | uint16](pages []*kvshare.Page, get func(*kvshare.Page) (k, v []T), from, n, r, kw, vw int) (k, v []T) {
	k, v = make([]T, 0, n*kw), make([]T, 0, n*vw)
	for i := from; i < from+n; i++ {
		pk, pv := get(pages[i/r])
		k = append(k, pk[i%r*kw:(i%r+1)*kw]...)
		v = append(v, pv[i%r*vw:(i%r+1)*vw]...)
	}
	return k, v
}

func pageF32(pg *kvshare.Page) (k, v []float32) { return pg.K, pg.V }
func pageBF16(pg *kvshare.Page) (k, v []uint16) { return pg.K16, pg.V16 }

// putRow stores row (one K and one V row, float32 or bf16) in row i of pg, whose dtype is dt:
// float32 values are rounded to bf16 (to nearest, ties to even) for a bf16 page; bf16 rows
// only go to bf16 pages (an import of the other dtype is refused before it gets here).
func putRow(pg *kvshare.Page, dt kvshare.DType, i int, row kvRows, kw, vw int) {
	switch {
	case dt == kvshare.F32 && !row.bf16():
		copy(pg.K[i*kw:(i+1)*kw], row.k)
		copy(pg.V[i*vw:(i+1)*vw], row.v)
	case dt == kvshare.BF16 && row.bf16():
		copy(pg.K16[i*kw:(i+1)*kw], row.k16)
		copy(pg.V16[i*vw:(i+1)*vw], row.v16)
	case dt == kvshare.BF16:
		kernels.F32ToBF16Row(pg.K16[i*kw:(i+1)*kw], row.k)
		kernels.F32ToBF16Row(pg.V16[i*vw:(i+1)*vw], row.v)
	default:
		panic("model: bf16 K/V rows written to a float32 page")
	}
}

// copyPage copies src's rows into dst (pages of one pool).
func copyPage(dst, src *kvshare.Page) {
	copy(dst.K, src.K)
	copy(dst.V, src.V)
	copy(dst.K16, src.K16)
	copy(dst.V16, src.V16)
}

// sameRows reports whether the pages of set (r rows each) start with the rows of want, bit for
// bit (rows of another dtype than the pages' are never the same).
func sameRows(set []*kvshare.Page, r int, want kvRows, kw, vw int) bool {
	n := want.rows(kw)
	if len(set) < ceilDiv(n, r) {
		return false
	}
	for i := 0; i*r < n; i++ {
		rows, pg := min(r, n-i*r), set[i]
		if want.bf16() != (pg.K16 != nil) {
			return false
		}
		w := want.slice(i*r, rows, kw, vw)
		if w.bf16() && (!slices.Equal(pg.K16[:rows*kw], w.k16) || !slices.Equal(pg.V16[:rows*vw], w.v16)) ||
			!w.bf16() && (!sameBits(pg.K[:rows*kw], w.k) || !sameBits(pg.V[:rows*vw], w.v)) {
			return false
		}
	}
	return true
}

// sameBits compares a with the start of b bit for bit.
func sameBits(a, b []float32) bool {
	for i, x := range a {
		if math.Float32bits(x) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
