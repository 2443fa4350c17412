package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestErrorFrameRoundTrip(t *testing.T) {
	cases := []ErrorFrame{
		{Epoch: 9, StepID: 77, Hop: 3, Code: CodeStaleEpoch, Worker: "worker-a", Message: "step epoch 8, plan epoch 9"},
		{Epoch: 1, StepID: 2, Seq: 12345, Code: CodeUnknownSequence, Worker: "w", Message: "sequence 12345 has no state"},
		{Code: CodeMalformed},
		{Code: CodeShuttingDown, Worker: strings.Repeat("x", MaxWorkerIDLen), Message: "draining"},
		{Code: CodeOverloaded, Worker: "日本", Message: "κv pool full"},
		{Code: 999, Worker: "future", Message: "a code this build does not know"},
	}
	for _, want := range cases {
		b, err := AppendError(nil, &want)
		if err != nil {
			t.Fatalf("AppendError(%+v): %v", want, err)
		}
		if k, err := FrameKind(b); err != nil || k != KindError {
			t.Fatalf("FrameKind = %v, %v", k, err)
		}
		got, err := DecodeError(b)
		if err != nil {
			t.Fatalf("DecodeError(%+v): %v", want, err)
		}
		if *got != want {
			t.Fatalf("round trip: got %+v, want %+v", *got, want)
		}
		again, _ := AppendError(nil, got)
		if !bytes.Equal(again, b) {
			t.Fatal("re-encoding changed the bytes")
		}
	}
}

func TestErrorFrameMessageClipped(t *testing.T) {
	long := strings.Repeat("a", MaxMessageLen-1) + "€€" // the first € straddles the limit
	b, err := AppendError(nil, &ErrorFrame{Code: CodeInternal, Message: long})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeError(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != strings.Repeat("a", MaxMessageLen-1) {
		t.Fatalf("clipped message has %d bytes, want %d", len(got.Message), MaxMessageLen-1)
	}
	b, err = AppendError(nil, &ErrorFrame{Code: CodeInternal, Message: "bad \xff byte"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = DecodeError(b); err != nil || got.Message != "bad \uFFFD byte" {
		t.Fatalf("invalid UTF-8 message: %q, %v", got.Message, err)
	}
}

func TestErrorFrameRejects(t *testing.T) {
	for _, e := range []ErrorFrame{
		{Code: 0, Message: "no code"},
		{Code: CodeInternal, Worker: strings.Repeat("x", MaxWorkerIDLen+1)},
		{Code: CodeInternal, Worker: "bad\xff"},
	} {
		if b, err := AppendError([]byte("k"), &e); !errors.Is(err, ErrInvalid) || string(b) != "k" {
			t.Errorf("AppendError(%.40q, code %d): %v, dst %q", e.Worker, e.Code, err, b)
		}
	}
}

func TestDecodeErrorLyingFields(t *testing.T) {
	base, err := AppendError(nil, &ErrorFrame{Code: CodeInternal, Worker: "w1", Message: "boom"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(b []byte) []byte
		want string
	}{
		{"code 0", func(b []byte) []byte { b[40], b[41] = 0, 0; return b }, "code 0"},
		{"reserved", func(b []byte) []byte { b[43] = 1; return b }, "reserved"},
		{"worker length +1", func(b []byte) []byte { b[42]++; return b }, "do not match"},
		{"message length -1", func(b []byte) []byte { b[44]--; return b }, "do not match"},
		{"message length huge", func(b []byte) []byte { b[44], b[45] = 0xff, 0xff; return b }, "exceeds"},
		{"worker not utf8", func(b []byte) []byte { b[errFixed] = 0xff; return b }, "not UTF-8"},
		{"message not utf8", func(b []byte) []byte { b[errFixed+3] = 0xc3; return b }, "not UTF-8"},
		{"step kind", func(b []byte) []byte { b[5] = byte(KindHidden); return b }, "is not an error"},
		{"too short", func(b []byte) []byte { return append(b[:20], 0, 0, 0, 0) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeError(reseal(tc.edit(append([]byte(nil), base...))))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCodeStrings(t *testing.T) {
	for c := Code(1); c <= CodeShuttingDown; c++ {
		if strings.HasPrefix(c.String(), "code ") {
			t.Errorf("code %d has no name", c)
		}
	}
	if Code(77).String() != "code 77" {
		t.Errorf("unknown code string %q", Code(77).String())
	}
	retry := map[Code]bool{CodeStaleEpoch: true, CodeOverloaded: true, CodeShuttingDown: true}
	for c := Code(1); c <= CodeShuttingDown; c++ {
		if c.Retryable() != retry[c] {
			t.Errorf("%s: Retryable %v", c, c.Retryable())
		}
	}
	e := &ErrorFrame{Hop: 2, StepID: 5, Epoch: 7, Code: CodeOverloaded, Worker: "w9", Message: "queue full"}
	if got := e.Error(); got != `worker "w9" hop 2 step 5 epoch 7: overloaded: queue full` {
		t.Errorf("Error() = %q", got)
	}
	if !utf8.ValidString(clipMessage(strings.Repeat("é", MaxMessageLen))) {
		t.Error("clipMessage cut a rune")
	}
}
