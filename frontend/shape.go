package frontend

// shape builds the OpenAI response objects of one request: text_completion
// for /v1/completions, chat.completion(.chunk) for /v1/chat/completions.
type shape struct {
	chat    bool
	id      string // "cmpl-<request id>" or "chatcmpl-<request id>"
	model   string
	created int64
}

func newShape(chat bool, reqID, model string, created int64) shape {
	prefix := "cmpl-"
	if chat {
		prefix = "chatcmpl-"
	}
	return shape{chat: chat, id: prefix + reqID, model: model, created: created}
}

// whole is the non-streamed response.
func (s shape) whole(text string, res Result) any {
	finish := res.FinishReason
	if !s.chat {
		return s.completion(completionChoice{Text: text, FinishReason: &finish}, usageOf(res))
	}
	msg := &chatMessageJSON{Role: RoleAssistant, Content: text}
	return s.chatObject("chat.completion", chatChoice{Message: msg, FinishReason: &finish}, usageOf(res))
}

// opening is the stream's first chunk, if the shape has one: the chat
// assistant role with empty content.
func (s shape) opening() (any, bool) {
	if !s.chat {
		return nil, false
	}
	empty := ""
	return s.chunk(&chatDelta{Role: RoleAssistant, Content: &empty}, nil), true
}

// text is a stream chunk carrying generated text.
func (s shape) text(t string) any {
	if !s.chat {
		return s.completion(completionChoice{Text: t}, nil)
	}
	return s.chunk(&chatDelta{Content: &t}, nil)
}

// finish is the stream chunk carrying the finish reason.
func (s shape) finish(reason string) any {
	if !s.chat {
		return s.completion(completionChoice{FinishReason: &reason}, nil)
	}
	return s.chunk(&chatDelta{}, &reason)
}

// usage is the stream's usage chunk (stream_options.include_usage): no
// choices, only usage.
func (s shape) usage(res Result) any {
	if !s.chat {
		return completionJSON{ID: s.id, Object: "text_completion", Created: s.created, Model: s.model,
			Choices: []completionChoice{}, Usage: usageOf(res)}
	}
	return chatJSON{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []chatChoice{}, Usage: usageOf(res)}
}

func (s shape) completion(c completionChoice, u *usageJSON) completionJSON {
	return completionJSON{ID: s.id, Object: "text_completion", Created: s.created, Model: s.model,
		Choices: []completionChoice{c}, Usage: u}
}

func (s shape) chunk(d *chatDelta, finish *string) chatJSON {
	return s.chatObject("chat.completion.chunk", chatChoice{Delta: d, FinishReason: finish}, nil)
}

func (s shape) chatObject(object string, c chatChoice, u *usageJSON) chatJSON {
	return chatJSON{ID: s.id, Object: object, Created: s.created, Model: s.model,
		Choices: []chatChoice{c}, Usage: u}
}
