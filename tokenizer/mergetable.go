package tokenizer

import "math/bits"

// mergeTable maps a pair of token ids to its merge rule. It is an open-addressing hash table
// with linear probing, written for the encode hot path: one multiply to hash, 16-byte slots,
// no interface or generic map machinery. It is built once at load and only read afterwards.
type mergeTable struct {
	slots []mergeSlot
	shift uint // 64 - log2(len(slots))
}

// mergeSlot holds key pairKey(left, right)+1 (0 marks an empty slot) and the rule.
type mergeSlot struct {
	key uint64
	r   rule
}

// newMergeTable sizes a table for n rules at a load factor of at most 1/2.
func newMergeTable(n int) mergeTable {
	logSize := max(bits.Len(uint(2*n)), 4)
	return mergeTable{slots: make([]mergeSlot, 1<<logSize), shift: uint(64 - logSize)}
}

func (m *mergeTable) index(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> m.shift)
}

// put sets the rule of a pair, replacing any earlier rule of the same pair.
func (m *mergeTable) put(left, right int32, r rule) {
	key := pairKey(left, right) + 1
	mask := len(m.slots) - 1
	for i := m.index(key); ; i = (i + 1) & mask {
		if s := &m.slots[i]; s.key == 0 || s.key == key {
			s.key, s.r = key, r
			return
		}
	}
}

// get returns the rule of a pair.
func (m *mergeTable) get(left, right int32) (rule, bool) {
	key := pairKey(left, right) + 1
	mask := len(m.slots) - 1
	for i := m.index(key); ; i = (i + 1) & mask {
		s := &m.slots[i]
		if s.key == key {
			return s.r, true
		}
		if s.key == 0 {
			return rule{}, false
		}
	}
}
