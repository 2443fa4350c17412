package registry

import "strings"

// Root is the prefix of every key the registry writes.
const Root = "/hymbaserve/"

// keys builds the etcd key schema of one cluster (see the package doc).
type keys struct{ prefix string } // "/hymbaserve/<cluster>/"

func newKeys(cluster string) keys { return keys{prefix: Root + cluster + "/"} }

func (k keys) members() string           { return k.prefix + "members/" }
func (k keys) memberInfo() string        { return k.members() + "info/" }
func (k keys) memberCordon() string      { return k.members() + "cordon/" }
func (k keys) member(id string) string   { return k.memberInfo() + id }
func (k keys) cordon(id string) string   { return k.memberCordon() + id }
func (k keys) plan() string              { return k.prefix + "plan" }
func (k keys) electionPrefix() string    { return k.prefix + "leader" }
func (k keys) electionKeyPrefix() string { return k.electionPrefix() + "/" }

// memberKeyKind classifies a key under members().
type memberKeyKind int

const (
	keyOther memberKeyKind = iota
	keyInfo
	keyCordon
)

// parseMemberKey returns the kind and member id of a key under members().
// Keys of unknown shape (from newer versions) are keyOther.
func (k keys) parseMemberKey(key string) (memberKeyKind, string) {
	if id, ok := strings.CutPrefix(key, k.memberInfo()); ok && ValidateID("", id) == nil {
		return keyInfo, id
	}
	if id, ok := strings.CutPrefix(key, k.memberCordon()); ok && ValidateID("", id) == nil {
		return keyCordon, id
	}
	return keyOther, ""
}
