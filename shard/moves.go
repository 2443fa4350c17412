package shard

import (
	"maps"
	"slices"
)

// Span is a layer range [First, Last).
type Span struct {
	First int `json:"first"`
	Last  int `json:"last"`
	// Peer, on a gained span, is the worker that held exactly these layers under the old plan in
	// the replica the gaining worker joins (or the old replica 0 when that replica is new): the
	// source of their weights and, within the same replica, of the sequences' state for them.
	// Empty when no worker held them (a first plan) and on lost spans.
	Peer string `json:"peer,omitempty"`
}

// Move is what changes for one worker between two plans.
type Move struct {
	Worker string `json:"worker"`
	// FromReplica and ToReplica are the worker's replica in the old and new plan, -1 for none.
	FromReplica int    `json:"from_replica"`
	ToReplica   int    `json:"to_replica"`
	Gain        []Span `json:"gain,omitempty"` // layers it holds only in the new plan
	Lose        []Span `json:"lose,omitempty"` // layers it holds only in the old plan
	GainEmbed   bool   `json:"gain_embed,omitempty"`
	LoseEmbed   bool   `json:"lose_embed,omitempty"`
	GainHead    bool   `json:"gain_head,omitempty"`
	LoseHead    bool   `json:"lose_head,omitempty"`
}

// Moves lists, per worker and sorted by worker ID, the layers each worker gains and loses going
// from one plan to the other, for make-before-break rebalancing. Workers whose stage and replica
// do not change are left out. A nil plan stands for an empty cluster.
func Moves(from, to *Plan) []Move {
	old, cur := holdings(from), holdings(to)
	ids := slices.Sorted(maps.Keys(old))
	for id := range cur {
		if _, ok := old[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []Move
	for _, id := range ids {
		if m, changed := moveOf(id, old[id], cur[id], from); changed {
			out = append(out, m)
		}
	}
	return out
}

// holding is the stage a worker holds, in replica rep.
type holding struct {
	rep int
	st  Stage
}

func holdings(p *Plan) map[string]holding {
	h := map[string]holding{}
	if p == nil {
		return h
	}
	for r, rep := range p.Replicas {
		for _, st := range rep.Stages {
			h[st.Worker] = holding{rep: r, st: st}
		}
	}
	return h
}

func moveOf(id string, was, is holding, from *Plan) (Move, bool) {
	m := Move{Worker: id, FromReplica: -1, ToReplica: -1}
	var a, b Stage // zero stages hold no layers
	if was.st.Worker != "" {
		m.FromReplica, a = was.rep, was.st
	}
	if is.st.Worker != "" {
		m.ToReplica, b = is.rep, is.st
	}
	m.Lose = minus(a, b)
	for _, g := range minus(b, a) {
		m.Gain = append(m.Gain, peers(from, m.ToReplica, g)...)
	}
	m.GainEmbed, m.LoseEmbed = b.Embed && !a.Embed, a.Embed && !b.Embed
	m.GainHead, m.LoseHead = b.Head && !a.Head, a.Head && !b.Head
	changed := m.FromReplica != m.ToReplica || len(m.Gain)+len(m.Lose) > 0 ||
		m.GainEmbed || m.LoseEmbed || m.GainHead || m.LoseHead
	return m, changed
}

// minus returns the layers of a's range not in b's, as at most two spans.
func minus(a, b Stage) []Span {
	if a.First >= a.Last {
		return nil
	}
	if b.First >= b.Last {
		return []Span{{First: a.First, Last: a.Last}}
	}
	var out []Span
	if hi := min(a.Last, b.First); a.First < hi {
		out = append(out, Span{First: a.First, Last: hi})
	}
	if lo := max(a.First, b.Last); lo < a.Last {
		out = append(out, Span{First: lo, Last: a.Last})
	}
	return out
}

// peers splits g at the stage boundaries of the old plan's replica rep (or replica 0 when the old
// plan has no such replica) and names each piece's holder; layers no stage covered keep no peer.
func peers(from *Plan, rep int, g Span) []Span {
	if from == nil || len(from.Replicas) == 0 {
		return []Span{g}
	}
	if rep < 0 || rep >= len(from.Replicas) {
		rep = 0
	}
	var out []Span
	next := g.First
	for _, st := range from.Replicas[rep].Stages {
		lo, hi := max(next, st.First), min(g.Last, st.Last)
		if lo >= hi {
			continue
		}
		if next < lo {
			out = append(out, Span{First: next, Last: lo})
		}
		out = append(out, Span{First: lo, Last: hi, Peer: st.Worker})
		next = hi
	}
	if next < g.Last {
		out = append(out, Span{First: next, Last: g.Last})
	}
	return out
}
