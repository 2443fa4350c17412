package transport

import (
	"fmt"
	"strings"
)

// checkSubject applies the NATS subject rules: dot-separated non-empty tokens without
// whitespace; in a subscription "*" may stand for one whole token and a final ">" for the rest,
// in a publish no wildcard may appear.
func checkSubject(subject string, wildcards bool) error {
	if subject == "" {
		return fmt.Errorf("%w: empty", ErrBadSubject)
	}
	if strings.ContainsAny(subject, " \t\r\n\f\v") {
		return fmt.Errorf("%w: %q contains whitespace", ErrBadSubject, subject)
	}
	toks := strings.Split(subject, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return fmt.Errorf("%w: %q has an empty token", ErrBadSubject, subject)
		case !wildcards && strings.ContainsAny(t, "*>"):
			return fmt.Errorf("%w: %q: cannot publish to a wildcard subject", ErrBadSubject, subject)
		case t == ">" && i != len(toks)-1:
			return fmt.Errorf("%w: %q: \">\" must be the last token", ErrBadSubject, subject)
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return fmt.Errorf("%w: %q: a wildcard must be a whole token", ErrBadSubject, subject)
		}
	}
	return nil
}

// matchSubject reports whether a subject's tokens match a subscription pattern's tokens.
func matchSubject(pattern, toks []string) bool {
	for i, p := range pattern {
		if p == ">" {
			return len(toks) > i
		}
		if i >= len(toks) || (p != "*" && p != toks[i]) {
			return false
		}
	}
	return len(toks) == len(pattern)
}
