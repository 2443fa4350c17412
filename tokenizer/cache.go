package tokenizer

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// Word cache sizes: a direct-mapped table of cacheSlots entries, for words of at most
// cacheMaxWord bytes (longer words are rare and merged every time).
const (
	cacheSlots   = 1 << 13
	cacheMaxWord = 48
)

// wordCache remembers the ids of recently merged words, as Hugging Face's BPE does with its
// word cache: natural text repeats its words, and a hit costs one hash instead of a BPE run.
// It is direct-mapped and lock-free: each slot holds an immutable entry behind an atomic
// pointer, a colliding word simply replaces it, so concurrent Encode calls never block each
// other and the memory is bounded (about cacheSlots × (cacheMaxWord + a few ids)).
type wordCache struct {
	seed  maphash.Seed
	slots [cacheSlots]atomic.Pointer[cachedWord]
}

type cachedWord struct {
	word string
	ids  []int32
}

func newWordCache() *wordCache {
	return &wordCache{seed: maphash.MakeSeed()}
}

func (c *wordCache) slot(word string) *atomic.Pointer[cachedWord] {
	return &c.slots[maphash.String(c.seed, word)&(cacheSlots-1)]
}

// get appends the cached ids of word to ids; ok is false on a miss.
func (c *wordCache) get(ids []int, word string) ([]int, bool) {
	e := c.slot(word).Load()
	if e == nil || e.word != word {
		return ids, false
	}
	for _, id := range e.ids {
		ids = append(ids, int(id))
	}
	return ids, true
}

// put records the ids of word.
func (c *wordCache) put(word string, ids []int) {
	e := &cachedWord{word: strings.Clone(word), ids: make([]int32, len(ids))}
	for i, id := range ids {
		e.ids[i] = int32(id)
	}
	c.slot(word).Store(e)
}
