// Package kvshare is the paged memory of the attention K/V caches of one model part (one
// pipeline stage): a Pool of fixed-size pages, each holding the K and V rows of PageRows
// consecutive positions of one layer of one sequence.
//
// # Pages
//
// A page holds PageRows = 16 rows. The real Hymba-1.5B K/V row is 960 float32 values (5 KV
// heads × 64 for K, 5 × 128 for V), so a page is 61,440 bytes (60 KiB). 16 rows is small enough
// that a sliding-window layer (W = 1024) holding the newest W rows wastes at most the unused
// part of its first and last page, 16 rows or 1.6 % of the window, and a short sequence holds
// at most 15 empty rows per layer; it is big enough that the attention kernels run over 16-row
// spans at the speed of one contiguous span. Text position p of a sequence lives in page p/16,
// row p%16; the model's meta rows have pages of their own.
//
// # Value type
//
// A pool's pages hold K/V values of one DType: F32 (the default: Page.K and Page.V) or BF16
// (Page.K16 and Page.V16, bfloat16 bits), which halves the memory: a real-model bf16 page is
// 30,720 bytes. PageBytes, Stats and the budget count the real bytes of the pool's dtype. The
// pool only stores values; the model rounds float32 rows to bf16 when it writes them and the
// attention kernels widen them exactly when they read them.
//
// # Reference counts and sharing
//
// Get hands out a page with one reference; Ref adds one, Release drops one, and a page whose
// last reference is released returns to the pool's free list (its contents are left as they
// are: a holder writes a row before reading it). Pages are shared by reference, never copied:
// every sequence a model part starts from its meta template references the template's meta
// pages (100 sequences hold one copy of the meta K/V per layer), and a forked sequence
// references its parent's pages. A holder must not write a page that others reference: the
// model copies a shared page before appending to it (copy-on-write).
//
// # Budget
//
// A pool made with a budget hands out at most budget/PageBytes pages at a time; Get beyond that
// returns ErrExhausted. Reserve sets room aside so a step can check, before it changes any
// state, that every page it will need is there: Get takes reserved room first, and room not
// reserved is what Get may use without a reservation. The pool keeps released pages on its free
// list for reuse (they count against the budget until Trim drops them). A pool made without a
// budget never refuses.
//
// A Pool is safe for concurrent use. The guarantee that a step which reserved its room never
// runs out holds when the steps drawing on one pool run one at a time, as a model part's do.
package kvshare
