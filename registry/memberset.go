package registry

import "sort"

// memberSet is a view of the member records and cordon marks, merged into
// the Members that callers see. Watchers and listings share it so that both
// registry implementations report cordons the same way.
type memberSet struct {
	members  map[string]Member // records as stored (Cordoned unset)
	cordoned map[string]bool
}

func newMemberSet() *memberSet {
	return &memberSet{members: map[string]Member{}, cordoned: map[string]bool{}}
}

func (s *memberSet) merged(id string) (Member, bool) {
	m, ok := s.members[id]
	if !ok {
		return Member{}, false
	}
	m = cloneMember(m)
	m.Cordoned = s.cordoned[id]
	return m, true
}

// put stores a member record and returns the merged member.
func (s *memberSet) put(m Member) Member {
	m.Cordoned = false
	s.members[m.ID] = cloneMember(m)
	out, _ := s.merged(m.ID)
	return out
}

// remove drops a member record and returns the last merged record (or one
// carrying only the ID when it was unknown).
func (s *memberSet) remove(id string) Member {
	m, ok := s.merged(id)
	if !ok {
		m = Member{ID: id}
	}
	delete(s.members, id)
	return m
}

// cordon sets or clears a mark. When the mark changed and the member is
// registered it returns the merged member and true.
func (s *memberSet) cordon(id string, on bool) (Member, bool) {
	if s.cordoned[id] == on {
		return Member{}, false
	}
	if on {
		s.cordoned[id] = true
	} else {
		delete(s.cordoned, id)
	}
	return s.merged(id)
}

// list returns the merged members sorted by ID.
func (s *memberSet) list() []Member {
	out := make([]Member, 0, len(s.members))
	for id := range s.members {
		m, _ := s.merged(id)
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
