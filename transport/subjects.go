package transport

import (
	"fmt"
)

// SubjectRoot is the first token of every hymbaserve subject.
const SubjectRoot = "hymba"

// MaxTokenLen bounds a cluster, worker or coordinator id used as a subject token.
const MaxTokenLen = 128

// Subjects names the subjects of one cluster, following the scheme in the package
// documentation.
type Subjects struct{ prefix string }

// NewSubjects returns the subject names of cluster, which must be a valid token (CheckToken).
func NewSubjects(cluster string) (Subjects, error) {
	if err := CheckToken(cluster); err != nil {
		return Subjects{}, fmt.Errorf("cluster name: %w", err)
	}
	return Subjects{prefix: SubjectRoot + "." + cluster + "."}, nil
}

// Stage is the subject a worker takes its step frames on: hymba.<cluster>.stage.<worker>.
func (s Subjects) Stage(worker string) (string, error) { return s.named("stage", "worker", worker) }

// Coord is the subject a coordinator takes logits and error frames on:
// hymba.<cluster>.coord.<coordinator>.
func (s Subjects) Coord(coordinator string) (string, error) {
	return s.named("coord", "coordinator", coordinator)
}

// Control is the subject a worker answers control requests on: hymba.<cluster>.ctl.<worker>.
func (s Subjects) Control(worker string) (string, error) { return s.named("ctl", "worker", worker) }

// KV is the subject a worker takes KV pages and SSM state on: hymba.<cluster>.kv.<worker>.
func (s Subjects) KV(worker string) (string, error) { return s.named("kv", "worker", worker) }

// AllStages matches every worker's stage subject, for monitoring: hymba.<cluster>.stage.*.
func (s Subjects) AllStages() string { return s.prefix + "stage.*" }

func (s Subjects) named(kind, what, id string) (string, error) {
	if s.prefix == "" {
		return "", fmt.Errorf("%w: Subjects not made by NewSubjects", ErrBadSubject)
	}
	if err := CheckToken(id); err != nil {
		return "", fmt.Errorf("%s id: %w", what, err)
	}
	return s.prefix + kind + "." + id, nil
}

// CheckToken accepts ids that can stand as one subject token: 1 to MaxTokenLen ASCII letters,
// digits, '-' and '_'. Dots, wildcards and whitespace would change the subject's meaning.
func CheckToken(tok string) error {
	if tok == "" || len(tok) > MaxTokenLen {
		return fmt.Errorf("%w: token %q must have 1 to %d characters", ErrBadSubject, tok, MaxTokenLen)
	}
	for i := range len(tok) {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: token %q: character %q at %d is not a letter, digit, '-' or '_'", ErrBadSubject, tok, c, i)
		}
	}
	return nil
}
