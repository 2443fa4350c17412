package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// pyJSON re-serializes a JSON value the way the chat template's tojson filter prints it:
// Python's json.dumps(json.loads(raw), ensure_ascii=False) — separators ", " and ": ", keys in
// their original order (a repeated key keeps its first position and its last value, like a
// Python dict), non-ASCII characters unescaped, integers as written and other numbers as
// Python's float repr (2.50 → 2.5, 1e5 → 100000.0).
func pyJSON(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("invalid JSON: trailing data after the value")
	}
	var sb strings.Builder
	if err := v.write(&sb); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// pyValue is a parsed JSON value that remembers key order: a scalar token, an array (vals)
// or an object (keys and vals).
type pyValue struct {
	scalar any
	array  bool
	object bool
	keys   []string
	vals   []*pyValue
}

func readValue(dec *json.Decoder) (*pyValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		return readArray(dec)
	case json.Delim('{'):
		return readObject(dec)
	}
	return &pyValue{scalar: tok}, nil
}

func readArray(dec *json.Decoder) (*pyValue, error) {
	v := &pyValue{array: true}
	for dec.More() {
		e, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		v.vals = append(v.vals, e)
	}
	_, err := dec.Token() // ']'
	return v, err
}

func readObject(dec *json.Decoder) (*pyValue, error) {
	v := &pyValue{object: true}
	index := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder guarantees object keys are strings
		e, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		if i, dup := index[key]; dup {
			v.vals[i] = e
			continue
		}
		index[key] = len(v.keys)
		v.keys, v.vals = append(v.keys, key), append(v.vals, e)
	}
	_, err := dec.Token() // '}'
	return v, err
}

func (v *pyValue) write(sb *strings.Builder) error {
	switch {
	case v.array:
		return v.writeList(sb, "[", "]")
	case v.object:
		return v.writeList(sb, "{", "}")
	}
	switch s := v.scalar.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(s))
	case string:
		writePyString(sb, s)
	case json.Number:
		n, err := pyNumber(string(s))
		if err != nil {
			return err
		}
		sb.WriteString(n)
	}
	return nil
}

func (v *pyValue) writeList(sb *strings.Builder, open, close string) error {
	sb.WriteString(open)
	for i, e := range v.vals {
		if i > 0 {
			sb.WriteString(", ")
		}
		if v.object {
			writePyString(sb, v.keys[i])
			sb.WriteString(": ")
		}
		if err := e.write(sb); err != nil {
			return err
		}
	}
	sb.WriteString(close)
	return nil
}

// writePyString writes s as json.dumps(s, ensure_ascii=False) does.
func writePyString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(sb, `\u%04x`, r)
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
}

// pyNumber prints a JSON number as Python does after json.loads: an integer literal stays an
// integer, anything else becomes a float printed by repr.
func pyNumber(lit string) (string, error) {
	if !strings.ContainsAny(lit, ".eE") {
		if lit == "-0" {
			return "0", nil
		}
		return lit, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return "", fmt.Errorf("number %s: %w", lit, err)
	}
	return pyFloat(f), nil
}

// pyFloat is Python's repr of a float: the shortest round-tripping digits, in positional form
// when the decimal exponent is in [-4, 16) and in scientific form (at least two exponent
// digits) otherwise.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // "-d.ddde±XX"
	mant, expPart, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expPart)
	sign := ""
	if strings.HasPrefix(mant, "-") {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		return fmt.Sprintf("%s%se%+03d", sign, m, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}
