package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestGenerateGoldenIDs generates through the CLI from the golden checkpoint and checks the ids
// against the official greedy continuation.
func TestGenerateGoldenIDs(t *testing.T) {
	dir := "../../testdata/golden/tiny-hymba"
	b, err := os.ReadFile(dir + "/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var gf struct {
		Cases []struct {
			InputIDs           []int `json:"input_ids"`
			GreedyContinuation []int `json:"greedy_continuation"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &gf); err != nil {
		t.Fatal(err)
	}
	for _, c := range gf.Cases {
		ids := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(c.InputIDs)), ","), "[]")
		out, errOut, code := runCLI(t, "generate", "--model", dir, "--ids", ids,
			"--max-tokens", fmt.Sprint(len(c.GreedyContinuation)), "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var res genOutput
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		if !slices.Equal(res.IDs, c.GreedyContinuation) {
			t.Fatalf("ids %v, want %v", res.IDs, c.GreedyContinuation)
		}
	}
}

// TestGenerateDemo runs the README's path: no --model, text prompt, streamed and as JSON.
func TestGenerateDemo(t *testing.T) {
	out, errOut, code := runCLI(t, "generate", "--prompt", "Hello, world", "--max-tokens", "6", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "DEMO") {
		t.Errorf("the demo checkpoint is not labelled on stderr: %q", errOut)
	}
	var res genOutput
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) == 0 || len(res.IDs) > 6 || res.PromptTokens != 4 {
		t.Fatalf("got %+v", res)
	}
	chat, errOut, code := runCLI(t, "generate", "--chat", "--system", "Be brief.", "--prompt", "Hi", "--max-tokens", "3", "--temperature", "0.8", "--seed", "3")
	if code != 0 || chat == "" {
		t.Fatalf("chat: exit %d, output %q, stderr %s", code, chat, errOut)
	}
}

func TestGenerateBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"generate"},
		{"generate", "--prompt", "x", "--ids", "1"},
		{"generate", "--ids", "1,x"},
		{"generate", "--ids", "1", "--chat"},
		{"generate", "--prompt", "x", "--top-p", "3"},
		{"generate", "--model", "/nonexistent", "--ids", "1"},
		{"nosuchcommand"},
	} {
		if _, errOut, code := runCLI(t, args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a failure with a message", args, code, errOut)
		}
	}
}
