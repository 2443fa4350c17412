package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestRenderChat(t *testing.T) {
	weather := json.RawMessage(`{"type":"function","function":{"name":"get_weather",` +
		`"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`)
	weatherPy := `{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", ` +
		`"properties": {"city": {"type": "string"}}, "required": ["city"]}}}`
	sys := Message{"system", "You are a helpful assistant."}
	cases := []struct {
		name string
		msgs []Message
		opt  ChatOptions
		want string
	}{
		{"architecture doc example", []Message{sys, {"user", "Hi"}}, ChatOptions{AddGenerationPrompt: true},
			"<extra_id_0>System\nYou are a helpful assistant.\n\n<extra_id_1>User\nHi\n<extra_id_1>Assistant\n"},
		{"no system", []Message{{"user", "Hi"}}, ChatOptions{AddGenerationPrompt: true},
			"<extra_id_0>System\n\n<extra_id_1>User\nHi\n<extra_id_1>Assistant\n"},
		{"multi-turn, stripped, no generation prompt", []Message{
			sys, {"user", "  What is 2+2?\n"}, {"assistant", "4\n\n"}, {"user", "\tAnd 3+3?\x1f "},
		}, ChatOptions{},
			"<extra_id_0>System\nYou are a helpful assistant.\n\n<extra_id_1>User\nWhat is 2+2?\n" +
				"<extra_id_1>Assistant\n4\n<extra_id_1>User\nAnd 3+3?\n"},
		{"tools with system and tool turn", []Message{
			sys, {"user", "Weather in Paris?"}, {"assistant", `{"name": "get_weather"}`}, {"tool", "18°C"},
		}, ChatOptions{Tools: []json.RawMessage{weather}, AddGenerationPrompt: true},
			"<extra_id_0>System\nYou are a helpful assistant.\n\n<tool> " + weatherPy + " </tool>\n\n" +
				"<extra_id_1>User\nWeather in Paris?\n<extra_id_1>Assistant\n{\"name\": \"get_weather\"}\n" +
				"<extra_id_1>Tool\n18°C\n<extra_id_1>Assistant\n"},
		{"tools without system", []Message{{"user", "Hi"}}, ChatOptions{Tools: []json.RawMessage{weather, json.RawMessage(`[1]`)}},
			"<extra_id_0>System\n<tool> " + weatherPy + " </tool>\n<tool> [1] </tool>\n\n<extra_id_1>User\nHi\n"},
		{"contexts", []Message{sys, {"user", "Summarize."}}, ChatOptions{Contexts: []string{" Doc one. ", "Doc two.\n"}},
			"<extra_id_0>System\nYou are a helpful assistant.\n\n<context> Doc one. </context>\n<context> Doc two. </context>\n\n" +
				"<extra_id_1>User\nSummarize.\n"},
		{"tools and contexts", []Message{sys}, ChatOptions{Tools: []json.RawMessage{json.RawMessage(`{}`)}, Contexts: []string{"C"}},
			"<extra_id_0>System\nYou are a helpful assistant.\n\n<tool> {} </tool>\n\n<context> C </context>\n\n"},
		{"system anywhere joins the system block", []Message{{"user", "Hi"}, {"system", "Be brief."}, sys}, ChatOptions{},
			"<extra_id_0>System\nBe brief.\nYou are a helpful assistant.\n\n<extra_id_1>User\nHi\n"},
		{"empty", nil, ChatOptions{AddGenerationPrompt: true}, "<extra_id_0>System\n\n<extra_id_1>Assistant\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := RenderChat(c.msgs, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("RenderChat =\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestRenderChatErrors(t *testing.T) {
	_, err := RenderChat([]Message{{"user", "Hi"}, {"developer", "x"}}, ChatOptions{})
	if err == nil || !strings.Contains(err.Error(), `message 1: unknown role "developer"`) {
		t.Errorf("unknown role: error %v", err)
	}
	for _, bad := range []string{``, `{`, `{"a":1}x`, `{"a" 1}`, `[1,]`, `nul`} {
		_, err := RenderChat(nil, ChatOptions{Tools: []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(bad)}})
		if err == nil || !strings.Contains(err.Error(), "tools[1]") {
			t.Errorf("tool %q: error %v does not name tools[1]", bad, err)
		}
	}
}

// TestPyJSON checks the tojson re-serialization against values printed by Python 3's
// json.dumps(json.loads(raw), ensure_ascii=False).
func TestPyJSON(t *testing.T) {
	cases := map[string]string{
		`{"b":1,"a":[true,false,null]}`:  `{"b": 1, "a": [true, false, null]}`,
		`{"a":1,"b":2,"a":3}`:            `{"a": 3, "b": 2}`,
		`"Météo — \"now\"\n"`:            `"Météo — \"now\"\n"`,
		`"\u0001\u001f\u007f\b\f\t\/ "`:  "\"\\u0001\\u001f\x7f\\b\\f\\t/ \"",
		`"\u2028"`:                       "\"\u2028\"",
		`[2.50, 1e5, 1E16, 1.5e-7]`:      `[2.5, 100000.0, 1e+16, 1.5e-07]`,
		`[0.0001, 0.00001, -0, -0.0]`:    `[0.0001, 1e-05, 0, -0.0]`,
		`[12345678901234567890, 1e400]`:  `[12345678901234567890, Infinity]`,
		`[1234567890123456.7, 5e-324]`:   `[1234567890123456.8, 5e-324]`,
		`[1.7976931348623157e308, 100]`:  `[1.7976931348623157e+308, 100]`,
		`[-1.25e+3, 0.1, 123456789.125]`: `[-1250.0, 0.1, 123456789.125]`,
		` {"nested": {"x": [[], {}]}} `:  `{"nested": {"x": [[], {}]}}`,
	}
	for in, want := range cases {
		got, err := pyJSON(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("pyJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestPyStrip(t *testing.T) {
	// Python's str.isspace set, which Go's unicode.IsSpace misses only at U+001C..U+001F.
	ws := "\t\n\v\f\r\x1c\x1d\x1e\x1f \u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
	if got := pyStrip(ws + "a\u200bb" + ws); got != "a\u200bb" {
		t.Errorf("pyStrip = %q", got)
	}
}

// TestEncodeChat checks that a chat prompt is encoded without BOS, as HF's
// apply_chat_template does, and that <extra_id_N> markers are ordinary text.
func TestEncodeChat(t *testing.T) {
	tok := llama(t)
	msgs := []Message{{"system", "You are a helpful assistant."}, {"user", "Hi"}}
	ids, err := tok.EncodeChat(msgs, ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	prompt, _ := RenderChat(msgs, ChatOptions{AddGenerationPrompt: true})
	if !slices.Equal(ids, tok.Encode(prompt, false)) || ids[0] == tok.BOS() {
		t.Fatalf("EncodeChat = %v: want Encode(prompt, false) with no BOS", ids)
	}
	if got := tok.Decode(ids); got != prompt {
		t.Fatalf("Decode(EncodeChat) = %q, want %q", got, prompt)
	}
	if _, err := tok.EncodeChat([]Message{{"bot", "x"}}, ChatOptions{}); err == nil {
		t.Fatal("EncodeChat accepted an unknown role")
	}
}
