// Package llmtest provides a fake OpenAI-compatible model server for tests:
// a real httptest server that speaks OpenAI's HTTP API (and Azure OpenAI's
// paths), checks the API key, records every request and answers with
// scripted replies, or by default with "OK" and with deterministic
// embeddings that tests can use as a (crude) real embedding model.
//
//	srv := llmtest.NewServer(t)
//	srv.Queue(llmtest.KindChat, llmtest.RateLimited("2"), llmtest.Text(`{"grounded":false}`))
//	client, _ := llm.New(llm.Config{BaseURL: srv.URL, APIKey: srv.APIKey}, nil)
package llmtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults of a new Server.
const (
	DefaultAPIKey       = "sk-test-llmtest-key"
	DefaultChatModel    = "gpt-4o-mini"
	DefaultEmbedModel   = "text-embedding-3-small"
	DefaultEmbeddingDim = 64
	// DefaultContent is the chat reply when nothing is scripted.
	DefaultContent = "OK"
)

// Kind is the kind of request an endpoint serves.
type Kind string

// The kinds of request.
const (
	KindChat       Kind = "chat"       // POST /v1/chat/completions
	KindEmbeddings Kind = "embeddings" // POST /v1/embeddings
	KindModels     Kind = "models"     // GET /v1/models
)

// Server is a fake OpenAI-compatible server. Close it, or let the test's
// cleanup close it.
type Server struct {
	// URL is the base URL to give an OpenAI client: the server's root +
	// "/v1".
	URL string
	// AzureEndpoint is the endpoint to give an Azure OpenAI client: the
	// server's root.
	AzureEndpoint string
	// APIKey is the key the server accepts ("" accepts any request).
	APIKey string

	// Set by the options, then read-only.
	models      []string
	deployments []string // nil: any deployment
	dim         int
	noModels    bool
	rejected    []string // response_format types refused with 400
	handler     func(Request) Reply

	ts        *httptest.Server
	done      chan struct{} // closed by Close, to release hanging requests
	closeOnce sync.Once
	nextID    atomic.Int64
	hanging   atomic.Int64

	mu       sync.Mutex // guards requests and queues
	requests []Request
	queues   map[Kind][]Reply
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the key the server accepts; "" turns the check off, as
// on a local server without keys.
func WithAPIKey(key string) Option { return func(s *Server) { s.APIKey = key } }

// WithModels sets the models the server lists and serves on the OpenAI
// paths; a request for another model gets OpenAI's 404 model_not_found.
// Default: DefaultChatModel and DefaultEmbedModel.
func WithModels(ids ...string) Option { return func(s *Server) { s.models = ids } }

// WithDeployments sets the Azure deployments that exist; a request to
// another gets Azure's 404 DeploymentNotFound. Default: any name.
func WithDeployments(names ...string) Option { return func(s *Server) { s.deployments = names } }

// WithEmbeddingDim sets the length of the embeddings (default 64).
func WithEmbeddingDim(n int) Option { return func(s *Server) { s.dim = n } }

// WithoutModelsEndpoint makes GET /v1/models answer 404, as some
// OpenAI-compatible servers do.
func WithoutModelsEndpoint() Option { return func(s *Server) { s.noModels = true } }

// WithRejectedFormats makes chat requests whose response_format has one of
// these types ("json_schema", "json_object") fail with the 400 OpenAI sends
// for a model that does not support them.
func WithRejectedFormats(types ...string) Option {
	return func(s *Server) { s.rejected = types }
}

// WithHandler sets the function that picks the reply to a request when the
// queue for its kind is empty. A zero Reply means the default reply.
func WithHandler(h func(Request) Reply) Option { return func(s *Server) { s.handler = h } }

// NewServer starts a fake server; tb's cleanup closes it.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		APIKey: DefaultAPIKey,
		models: []string{DefaultChatModel, DefaultEmbedModel},
		dim:    DefaultEmbeddingDim,
		done:   make(chan struct{}),
		queues: make(map[Kind][]Reply),
	}
	for _, o := range opts {
		o(s)
	}
	if s.dim <= 0 {
		tb.Fatalf("llmtest: embedding dimension %d, want > 0", s.dim)
	}
	mux := http.NewServeMux()
	for _, p := range []string{"POST /v1/chat/completions", "POST /chat/completions"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, KindChat, false) })
	}
	for _, p := range []string{"POST /v1/embeddings", "POST /embeddings"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, KindEmbeddings, false) })
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, KindModels, false) })
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, KindChat, true)
	})
	mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, KindEmbeddings, true)
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		writeError(w, http.StatusNotFound, apiError{Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), Type: "invalid_request_error"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		http.NotFound(w, r)
	})
	s.ts = httptest.NewServer(mux)
	s.URL = s.ts.URL + "/v1"
	s.AzureEndpoint = s.ts.URL
	tb.Cleanup(s.Close)
	return s
}

// Close releases hanging requests and shuts the server down. It is safe to
// call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// Queue adds replies for the next requests of kind k (that pass the
// server's checks of key, model and format), in order.
func (s *Server) Queue(k Kind, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[k] = append(s.queues[k], replies...)
}

// Pending returns the number of queued replies of kind k not used yet.
func (s *Server) Pending(k Kind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues[k])
}

// Requests returns every request received so far, in order; with kinds,
// only those of these kinds.
func (s *Server) Requests(kinds ...Kind) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if len(kinds) == 0 || slices.Contains(kinds, r.Kind) {
			out = append(out, r)
		}
	}
	return out
}

// Hanging returns the number of requests being held by a Hang reply now.
func (s *Server) Hanging() int { return int(s.hanging.Load()) }

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// next returns the reply for req: the queue's first, else the handler's,
// else the zero Reply.
func (s *Server) next(req Request) Reply {
	s.mu.Lock()
	if q := s.queues[req.Kind]; len(q) > 0 {
		s.queues[req.Kind] = q[1:]
		s.mu.Unlock()
		return q[0]
	}
	s.mu.Unlock()
	if s.handler != nil {
		return s.handler(req)
	}
	return Reply{}
}

// serve handles one API request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, kind Kind, azure bool) {
	body, err := io.ReadAll(r.Body)
	req := Request{
		Kind:       kind,
		Method:     r.Method,
		Path:       r.URL.Path,
		Azure:      azure,
		Deployment: r.PathValue("deployment"),
		APIVersion: r.URL.Query().Get("api-version"),
		Header:     r.Header.Clone(),
		Body:       body,
	}
	if err != nil {
		s.record(req)
		return
	}
	problem := req.parse()
	s.record(req)

	if !s.authorized(w, r, azure) {
		return
	}
	if azure && req.APIVersion == "" {
		writeError(w, http.StatusNotFound, apiError{Code: "404", Message: "Resource not found"})
		return
	}
	if azure && s.deployments != nil && !slices.Contains(s.deployments, req.Deployment) {
		writeError(w, http.StatusNotFound, apiError{Code: "DeploymentNotFound",
			Message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."})
		return
	}
	if kind == KindModels {
		s.serveModels(w, r, req)
		return
	}
	if problem != "" {
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Message: problem})
		return
	}
	if !azure {
		if req.Model == "" {
			writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error",
				Message: "you must provide a model parameter"})
			return
		}
		if !slices.Contains(s.models, req.Model) {
			writeError(w, http.StatusNotFound, apiError{Type: "invalid_request_error", Code: "model_not_found",
				Message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model)})
			return
		}
	}
	switch kind {
	case KindChat:
		s.serveChat(w, r, req)
	case KindEmbeddings:
		s.serveEmbeddings(w, r, req)
	}
}

// authorized checks the key: "Authorization: Bearer KEY" on the OpenAI
// paths, "api-key: KEY" on Azure's. It answers 401 when it is wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, azure bool) bool {
	if s.APIKey == "" {
		return true
	}
	if azure {
		if r.Header.Get("api-key") == s.APIKey {
			return true
		}
		writeError(w, http.StatusUnauthorized, apiError{Code: "401",
			Message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."})
		return false
	}
	auth := r.Header.Get("Authorization")
	if auth == "Bearer "+s.APIKey {
		return true
	}
	if auth == "" {
		writeError(w, http.StatusUnauthorized, apiError{Type: "invalid_request_error",
			Message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."})
		return false
	}
	writeError(w, http.StatusUnauthorized, apiError{Type: "invalid_request_error", Code: "invalid_api_key",
		Message: fmt.Sprintf("Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.",
			maskKey(strings.TrimPrefix(auth, "Bearer ")))})
	return false
}

// maskKey hides a key as OpenAI does in its 401 message.
func maskKey(k string) string {
	if len(k) < 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:3] + strings.Repeat("*", len(k)-7) + k[len(k)-4:]
}

// special writes the reply's error status, raw body or hang, and reports
// whether it did.
func (s *Server) special(w http.ResponseWriter, r *http.Request, rep Reply) bool {
	switch {
	case rep.Hang:
		s.hanging.Add(1)
		defer s.hanging.Add(-1)
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return true
	case rep.Body != "":
		ct := rep.ContentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		w.WriteHeader(cmp.Or(rep.Status, http.StatusOK))
		io.WriteString(w, rep.Body)
		return true
	case rep.Status != 0:
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		writeError(w, rep.Status, rep.apiError())
		return true
	}
	return false
}

// serveChat answers a chat completion.
func (s *Server) serveChat(w http.ResponseWriter, r *http.Request, req Request) {
	if rf := req.ResponseFormat; rf != nil && slices.Contains(s.rejected, rf.Type) {
		writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: "response_format",
			Message: fmt.Sprintf("Invalid parameter: 'response_format' of type '%s' is not supported with this model.", rf.Type)})
		return
	}
	rep := s.next(req)
	if s.special(w, r, rep) {
		return
	}
	content := rep.Content
	if content == "" {
		content = DefaultContent
	}
	model := req.Model
	if req.Azure {
		model = req.Deployment
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += countTokens(m.Content)
	}
	completion := countTokens(content)
	writeJSON(w, http.StatusOK, chatResponse{
		ID:      fmt.Sprintf("chatcmpl-llmtest%06d", s.nextID.Add(1)),
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   model,
		Choices: []chatChoice{{
			Index:        0,
			Message:      chatMessage{Role: "assistant", Content: content},
			FinishReason: cmp.Or(rep.FinishReason, "stop"),
		}},
		Usage:             usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion},
		SystemFingerprint: "fp_llmtest",
	})
}

// serveEmbeddings answers an embeddings request.
func (s *Server) serveEmbeddings(w http.ResponseWriter, r *http.Request, req Request) {
	for _, in := range req.Input {
		if in == "" {
			writeError(w, http.StatusBadRequest, apiError{Type: "invalid_request_error", Param: "input",
				Message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."})
			return
		}
	}
	rep := s.next(req)
	if s.special(w, r, rep) {
		return
	}
	vecs := rep.Embeddings
	if vecs == nil {
		for _, in := range req.Input {
			vecs = append(vecs, Vector(in, s.dim))
		}
	}
	resp := embeddingResponse{Object: "list", Model: req.Model}
	if req.Azure {
		resp.Model = req.Deployment
	}
	for i, v := range vecs {
		resp.Data = append(resp.Data, embeddingData{Object: "embedding", Index: i, Embedding: v})
	}
	for _, in := range req.Input {
		resp.Usage.PromptTokens += countTokens(in)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	if rep.Reversed {
		slices.Reverse(resp.Data)
	}
	writeJSON(w, http.StatusOK, resp)
}

// serveModels answers GET /v1/models.
func (s *Server) serveModels(w http.ResponseWriter, r *http.Request, req Request) {
	if s.noModels {
		http.NotFound(w, r)
		return
	}
	rep := s.next(req)
	if s.special(w, r, rep) {
		return
	}
	list := modelList{Object: "list", Data: []model{}}
	for _, id := range s.models {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: 1686935002, OwnedBy: "system"})
	}
	writeJSON(w, http.StatusOK, list)
}

// countTokens estimates a token count: a word is a token.
func countTokens(s string) int { return len(strings.Fields(s)) }

// writeJSON writes v as the response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes an error in OpenAI's form:
// {"error":{"message":...,"type":...,"param":...,"code":...}}.
func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, map[string]apiError{"error": e})
}
