package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"
	"strconv"
)

// Limits on what the registry stores.
const (
	// MaxIDLen bounds member and cluster names.
	MaxIDLen = 128
	// MaxMemberBytes bounds the encoded member record.
	MaxMemberBytes = 64 << 10
	// MaxPlanBytes bounds the plan document (etcd's default request
	// limit is 1.5 MiB).
	MaxPlanBytes = 1 << 20
	maxLabelKey  = 128
	maxLabelVal  = 1024
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidateID checks a member, candidate or cluster name.
func ValidateID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, what)
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: %s %.16q... is %d bytes, more than %d", ErrInvalid, what, id, len(id), MaxIDLen)
	}
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", ErrInvalid, what, id)
	}
	return nil
}

// Validate checks every field of m and names the first one at fault.
func (m Member) Validate() error {
	if err := ValidateID("member id", m.ID); err != nil {
		return err
	}
	if err := validateAddr(m.ID, "addr", m.Addr); err != nil {
		return err
	}
	if err := validateAddr(m.ID, "gossip_addr", m.GossipAddr); err != nil {
		return err
	}
	if m.Capacity.MemBytes < 0 {
		return fmt.Errorf("%w: member %s: capacity.mem_bytes %d is negative", ErrInvalid, m.ID, m.Capacity.MemBytes)
	}
	if s := m.Capacity.Speed; s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("%w: member %s: capacity.speed %v must be finite and not negative", ErrInvalid, m.ID, s)
	}
	return validateLabels(m.ID, m.Labels)
}

func validateAddr(id, field, addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: member %s: %s %q: %v", ErrInvalid, id, field, addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%w: member %s: %s %q: port must be 1..65535", ErrInvalid, id, field, addr)
	}
	return nil
}

func validateLabels(id string, labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same label every time
	for _, k := range keys {
		if k == "" || len(k) > maxLabelKey {
			return fmt.Errorf("%w: member %s: label key %q must be 1..%d bytes", ErrInvalid, id, k, maxLabelKey)
		}
		if len(labels[k]) > maxLabelVal {
			return fmt.Errorf("%w: member %s: label %q value is %d bytes, more than %d", ErrInvalid, id, k, len(labels[k]), maxLabelVal)
		}
	}
	return nil
}

// encodeMember validates m and returns its stored form.
func encodeMember(m Member) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: member %s: %v", ErrInvalid, m.ID, err)
	}
	if len(b) > MaxMemberBytes {
		return nil, fmt.Errorf("%w: member %s: record is %d bytes, more than %d", ErrInvalid, m.ID, len(b), MaxMemberBytes)
	}
	return b, nil
}

// decodeMember parses a stored member record found under key for id.
// Unknown JSON fields are ignored so that newer members can add fields.
func decodeMember(key, id string, b []byte) (Member, error) {
	var m Member
	if err := json.Unmarshal(b, &m); err != nil {
		return Member{}, fmt.Errorf("registry: decode %s: %w", key, err)
	}
	if m.ID != id {
		return Member{}, fmt.Errorf("registry: decode %s: record id %q does not match key", key, m.ID)
	}
	if err := m.Validate(); err != nil {
		return Member{}, fmt.Errorf("registry: decode %s: %w", key, err)
	}
	return m, nil
}

// validatePlan checks a plan document before it is written.
func validatePlan(expectEpoch int64, data []byte) error {
	if expectEpoch < 0 {
		return fmt.Errorf("%w: plan expected epoch %d is negative", ErrInvalid, expectEpoch)
	}
	if len(data) == 0 {
		return fmt.Errorf("%w: plan data is empty", ErrInvalid)
	}
	if len(data) > MaxPlanBytes {
		return fmt.Errorf("%w: plan data is %d bytes, more than %d", ErrInvalid, len(data), MaxPlanBytes)
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: plan data is not valid JSON", ErrInvalid)
	}
	return nil
}

func cloneMember(m Member) Member {
	if m.Labels != nil {
		l := make(map[string]string, len(m.Labels))
		for k, v := range m.Labels {
			l[k] = v
		}
		m.Labels = l
	}
	return m
}

// GossipSeeds returns a function listing the gossip addresses of reg's members, the seeds a
// process joins the memberlist ring through.
func GossipSeeds(reg Registry) func(context.Context) []string {
	return func(ctx context.Context) []string {
		ms, _, err := reg.Members(ctx)
		if err != nil {
			return nil
		}
		var addrs []string
		for _, m := range ms {
			if m.GossipAddr != "" {
				addrs = append(addrs, m.GossipAddr)
			}
		}
		return addrs
	}
}
