package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// goldenDir is the in-repo Llama-2 tokenizer golden set (from llama-tokenizer-js);
// hfReferenceDir holds random texts encoded by Hugging Face's tokenizers.js (see its README).
const (
	goldenDir      = "../testdata/golden/tokenizer-llama"
	hfReferenceDir = "testdata/hf-reference"
)

// goldenCase is one entry of cases.json: text and its ids encoded with BOS.
type goldenCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

type goldenFile struct {
	Source string       `json:"source"`
	Cases  []goldenCase `json:"cases"`
}

var (
	llamaOnce sync.Once
	llamaTok  *Tokenizer
	llamaErr  error
)

// llama loads the golden tokenizer once per test binary.
func llama(tb testing.TB) *Tokenizer {
	tb.Helper()
	llamaOnce.Do(func() { llamaTok, llamaErr = Load(filepath.Join(goldenDir, "tokenizer.json")) })
	if llamaErr != nil {
		tb.Fatal(llamaErr)
	}
	return llamaTok
}

func readCases(tb testing.TB, dir string) []goldenCase {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var f goldenFile
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatalf("%s/cases.json: %v", dir, err)
	}
	if len(f.Cases) == 0 {
		tb.Fatalf("%s/cases.json: no cases", dir)
	}
	return f.Cases
}

// TestTokenizerGolden encodes every golden case with BOS to exactly the listed ids and decodes
// the ids back to the text. With HYMBA_GOLDEN_DIR set it also runs every subdirectory there
// that holds tokenizer.json and cases.json. Subdirectories holding other golden data (model
// case sets) are skipped; the test fails only if HYMBA_GOLDEN_DIR cannot be read or is empty.
func TestTokenizerGolden(t *testing.T) {
	t.Run("tokenizer-llama", func(t *testing.T) { runGolden(t, llama(t), goldenDir) })
	root := os.Getenv("HYMBA_GOLDEN_DIR")
	if root == "" {
		return
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("HYMBA_GOLDEN_DIR: %v", err)
	}
	if len(entries) == 0 {
		t.Fatalf("HYMBA_GOLDEN_DIR %s is empty", root)
	}
	found := 0
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || !hasFiles(dir, "tokenizer.json", "cases.json") {
			continue
		}
		found++
		t.Run("env/"+e.Name(), func(t *testing.T) {
			tok, err := Load(filepath.Join(dir, "tokenizer.json"))
			if err != nil {
				t.Fatal(err)
			}
			runGolden(t, tok, dir)
		})
	}
	t.Logf("HYMBA_GOLDEN_DIR %s: %d tokenizer case sets", root, found)
}

func hasFiles(dir string, names ...string) bool {
	for _, n := range names {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

func runGolden(t *testing.T, tok *Tokenizer, dir string) {
	for i, c := range readCases(t, dir) {
		got := tok.Encode(c.Text, true)
		if !slices.Equal(got, c.IDs) {
			t.Errorf("case %d %q:\n encode = %v\n   want = %v", i, c.Text, got, c.IDs)
		}
		if back := tok.Decode(c.IDs); back != c.Text {
			t.Errorf("case %d: decode = %q, want %q", i, back, c.Text)
		}
	}
}

// TestHFReference compares Encode and Decode with a second, independent implementation of the
// Hugging Face tokenizer pipeline on 400 random multilingual texts.
func TestHFReference(t *testing.T) {
	runGolden(t, llama(t), hfReferenceDir)
}
