package tokenizer

import (
	"strings"
	"testing"
)

// benchParagraph is ordinary English prose; benchText repeats it to about 10 KB.
const benchParagraph = `The coordinator admits a request, renders the chat template and tokenizes the prompt. ` +
	`Each worker owns a contiguous range of layers; activations travel between stages over NATS, ` +
	`while etcd holds the membership and the current plan. When a worker fails, its lease expires, ` +
	`the coordinator computes a new plan, and sequences resume from the last shared state. ` +
	"Hymba runs attention heads and Mamba heads side by side in every layer, so each stage keeps " +
	"both a key-value cache and a small recurrent state per sequence (about 1,600 floats per head).\n\n"

func benchText() string {
	var sb strings.Builder
	for sb.Len() < 10*1024 {
		sb.WriteString(benchParagraph)
	}
	return sb.String()[:10*1024]
}

func BenchmarkEncode10KB(b *testing.B) {
	tok, text := llama(b), benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tok.Encode(text, true)
	}
}

// BenchmarkEncode10KBNoCache measures the BPE itself: the word cache is disabled, so every
// word is merged as if seen for the first time.
func BenchmarkEncode10KBNoCache(b *testing.B) {
	tok, text := *llama(b), benchText()
	tok.cache = nil
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tok.Encode(text, true)
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := llama(b)
	ids := tok.Encode(benchText(), true)
	b.ReportMetric(float64(len(ids)), "tokens/op")
	b.ReportAllocs()
	for b.Loop() {
		tok.Decode(ids)
	}
}

func BenchmarkStream(b *testing.B) {
	tok := llama(b)
	ids := tok.Encode(benchText(), true)
	b.ReportMetric(float64(len(ids)), "tokens/op")
	b.ReportAllocs()
	for b.Loop() {
		s := tok.NewStream()
		for _, id := range ids {
			s.Add(id)
		}
		s.Flush()
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(goldenDir + "/tokenizer.json"); err != nil {
			b.Fatal(err)
		}
	}
}
