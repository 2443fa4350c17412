package tokenizer

// candidate is a queued merge of the symbol at pos with its right neighbour into token id.
type candidate struct {
	rank, pos, id int32
}

// before orders candidates by rank, then by position: the leftmost of equal-rank merges runs
// first.
func (c candidate) before(o candidate) bool {
	return c.rank < o.rank || (c.rank == o.rank && c.pos < o.pos)
}

// mergeQueue is a binary min-heap of candidates. It is written out instead of using
// container/heap to avoid an interface call per comparison on the encode hot path.
type mergeQueue []candidate

func (q *mergeQueue) push(c candidate) {
	h := append(*q, c)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].before(h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	*q = h
}

// pop removes and returns the first candidate; the queue must not be empty.
func (q *mergeQueue) pop() candidate {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		small, l := i, 2*i+1
		if l < last && h[l].before(h[small]) {
			small = l
		}
		if r := l + 1; r < last && h[r].before(h[small]) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	*q = h
	return top
}
