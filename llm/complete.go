package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

const (
	opChat = "chat completion"

	// minTemperature is sent for a requested temperature of 0. go-openai
	// declares temperature with `omitempty`, so a 0 would be dropped from
	// the request and the server would use its default (1 on OpenAI): the
	// opposite of what was asked. A tiny positive value is, for every
	// server we know, the same as 0 (vLLM treats anything below 1e-5 as
	// greedy sampling).
	minTemperature float32 = 1e-6

	// schemaInstruction is added to the system message when the server
	// does not take the schema as a response_format, so the model still
	// knows the shape it must reply in (and OpenAI's json_object mode finds
	// the word "JSON" it requires in the messages).
	schemaInstruction = "Reply with only a JSON object, without code fences or any other text, that conforms to this JSON schema:\n"
)

// Message is one message of a chat: Role is "system", "user" or
// "assistant".
type Message struct {
	Role    string
	Content string
}

// Schema asks for a reply that is one JSON object matching a JSON schema.
// It is sent as a strict json_schema response_format, so the schema must
// follow OpenAI's strict-mode rules: every object lists all its properties
// in "required" and sets "additionalProperties": false.
type Schema struct {
	// Name identifies the schema: letters, digits, '_' and '-', at most
	// 64 characters.
	Name        string
	Description string
	// JSON is the schema, a JSON object.
	JSON json.RawMessage
}

// CompletionRequest is a chat completion request. The messages sent are
// System (when not empty), then Messages, then User (when not empty).
type CompletionRequest struct {
	System   string
	Messages []Message
	User     string
	// Schema, when set, asks for a JSON reply matching it.
	Schema *Schema
	// MaxTokens bounds the reply's length; 0 leaves it to the server.
	MaxTokens int
	// Temperature 0 (the zero value) asks for the most likely reply: it is
	// sent as 1e-6, because go-openai drops a 0. A negative Temperature
	// leaves it to the server. For reasoning models (o1, o3, o4, gpt-5,
	// gpt-6), which accept no temperature, none is sent.
	Temperature float32
}

// formatLevel is a response_format, from the most to the least capable.
type formatLevel int32

const (
	formatSchema     formatLevel = iota // {"type":"json_schema", strict}
	formatJSONObject                    // {"type":"json_object"}
	formatNone                          // no response_format
)

// String returns the response_format type, or "none".
func (l formatLevel) String() string {
	switch l {
	case formatSchema:
		return "json_schema"
	case formatJSONObject:
		return "json_object"
	}
	return "none"
}

// Complete sends a chat completion and returns the reply's text. With a
// Schema it asks for structured output; when the server rejects that
// response_format it retries at once with {"type":"json_object"}, then with
// no response_format (the schema then goes into the system message), and
// remembers what the server took for later calls. A reply wrapped in a
// ```json fence is unwrapped. Errors are *Error (see ErrUnavailable,
// ErrConfig), or wrap ErrBadRequest for a request that cannot be sent.
func (c *Client) Complete(ctx context.Context, req CompletionRequest) (string, error) {
	msgs, err := req.messages()
	if err != nil {
		return "", fmt.Errorf("chat completion: %w", err)
	}
	level := formatNone
	if req.Schema != nil {
		if err := req.Schema.check(); err != nil {
			return "", fmt.Errorf("chat completion: %w", err)
		}
		level = formatLevel(c.format.Load())
	}
	for {
		creq := c.chatRequest(msgs, req, level)
		c.log.Debug("chat completion request", "model", creq.Model, "response_format", level, "messages", msgs)
		var resp openai.ChatCompletionResponse
		err := c.do(ctx, opChat, c.maxRetries, func(ctx context.Context) error {
			var err error
			resp, err = c.api.CreateChatCompletion(ctx, creq)
			return err
		})
		if err != nil && level < formatNone && formatRejected(err) {
			level = c.degradeFormat(level, err)
			continue
		}
		if err != nil {
			return "", c.stats.count(err)
		}
		text, err := c.replyText(resp)
		return text, c.stats.count(err)
	}
}

// messages returns the request's messages in go-openai's form.
func (r CompletionRequest) messages() ([]openai.ChatCompletionMessage, error) {
	var msgs []openai.ChatCompletionMessage
	if r.System != "" {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: r.System})
	}
	for i, m := range r.Messages {
		switch m.Role {
		case openai.ChatMessageRoleSystem, openai.ChatMessageRoleUser, openai.ChatMessageRoleAssistant, openai.ChatMessageRoleDeveloper:
		default:
			return nil, fmt.Errorf("message %d has role %q, want system, user or assistant: %w", i, m.Role, ErrBadRequest)
		}
		msgs = append(msgs, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	if r.User != "" {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: r.User})
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no messages: %w", ErrBadRequest)
	}
	return msgs, nil
}

// check reports whether s can be sent.
func (s *Schema) check() error {
	if s.Name == "" || len(s.Name) > 64 || strings.ContainsFunc(s.Name, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '-'
	}) {
		return fmt.Errorf("schema name %q must be 1 to 64 letters, digits, '_' or '-': %w", s.Name, ErrBadRequest)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(s.JSON, &obj); err != nil {
		return fmt.Errorf("schema %s is not a JSON object: %v: %w", s.Name, err, ErrBadRequest)
	}
	return nil
}

// chatRequest builds the request for the given response_format level.
func (c *Client) chatRequest(msgs []openai.ChatCompletionMessage, req CompletionRequest, level formatLevel) openai.ChatCompletionRequest {
	creq := openai.ChatCompletionRequest{Model: c.chatModel, Messages: msgs}
	reasoning := isReasoningModel(c.chatModel)
	if req.MaxTokens > 0 {
		if reasoning {
			creq.MaxCompletionTokens = req.MaxTokens
		} else {
			//lint:ignore SA1019 OpenAI-compatible servers (Ollama, vLLM, LiteLLM) know only max_tokens; reasoning models get MaxCompletionTokens above.
			creq.MaxTokens = req.MaxTokens
		}
	}
	if !reasoning && req.Temperature >= 0 {
		creq.Temperature = max(req.Temperature, minTemperature)
	}
	if req.Schema == nil {
		return creq
	}
	switch level {
	case formatSchema:
		creq.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:        req.Schema.Name,
				Description: req.Schema.Description,
				Schema:      req.Schema.JSON,
				Strict:      true,
			},
		}
		return creq
	case formatJSONObject:
		creq.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	creq.Messages = withSchemaInstruction(msgs, req.Schema.JSON)
	return creq
}

// withSchemaInstruction returns a copy of msgs whose system message ends
// with the schema (a system message is added in front when there is none).
func withSchemaInstruction(msgs []openai.ChatCompletionMessage, schema json.RawMessage) []openai.ChatCompletionMessage {
	out := make([]openai.ChatCompletionMessage, 0, len(msgs)+1)
	instruction := schemaInstruction + string(schema)
	if len(msgs) > 0 && msgs[0].Role == openai.ChatMessageRoleSystem {
		first := msgs[0]
		first.Content = strings.TrimRight(first.Content, "\n") + "\n\n" + instruction
		return append(append(out, first), msgs[1:]...)
	}
	out = append(out, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: instruction})
	return append(out, msgs...)
}

// isReasoningModel reports whether model is one of OpenAI's reasoning
// models, which take max_completion_tokens and no temperature (go-openai
// refuses to send those requests otherwise).
func isReasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// formatRejected reports whether err is the server refusing the
// response_format (as servers without structured outputs do, with a 400 or
// a 422 whose message names it).
func formatRejected(err error) bool {
	var e *Error
	if !errors.As(err, &e) || (e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusUnprocessableEntity) {
		return false
	}
	msg := strings.ToLower(e.Message)
	for _, s := range []string{"response_format", "response format", "json_schema", "json_object", "structured output"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// degradeFormat records that the server rejected level and returns the
// level to try next.
func (c *Client) degradeFormat(level formatLevel, err error) formatLevel {
	next := level + 1
	for {
		cur := formatLevel(c.format.Load())
		if cur >= next {
			return cur
		}
		if c.format.CompareAndSwap(int32(cur), int32(next)) {
			c.stats.fallbacks.Add(1)
			var e *Error
			errors.As(err, &e)
			c.log.Warn("the model server rejected the response_format; falling back",
				"rejected", level, "next", next, "status", e.StatusCode, "err", e.Message)
			return next
		}
	}
}

// replyText returns the text of the first choice, unwrapped from a code
// fence.
func (c *Client) replyText(resp openai.ChatCompletionResponse) (string, error) {
	bad := func(msg string) error {
		return &Error{Op: opChat, Kind: KindBadResponse, StatusCode: http.StatusOK, Message: msg, Attempts: 1}
	}
	if len(resp.Choices) == 0 {
		return "", bad("the reply has no choices")
	}
	ch := resp.Choices[0]
	c.log.Debug("chat completion reply", "model", resp.Model, "finish_reason", ch.FinishReason, "content", ch.Message.Content)
	if ch.FinishReason == openai.FinishReasonLength {
		c.log.Warn("the model's reply was cut at the token limit", "model", resp.Model, "completion_tokens", resp.Usage.CompletionTokens)
	}
	text := stripFence(ch.Message.Content)
	if strings.TrimSpace(text) == "" {
		if ch.Message.Refusal != "" {
			return "", bad("the model refused: " + shorten(ch.Message.Refusal))
		}
		return "", bad(fmt.Sprintf("the reply is empty (finish_reason %q)", ch.FinishReason))
	}
	return text, nil
}

// stripFence returns s without the Markdown code fence (``` or ```json)
// around it, when the whole of s is one fenced block.
func stripFence(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "```") || !strings.HasSuffix(t, "```") || len(t) < 6 {
		return s
	}
	body := strings.TrimSuffix(t, "```")
	nl := strings.IndexByte(body, '\n')
	if nl < 0 {
		return s
	}
	info := strings.TrimSpace(body[3:nl])
	if strings.Contains(info, "`") || strings.Contains(body[nl:], "```") {
		return s
	}
	return strings.TrimSpace(body[nl+1:])
}
