package llmtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
)

// Request is a request the server received, decoded for assertions.
type Request struct {
	Kind   Kind   // "" for a request to an unknown path
	Method string // "POST", "GET"
	Path   string // e.g. "/v1/chat/completions"
	// Azure is true on the /openai/deployments/{deployment}/ paths;
	// Deployment and APIVersion (the api-version query parameter) are then
	// set.
	Azure      bool
	Deployment string
	APIVersion string
	Header     http.Header
	Body       []byte

	// Chat and embeddings fields, from the JSON body.
	Model               string
	Messages            []Message       // chat
	ResponseFormat      *ResponseFormat // chat; nil when absent
	MaxTokens           int             // chat: max_tokens
	MaxCompletionTokens int             // chat: max_completion_tokens
	Temperature         *float64        // chat; nil when absent
	Input               []string        // embeddings: input as a list (a single string becomes one item)
}

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ResponseFormat is a chat request's response_format.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is the json_schema of a response_format.
type JSONSchema struct {
	Name   string          `json:"name"`
	Strict bool            `json:"strict"`
	Schema json.RawMessage `json:"schema"`
}

// parse decodes r.Body into r's fields. It returns the message OpenAI
// sends for a body it refuses, or "".
func (r *Request) parse() string {
	if r.Kind == KindModels {
		return ""
	}
	var body struct {
		Model               string          `json:"model"`
		Messages            []Message       `json:"messages"`
		ResponseFormat      *ResponseFormat `json:"response_format"`
		MaxTokens           int             `json:"max_tokens"`
		MaxCompletionTokens int             `json:"max_completion_tokens"`
		Temperature         *float64        `json:"temperature"`
		Input               json.RawMessage `json:"input"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
	}
	r.Model = body.Model
	r.Messages = body.Messages
	r.ResponseFormat = body.ResponseFormat
	r.MaxTokens = body.MaxTokens
	r.MaxCompletionTokens = body.MaxCompletionTokens
	r.Temperature = body.Temperature
	switch r.Kind {
	case KindChat:
		if len(r.Messages) == 0 {
			return "[] is too short - 'messages'"
		}
	case KindEmbeddings:
		var one string
		if err := json.Unmarshal(body.Input, &one); err == nil {
			r.Input = []string{one}
			return ""
		}
		if err := json.Unmarshal(body.Input, &r.Input); err != nil || len(r.Input) == 0 {
			return "'input' must be a non-empty string or array of strings"
		}
	}
	return ""
}

// Reply is a scripted answer to one request. The zero Reply is the
// default answer: DefaultContent for a chat, the Vector of each input for
// embeddings, the model list for models. Hang wins over Body, which wins
// over Status.
type Reply struct {
	// Content is a chat reply's text.
	Content string
	// FinishReason of a chat reply; default "stop".
	FinishReason string

	// Status, when not 0, answers with this HTTP status and an OpenAI
	// error body made of Error, ErrorType and ErrorCode (defaults suit the
	// status).
	Status    int
	Error     string
	ErrorType string
	ErrorCode string
	// RetryAfter is sent as the Retry-After header, e.g. "2".
	RetryAfter string

	// Body, when not "", is sent as is (with Status, default 200, and
	// ContentType, default application/json).
	Body        string
	ContentType string

	// Hang holds the request until the client gives up or the server
	// closes; nothing is written.
	Hang bool

	// Embeddings replaces the vectors of an embeddings reply (to send the
	// wrong number, or vectors that are not normalised); Reversed sends
	// the data entries last first, with their right indexes.
	Embeddings [][]float32
	Reversed   bool
}

// Text returns a chat reply with this content.
func Text(content string) Reply { return Reply{Content: content} }

// JSON returns a chat reply whose content is v as JSON.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("llmtest.JSON: %v", err))
	}
	return Reply{Content: string(b)}
}

// Status returns an error reply with this status and message ("" for
// OpenAI's usual message for the status).
func Status(code int, message string) Reply { return Reply{Status: code, Error: message} }

// RateLimited returns OpenAI's 429 rate-limit reply with this Retry-After
// header ("" for none).
func RateLimited(retryAfter string) Reply {
	return Reply{Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// Hang returns a reply that never comes: the request is held until the
// client gives up.
func Hang() Reply { return Reply{Hang: true} }

// Malformed returns a 200 reply whose JSON body is broken half-way.
func Malformed() Reply {
	return Reply{Body: `{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hel` + "\x00"}
}

// apiError returns the error body of an error reply.
func (r Reply) apiError() apiError {
	e := apiError{Message: r.Error, Type: r.ErrorType, Code: r.ErrorCode}
	switch r.Status {
	case http.StatusTooManyRequests:
		e.Message = cmp.Or(e.Message, "Rate limit reached for gpt-4o-mini in organization org-llmtest on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.")
		e.Type = cmp.Or(e.Type, "requests")
		e.Code = cmp.Or(e.Code, "rate_limit_exceeded")
	case http.StatusInternalServerError:
		e.Message = cmp.Or(e.Message, "The server had an error while processing your request. Sorry about that!")
		e.Type = cmp.Or(e.Type, "server_error")
	case http.StatusServiceUnavailable:
		e.Message = cmp.Or(e.Message, "The engine is currently overloaded, please try again later")
		e.Type = cmp.Or(e.Type, "server_error")
	case http.StatusUnauthorized:
		e.Message = cmp.Or(e.Message, "Incorrect API key provided.")
		e.Type = cmp.Or(e.Type, "invalid_request_error")
		e.Code = cmp.Or(e.Code, "invalid_api_key")
	default:
		e.Message = cmp.Or(e.Message, http.StatusText(r.Status))
		e.Type = cmp.Or(e.Type, "invalid_request_error")
	}
	return e
}

// apiError is the "error" object of an error body. With no Type and no
// Param it takes Azure's form, {"code":...,"message":...}.
type apiError struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// MarshalJSON writes e in OpenAI's form, with null for an empty param or
// code, or in Azure's.
func (e apiError) MarshalJSON() ([]byte, error) {
	if e.Type == "" && e.Param == "" {
		return json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{e.Code, e.Message})
	}
	null := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return json.Marshal(struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}{e.Message, e.Type, null(e.Param), null(e.Code)})
}

// The response bodies, as OpenAI sends them.
type (
	chatResponse struct {
		ID                string       `json:"id"`
		Object            string       `json:"object"`
		Created           int64        `json:"created"`
		Model             string       `json:"model"`
		Choices           []chatChoice `json:"choices"`
		Usage             usage        `json:"usage"`
		SystemFingerprint string       `json:"system_fingerprint"`
	}
	chatChoice struct {
		Index        int         `json:"index"`
		Message      chatMessage `json:"message"`
		Logprobs     *struct{}   `json:"logprobs"`
		FinishReason string      `json:"finish_reason"`
	}
	chatMessage struct {
		Role    string  `json:"role"`
		Content string  `json:"content"`
		Refusal *string `json:"refusal"`
	}
	usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens,omitempty"`
		TotalTokens      int `json:"total_tokens"`
	}
	embeddingResponse struct {
		Object string          `json:"object"`
		Data   []embeddingData `json:"data"`
		Model  string          `json:"model"`
		Usage  usage           `json:"usage"`
	}
	embeddingData struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	modelList struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}
	model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
)
