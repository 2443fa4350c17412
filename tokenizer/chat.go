package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Message is one chat turn. Role is "system", "user", "assistant" or "tool".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatOptions are the inputs of the Hymba-Instruct chat template besides the messages.
type ChatOptions struct {
	// Tools are tool (function) definitions, each a JSON value; each is re-serialized as
	// Python's json.dumps would (the template's tojson filter) inside "<tool> … </tool>".
	Tools []json.RawMessage
	// Contexts are retrieved passages, each written stripped inside "<context> … </context>".
	Contexts []string
	// AddGenerationPrompt ends the prompt with "<extra_id_1>Assistant\n" so the model answers.
	AddGenerationPrompt bool
}

// Role headers of the template.
const (
	systemHeader = "<extra_id_0>System"
	turnPrefix   = "<extra_id_1>"
)

// turnNames maps message roles to the names the template writes; system messages are not
// turns (they go into the system block).
var turnNames = map[string]string{"user": "User", "assistant": "Assistant", "tool": "Tool"}

// RenderChat renders messages with the Hymba-Instruct chat template (the jinja template of
// the model's tokenizer_config.json, written out in Go):
//
//	<extra_id_0>System
//	for each system message, in order: "\n" + content.strip() (+ "\n" if tools or contexts)
//	for each tool: "\n<tool> " + json(tool) + " </tool>"
//	if contexts: "\n" if tools, then for each: "\n<context> " + context.strip() + " </context>"
//	"\n\n"
//	for each user / assistant / tool message: "<extra_id_1>User|Assistant|Tool\n" + content.strip() + "\n"
//	if AddGenerationPrompt: "<extra_id_1>Assistant\n"
//
// Without a system message the block is still written, with no text:
// "<extra_id_0>System\n\n<extra_id_1>User\n…". A message with another role is an error naming
// it (the jinja template would drop it silently). The result carries no BOS; encode it with
// Encode(prompt, false).
func RenderChat(msgs []Message, opt ChatOptions) (string, error) {
	var sb strings.Builder
	sb.WriteString(systemHeader)
	extras := len(opt.Tools) > 0 || len(opt.Contexts) > 0
	for i, m := range msgs {
		if m.Role == "system" {
			sb.WriteString("\n" + pyStrip(m.Content))
			if extras {
				sb.WriteString("\n")
			}
		} else if _, ok := turnNames[m.Role]; !ok {
			return "", fmt.Errorf("tokenizer: chat message %d: unknown role %q (want system, user, assistant or tool)", i, m.Role)
		}
	}
	if err := writeTools(&sb, opt.Tools); err != nil {
		return "", err
	}
	if len(opt.Contexts) > 0 && len(opt.Tools) > 0 {
		sb.WriteString("\n")
	}
	for _, c := range opt.Contexts {
		sb.WriteString("\n<context> " + pyStrip(c) + " </context>")
	}
	sb.WriteString("\n\n")
	for _, m := range msgs {
		if name, ok := turnNames[m.Role]; ok {
			sb.WriteString(turnPrefix + name + "\n" + pyStrip(m.Content) + "\n")
		}
	}
	if opt.AddGenerationPrompt {
		sb.WriteString(turnPrefix + "Assistant\n")
	}
	return sb.String(), nil
}

// EncodeChat renders the chat with RenderChat and encodes it without BOS, as Hugging Face's
// apply_chat_template(tokenize=True) does for this template.
func (t *Tokenizer) EncodeChat(msgs []Message, opt ChatOptions) ([]int, error) {
	prompt, err := RenderChat(msgs, opt)
	if err != nil {
		return nil, err
	}
	return t.Encode(prompt, false), nil
}

func writeTools(sb *strings.Builder, tools []json.RawMessage) error {
	for i, tool := range tools {
		js, err := pyJSON(tool)
		if err != nil {
			return fmt.Errorf("tokenizer: chat tools[%d]: %w", i, err)
		}
		sb.WriteString("\n<tool> " + js + " </tool>")
	}
	return nil
}

// pyStrip is Python's str.strip(): it removes leading and trailing whitespace as Python
// defines it, which is Go's unicode.IsSpace plus the separators U+001C..U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}
