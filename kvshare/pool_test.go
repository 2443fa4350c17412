package kvshare

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestPoolBudget checks page sizes, the budget, reuse of released pages and the counts.
func TestPoolBudget(t *testing.T) {
	p := NewPool(16, 320, 640, 3*61440+100) // room for 3 pages of the real model's rows
	if p.PageBytes() != 61440 || p.PageRows() != 16 {
		t.Fatalf("page of %d bytes, %d rows; want 61440, 16", p.PageBytes(), p.PageRows())
	}
	var pages []*Page
	for range 3 {
		pg, err := p.Get()
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.K) != 16*320 || len(pg.V) != 16*640 || pg.Refs() != 1 {
			t.Fatalf("page K %d V %d refs %d", len(pg.K), len(pg.V), pg.Refs())
		}
		pages = append(pages, pg)
	}
	if _, err := p.Get(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("4th page: err %v, want ErrExhausted", err)
	}
	p.Release(pages[1])
	want := Stats{PageRows: 16, PageBytes: 61440, PagesUsed: 2, PagesFree: 1, Budget: 3*61440 + 100, BytesUsed: 2 * 61440}
	if s := p.Stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
	again, err := p.Get()
	if err != nil || again != pages[1] {
		t.Fatalf("after a release: page %p err %v, want the released page back", again, err)
	}
	if s := p.Stats(); s.PagesFree != 0 || s.PagesUsed != 3 {
		t.Fatalf("stats %+v after reuse", s)
	}
}

// TestPoolRefs checks that a page returns to the free list only at its last reference.
func TestPoolRefs(t *testing.T) {
	p := NewPool(4, 2, 3, 0)
	pg, _ := p.Get()
	p.Ref(pg)
	p.Ref(pg)
	if !pg.Shared() || pg.Refs() != 3 {
		t.Fatalf("refs %d shared %v", pg.Refs(), pg.Shared())
	}
	p.Release(pg)
	p.Release(pg)
	if pg.Shared() || p.Stats().PagesUsed != 1 {
		t.Fatalf("refs %d, used %d after two of three releases", pg.Refs(), p.Stats().PagesUsed)
	}
	p.Release(pg)
	if s := p.Stats(); s.PagesUsed != 0 || s.PagesFree != 1 {
		t.Fatalf("stats %+v after the last release", s)
	}
	if n := p.Trim(); n != 1 || p.Stats().PagesFree != 0 {
		t.Fatalf("Trim dropped %d, %d free left", n, p.Stats().PagesFree)
	}
}

// TestPoolReserve checks that reserved room is refused to others' reservations, taken by Get,
// and given back by Unreserve.
func TestPoolReserve(t *testing.T) {
	p := NewPool(2, 1, 1, 4*16) // 4 pages of 16 bytes
	if !p.Reserve(3) || p.Reserve(2) {
		t.Fatal("Reserve(3) then Reserve(2) of 4 pages: want true, false")
	}
	a, _ := p.Get() // takes reserved room
	if s := p.Stats(); s.PagesReserved != 2 || s.PagesUsed != 1 {
		t.Fatalf("stats %+v after one reserved Get", s)
	}
	p.Unreserve(2)
	if !p.Reserve(3) || p.Reserve(1) {
		t.Fatal("after Unreserve: Reserve(3) should fit and nothing more")
	}
	p.Unreserve(3)
	p.Release(a)
	if !p.Reserve(4) {
		t.Fatal("an empty pool of 4 pages refuses Reserve(4)")
	}
	p.Unreserve(4)
	if !NewPool(1, 1, 1, 0).Reserve(1 << 30) {
		t.Fatal("an unlimited pool refuses a reservation")
	}
}

// TestPoolMisuse checks that double releases, refs of free pages, foreign pages and bad sizes
// panic instead of corrupting the counts.
func TestPoolMisuse(t *testing.T) {
	p, q := NewPool(1, 1, 1, 0), NewPool(1, 1, 1, 0)
	freed, _ := p.Get()
	p.Release(freed)
	foreign, _ := q.Get()
	for name, f := range map[string]func(){
		"double release": func() { p.Release(freed) },
		"ref of free":    func() { p.Ref(freed) },
		"foreign page":   func() { p.Release(foreign) },
		"nil page":       func() { p.Ref(nil) },
		"over-unreserve": func() { p.Unreserve(1) },
		"zero rows":      func() { NewPool(0, 1, 1, 0) },
		"negative":       func() { NewPool(1, 1, 1, -1) },
		"unknown dtype":  func() { NewPoolDType(1, 1, 1, DType(9), 0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestPoolConcurrent checks the counts after goroutines get, share and release pages at once.
func TestPoolConcurrent(t *testing.T) {
	p := NewPool(2, 2, 2, 64*32)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				pg, err := p.Get()
				if err != nil {
					t.Error(err)
					return
				}
				p.Ref(pg)
				p.Release(pg)
				p.Release(pg)
			}
		})
	}
	wg.Wait()
	if s := p.Stats(); s.PagesUsed != 0 || s.PagesFree > 8 {
		t.Fatalf("stats %+v after every page was released", s)
	}
}

// TestPoolBF16 checks that a bf16 pool hands out uint16 rows of half the bytes, counts them in
// its stats and budget, and that the zero dtype is float32.
func TestPoolBF16(t *testing.T) {
	p := NewPoolDType(16, 320, 640, BF16, 2*30720)
	if p.PageBytes() != 30720 || p.DType() != BF16 || PageBytes(16, 320, 640, F32) != 61440 {
		t.Fatalf("bf16 page of %d bytes (dtype %v), f32 page %d; want 30720, bf16, 61440", p.PageBytes(), p.DType(), PageBytes(16, 320, 640, F32))
	}
	a, err := p.Get()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.K16) != 16*320 || len(a.V16) != 16*640 || a.K != nil || a.V != nil {
		t.Fatalf("bf16 page: K16 %d V16 %d, K %d V %d", len(a.K16), len(a.V16), len(a.K), len(a.V))
	}
	if _, err := p.Get(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("3rd page of a 2-page bf16 budget: err %v, want ErrExhausted", err)
	}
	p.Release(a)
	want := Stats{PageRows: 16, DType: BF16, PageBytes: 30720, PagesUsed: 1, PagesFree: 1, Budget: 2 * 30720, BytesUsed: 30720}
	if s := p.Stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
	if f := NewPool(1, 1, 1, 0); f.DType() != F32 || f.Stats().DType != F32 {
		t.Fatal("NewPool's pages are not float32")
	}
	if pg, _ := NewPool(2, 3, 4, 0).Get(); len(pg.K) != 6 || len(pg.V) != 8 || pg.K16 != nil {
		t.Fatalf("f32 page: K %d V %d K16 %d", len(pg.K), len(pg.V), len(pg.K16))
	}
}

// TestParseDType checks the spellings ParseDType takes, String's round trip and the error.
func TestParseDType(t *testing.T) {
	for in, want := range map[string]DType{"f32": F32, "FP32": F32, "float32": F32, " bf16 ": BF16, "BFloat16": BF16} {
		if got, err := ParseDType(in); err != nil || got != want {
			t.Errorf("ParseDType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, d := range []DType{F32, BF16} {
		if got, err := ParseDType(d.String()); err != nil || got != d {
			t.Errorf("ParseDType(%q) = %v, %v", d.String(), got, err)
		}
	}
	if _, err := ParseDType("fp8"); err == nil || !strings.Contains(err.Error(), `"fp8"`) {
		t.Fatalf("ParseDType(fp8): err %v, want one naming the value", err)
	}
	if DType(7).Size() != 0 || DType(7).String() != "DType(7)" {
		t.Fatal("an unknown dtype has a size or a name")
	}
}
