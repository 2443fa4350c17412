package kvshare

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// PageRows is the number of K/V rows per page the model uses (see the package doc).
const PageRows = 16

// ErrExhausted is returned (wrapped) when the pool's budget has no room for another page.
var ErrExhausted = errors.New("kvshare: KV page budget exhausted")

// Page holds the K and V rows of PageRows positions, K [rows, kw] and V [rows, vw], row-major,
// in its pool's dtype: K and V for F32 pages, K16 and V16 (bfloat16 bits) for BF16 pages; the
// other pair is nil.
type Page struct {
	K, V     []float32
	K16, V16 []uint16
	refs     atomic.Int32
	pool     *Pool
}

// Refs is the number of references held on the page.
func (pg *Page) Refs() int { return int(pg.refs.Load()) }

// Shared reports whether someone else also references the page (it must not be written).
func (pg *Page) Shared() bool { return pg.refs.Load() > 1 }

// Pool hands out the pages of one model part.
type Pool struct {
	rows, kw, vw int
	dtype        DType
	pageBytes    int64
	budget       int64
	limit        int // pages the budget allows; -1 when unlimited

	mu             sync.Mutex
	free           []*Page
	used, reserved int
}

// Stats is a snapshot of a pool.
type Stats struct {
	PageRows      int
	DType         DType // the K/V values' type
	PageBytes     int64
	PagesUsed     int   // pages with at least one reference
	PagesFree     int   // allocated pages on the free list
	PagesReserved int   // room set aside by Reserve and not yet taken
	Budget        int64 // bytes; 0 = unlimited
	BytesUsed     int64 // PagesUsed · PageBytes
}

// NewPool returns a pool of float32 pages of pageRows rows of kw K values and vw V values each,
// handing out at most budgetBytes of pages at a time (0 = unlimited). It panics on a
// non-positive size or a negative budget: those are programming errors.
func NewPool(pageRows, kw, vw int, budgetBytes int64) *Pool {
	return NewPoolDType(pageRows, kw, vw, F32, budgetBytes)
}

// NewPoolDType is NewPool with pages of K/V values of type dt. It also panics on an unknown dt.
func NewPoolDType(pageRows, kw, vw int, dt DType, budgetBytes int64) *Pool {
	if pageRows <= 0 || kw <= 0 || vw <= 0 || budgetBytes < 0 || !dt.valid() {
		panic(fmt.Sprintf("kvshare: NewPoolDType(%d, %d, %d, %v, %d): sizes must be positive, the budget not negative, the dtype f32 or bf16",
			pageRows, kw, vw, dt, budgetBytes))
	}
	p := &Pool{rows: pageRows, kw: kw, vw: vw, dtype: dt, budget: budgetBytes, limit: -1}
	p.pageBytes = PageBytes(pageRows, kw, vw, dt)
	if budgetBytes > 0 {
		p.limit = int(budgetBytes / p.pageBytes)
	}
	return p
}

// PageRows is the number of rows per page.
func (p *Pool) PageRows() int { return p.rows }

// Widths returns the K and V values per row of the pool's pages.
func (p *Pool) Widths() (kw, vw int) { return p.kw, p.vw }

// DType is the type of the K/V values of the pool's pages.
func (p *Pool) DType() DType { return p.dtype }

// PageBytes is the memory of one page.
func (p *Pool) PageBytes() int64 { return p.pageBytes }

// Get returns a page with one reference, taking reserved room if any is set aside, else room
// no reservation holds; beyond the budget it returns an error wrapping ErrExhausted.
func (p *Pool) Get() (*Page, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.reserved > 0:
		p.reserved--
	case p.limit >= 0 && p.used >= p.limit:
		return nil, fmt.Errorf("%w: %d pages of %d bytes in use, budget %d bytes", ErrExhausted, p.used, p.pageBytes, p.budget)
	}
	return p.take(), nil
}

// take pops a free page or allocates one, with one reference. p.mu is held.
func (p *Pool) take() *Page {
	p.used++
	var pg *Page
	if n := len(p.free); n > 0 {
		pg, p.free = p.free[n-1], p.free[:n-1]
	} else {
		pg = p.alloc()
	}
	pg.refs.Store(1)
	return pg
}

// alloc makes a new page of the pool's dtype.
func (p *Pool) alloc() *Page {
	if p.dtype == BF16 {
		return &Page{K16: make([]uint16, p.rows*p.kw), V16: make([]uint16, p.rows*p.vw), pool: p}
	}
	return &Page{K: make([]float32, p.rows*p.kw), V: make([]float32, p.rows*p.vw), pool: p}
}

// Reserve sets aside room for n more pages if the budget has it, and reports whether it did.
// The room is taken by later Gets, or given back by Unreserve.
func (p *Pool) Reserve(n int) bool {
	if n < 0 {
		panic(fmt.Sprintf("kvshare: Reserve(%d)", n))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit >= 0 && p.used+p.reserved+n > p.limit {
		return false
	}
	p.reserved += n
	return true
}

// Unreserve gives back n pages of reserved room that no Get has taken.
func (p *Pool) Unreserve(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 0 || n > p.reserved {
		panic(fmt.Sprintf("kvshare: Unreserve(%d) with %d reserved", n, p.reserved))
	}
	p.reserved -= n
}

// Ref adds a reference to pg, which must be referenced already.
func (p *Pool) Ref(pg *Page) {
	p.check(pg, "Ref")
	if pg.refs.Add(1) <= 1 {
		panic("kvshare: Ref of a free page")
	}
}

// Release drops a reference to pg; at the last one the page returns to the free list.
func (p *Pool) Release(pg *Page) {
	p.check(pg, "Release")
	switch n := pg.refs.Add(-1); {
	case n < 0:
		panic("kvshare: Release of a free page")
	case n == 0:
		p.mu.Lock()
		p.used--
		p.free = append(p.free, pg)
		p.mu.Unlock()
	}
}

func (p *Pool) check(pg *Page, op string) {
	if pg == nil || pg.pool != p {
		panic("kvshare: " + op + " of a page of another pool")
	}
}

// Trim drops the free list, so its memory can be reclaimed, and returns the pages dropped.
func (p *Pool) Trim() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	clear(p.free)
	p.free = nil
	return n
}

// Stats returns the pool's counts.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{PageRows: p.rows, DType: p.dtype, PageBytes: p.pageBytes, PagesUsed: p.used, PagesFree: len(p.free),
		PagesReserved: p.reserved, Budget: p.budget, BytesUsed: int64(p.used) * p.pageBytes}
}
