package shard

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

func stages(ss ...Stage) Replica { return Replica{Stages: ss} }

func TestMovesCases(t *testing.T) {
	single := &Plan{Layers: 32, Replicas: []Replica{stages(Stage{Worker: "a", First: 0, Last: 32, Embed: true, Head: true})}}
	split := &Plan{Layers: 32, Replicas: []Replica{stages(
		Stage{Worker: "a", First: 0, Last: 16, Embed: true},
		Stage{Worker: "b", First: 16, Last: 32, Head: true})}}
	shifted := &Plan{Layers: 32, Replicas: []Replica{stages(
		Stage{Worker: "a", First: 0, Last: 19, Embed: true},
		Stage{Worker: "b", First: 19, Last: 32, Head: true})}}
	handover := &Plan{Layers: 32, Replicas: []Replica{stages(
		Stage{Worker: "c", First: 0, Last: 32, Embed: true, Head: true})}}
	cases := []struct {
		name     string
		from, to *Plan
		want     []Move
	}{
		{"first plan", nil, split, []Move{
			{Worker: "a", FromReplica: -1, ToReplica: 0, Gain: []Span{{First: 0, Last: 16}}, GainEmbed: true},
			{Worker: "b", FromReplica: -1, ToReplica: 0, Gain: []Span{{First: 16, Last: 32}}, GainHead: true},
		}},
		{"no change", split, split, nil},
		{"split in two", single, split, []Move{
			{Worker: "a", FromReplica: 0, ToReplica: 0, Lose: []Span{{First: 16, Last: 32}}, LoseHead: true},
			{Worker: "b", FromReplica: -1, ToReplica: 0, Gain: []Span{{First: 16, Last: 32, Peer: "a"}}, GainHead: true},
		}},
		{"boundary shift", split, shifted, []Move{
			{Worker: "a", FromReplica: 0, ToReplica: 0, Gain: []Span{{First: 16, Last: 19, Peer: "b"}}},
			{Worker: "b", FromReplica: 0, ToReplica: 0, Lose: []Span{{First: 16, Last: 19}}},
		}},
		{"hand over to a new worker", split, handover, []Move{
			{Worker: "a", FromReplica: 0, ToReplica: -1, Lose: []Span{{First: 0, Last: 16}}, LoseEmbed: true},
			{Worker: "b", FromReplica: 0, ToReplica: -1, Lose: []Span{{First: 16, Last: 32}}, LoseHead: true},
			{Worker: "c", FromReplica: -1, ToReplica: 0, GainEmbed: true, GainHead: true,
				Gain: []Span{{First: 0, Last: 16, Peer: "a"}, {First: 16, Last: 32, Peer: "b"}}},
		}},
		{"drain everything", split, nil, []Move{
			{Worker: "a", FromReplica: 0, ToReplica: -1, Lose: []Span{{First: 0, Last: 16}}, LoseEmbed: true},
			{Worker: "b", FromReplica: 0, ToReplica: -1, Lose: []Span{{First: 16, Last: 32}}, LoseHead: true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Moves(tc.from, tc.to); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("moves\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestMovesSwapReplica: a worker that keeps its layers but changes replica is listed, with no
// layers to move, because its sequences' state belongs to the other replica.
func TestMovesSwapReplica(t *testing.T) {
	a := Stage{Worker: "a", First: 0, Last: 32, Embed: true, Head: true}
	b := Stage{Worker: "b", First: 0, Last: 32, Embed: true, Head: true}
	from := &Plan{Layers: 32, Replicas: []Replica{stages(a), stages(b)}}
	to := &Plan{Layers: 32, Replicas: []Replica{stages(b), stages(a)}}
	want := []Move{{Worker: "a", FromReplica: 0, ToReplica: 1}, {Worker: "b", FromReplica: 1, ToReplica: 0}}
	if got := Moves(from, to); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestMovesApply: between random plans, every worker's old layers minus what it loses plus what it
// gains are exactly its new layers, every gained layer names the peer that held it, and flags agree.
func TestMovesApply(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	need := replicaNeed(cfg, opt)
	rng := rand.New(rand.NewPCG(3, 4))
	var plans []*Plan
	for len(plans) < 12 {
		ws, o := randomPool(rng, need, opt)
		if p, err := NewPlan(cfg, ws, o); err == nil {
			plans = append(plans, p)
		}
	}
	for i, from := range plans {
		to := plans[(i+1)%len(plans)]
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkMoves(t, from, to, Moves(from, to))
		})
	}
}

func checkMoves(t *testing.T, from, to *Plan, moves []Move) {
	t.Helper()
	old, cur := layerSets(from), layerSets(to)
	for _, m := range moves {
		set := old[m.Worker]
		if set == nil {
			set = map[int]bool{}
		}
		for _, s := range m.Lose {
			for l := s.First; l < s.Last; l++ {
				if !set[l] {
					t.Errorf("%s loses layer %d it does not hold", m.Worker, l)
				}
				delete(set, l)
			}
		}
		for _, s := range m.Gain {
			if peer, ok := from.holder(m.ToReplica, s); !ok || peer != s.Peer {
				t.Errorf("%s gains %+v, old holder %q", m.Worker, s, peer)
			}
			for l := s.First; l < s.Last; l++ {
				set[l] = true
			}
		}
		if !sameSet(set, cur[m.Worker]) {
			t.Errorf("%s: after moves holds %d layers, plan has %d", m.Worker, len(set), len(cur[m.Worker]))
		}
		delete(cur, m.Worker)
		delete(old, m.Worker)
	}
	for id, set := range cur {
		if !sameSet(set, old[id]) {
			t.Errorf("%s changed layers but has no move", id)
		}
	}
}

func sameSet(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for l := range a {
		if !b[l] {
			return false
		}
	}
	return true
}

// layerSets maps each worker to the set of layers it holds.
func layerSets(p *Plan) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	for _, rep := range p.Replicas {
		for _, st := range rep.Stages {
			out[st.Worker] = map[int]bool{}
			for l := st.First; l < st.Last; l++ {
				out[st.Worker][l] = true
			}
		}
	}
	return out
}

// holder names the one worker of replica rep (replica 0 if absent) holding all of span s.
func (p *Plan) holder(rep int, s Span) (string, bool) {
	if rep < 0 || rep >= len(p.Replicas) {
		rep = 0
	}
	for _, st := range p.Replicas[rep].Stages {
		if st.First <= s.First && s.Last <= st.Last {
			return st.Worker, true
		}
	}
	return "", false
}
