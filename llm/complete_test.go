package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/llm/llmtest"
)

var testSchema = Schema{
	Name: "answer",
	JSON: json.RawMessage(`{"type":"object","properties":{"grounded":{"type":"boolean"}},"required":["grounded"],"additionalProperties":false}`),
}

func TestCompleteRequestShape(t *testing.T) {
	type want struct {
		roles        []string
		contents     []string
		format       string // response_format type, "" for none
		temperature  *float64
		maxTokens    int
		maxCompleted int
	}
	tiny, warm := float64(minTemperature), 0.7
	tests := []struct {
		name  string
		model string
		req   CompletionRequest
		want  want
	}{
		{
			name: "schema, temperature 0",
			req:  CompletionRequest{System: "sys", User: "question", Schema: &testSchema, MaxTokens: 300},
			want: want{roles: []string{"system", "user"}, contents: []string{"sys", "question"}, format: "json_schema",
				temperature: &tiny, maxTokens: 300},
		},
		{
			name: "messages between system and user",
			req: CompletionRequest{System: "sys", Messages: []Message{{"user", "q1"}, {"assistant", "a1"}}, User: "q2",
				Temperature: 0.7},
			want: want{roles: []string{"system", "user", "assistant", "user"}, contents: []string{"sys", "q1", "a1", "q2"},
				temperature: &warm},
		},
		{
			name: "negative temperature left to the server",
			req:  CompletionRequest{User: "q", Temperature: -1},
			want: want{roles: []string{"user"}, contents: []string{"q"}},
		},
		{
			name:  "reasoning model",
			model: "o3-mini",
			req:   CompletionRequest{User: "q", MaxTokens: 50},
			want:  want{roles: []string{"user"}, contents: []string{"q"}, maxCompleted: 50},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == "" {
				model = "gpt-4o-mini"
			}
			srv := llmtest.NewServer(t, llmtest.WithModels(model))
			srv.Queue(llmtest.KindChat, llmtest.Text(`{"grounded":true}`))
			c, _ := newClient(t, srv, func(cfg *Config) { cfg.ChatModel = model })
			got, err := c.Complete(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if got != `{"grounded":true}` {
				t.Errorf("Complete: got %q, want the server's content", got)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("requests: got %d, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Path != "/v1/chat/completions" || r.Model != model {
				t.Errorf("request: got %s model %q, want /v1/chat/completions model %q", r.Path, r.Model, model)
			}
			var roles, contents []string
			for _, m := range r.Messages {
				roles = append(roles, m.Role)
				contents = append(contents, m.Content)
			}
			if fmt.Sprint(roles) != fmt.Sprint(tt.want.roles) || fmt.Sprint(contents) != fmt.Sprint(tt.want.contents) {
				t.Errorf("messages: got roles %q contents %q, want %q %q", roles, contents, tt.want.roles, tt.want.contents)
			}
			gotFormat := ""
			if r.ResponseFormat != nil {
				gotFormat = r.ResponseFormat.Type
			}
			if gotFormat != tt.want.format {
				t.Errorf("response_format: got %q, want %q", gotFormat, tt.want.format)
			}
			if tt.want.format == "json_schema" {
				js := r.ResponseFormat.JSONSchema
				if js == nil || js.Name != "answer" || !js.Strict || !jsonEqual(t, js.Schema, testSchema.JSON) {
					t.Errorf("json_schema: got %+v, want name answer, strict, the schema", js)
				}
			}
			switch {
			case tt.want.temperature == nil && r.Temperature != nil:
				t.Errorf("temperature: got %v, want none sent", *r.Temperature)
			case tt.want.temperature != nil && (r.Temperature == nil || float32(*r.Temperature) != float32(*tt.want.temperature)):
				t.Errorf("temperature: got %v, want %v", r.Temperature, *tt.want.temperature)
			}
			if r.MaxTokens != tt.want.maxTokens || r.MaxCompletionTokens != tt.want.maxCompleted {
				t.Errorf("max tokens: got max_tokens %d max_completion_tokens %d, want %d %d",
					r.MaxTokens, r.MaxCompletionTokens, tt.want.maxTokens, tt.want.maxCompleted)
			}
			if auth := r.Header.Get("Authorization"); auth != "Bearer "+srv.APIKey {
				t.Errorf("Authorization: got %q, want the bearer key", auth)
			}
		})
	}
}

func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		tb.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		tb.Fatalf("unmarshal %s: %v", b, err)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func TestCompleteRejectsBadRequests(t *testing.T) {
	srv := llmtest.NewServer(t)
	c, _ := newClient(t, srv, nil)
	tests := []struct {
		name string
		req  CompletionRequest
	}{
		{"no messages", CompletionRequest{}},
		{"bad role", CompletionRequest{Messages: []Message{{"robot", "x"}}}},
		{"schema without name", CompletionRequest{User: "q", Schema: &Schema{JSON: testSchema.JSON}}},
		{"schema name with space", CompletionRequest{User: "q", Schema: &Schema{Name: "an swer", JSON: testSchema.JSON}}},
		{"schema not an object", CompletionRequest{User: "q", Schema: &Schema{Name: "a", JSON: json.RawMessage(`[1]`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Complete(context.Background(), tt.req)
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("Complete: got %v, want ErrBadRequest", err)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("requests: got %d, want none sent", n)
	}
}

func TestCompleteAzure(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithDeployments("chat-dep", "embed-dep"))
	c, err := New(Config{AzureEndpoint: srv.AzureEndpoint, APIKey: srv.APIKey, AzureDeployment: "chat-dep",
		AzureEmbedDeployment: "embed-dep"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Queue(llmtest.KindChat, llmtest.Text("hello"))
	got, err := c.Complete(context.Background(), CompletionRequest{User: "q", Schema: &testSchema})
	if err != nil || got != "hello" {
		t.Fatalf("Complete: got %q, %v, want hello", got, err)
	}
	if _, err := c.Embed(context.Background(), []string{"a text"}); err != nil {
		t.Fatalf("Embed: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests: got %d, want 2", len(reqs))
	}
	wants := []struct{ path, deployment string }{
		{"/openai/deployments/chat-dep/chat/completions", "chat-dep"},
		{"/openai/deployments/embed-dep/embeddings", "embed-dep"},
	}
	for i, w := range wants {
		r := reqs[i]
		if r.Path != w.path || !r.Azure || r.Deployment != w.deployment {
			t.Errorf("request %d: got path %s deployment %q, want %s", i, r.Path, r.Deployment, w.path)
		}
		if r.APIVersion != "2024-10-21" {
			t.Errorf("request %d: got api-version %q, want 2024-10-21", i, r.APIVersion)
		}
		if r.Header.Get("api-key") != srv.APIKey || r.Header.Get("Authorization") != "" {
			t.Errorf("request %d: got api-key %q Authorization %q, want the key in api-key only",
				i, r.Header.Get("api-key"), r.Header.Get("Authorization"))
		}
	}
	if reqs[0].ResponseFormat == nil || reqs[0].ResponseFormat.Type != "json_schema" {
		t.Errorf("Azure response_format: got %+v, want json_schema", reqs[0].ResponseFormat)
	}

	noEmbed, err := New(Config{AzureEndpoint: srv.AzureEndpoint, APIKey: srv.APIKey, AzureDeployment: "chat-dep"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = noEmbed.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), EnvAzureEmbedDeployment) {
		t.Errorf("Embed without an Azure embed deployment: got %v, want ErrConfig naming %s", err, EnvAzureEmbedDeployment)
	}
}

// inRange reports whether d is within [lo, hi].
func inRange(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }

func TestCompleteRetries(t *testing.T) {
	type span struct{ lo, hi time.Duration }
	exact := func(d time.Duration) span { return span{d, d} }
	tests := []struct {
		name         string
		maxRetries   int
		replies      []llmtest.Reply
		wantErr      []error // nil: success
		wantKind     Kind
		wantRequests int
		wantWaits    []span
	}{
		{
			name:         "401 is not retried",
			replies:      []llmtest.Reply{llmtest.Status(401, "")},
			wantErr:      []error{ErrAuth, ErrConfig},
			wantKind:     KindAuth,
			wantRequests: 1,
		},
		{
			name:         "403 is not retried",
			replies:      []llmtest.Reply{llmtest.Status(403, "")},
			wantErr:      []error{ErrAuth},
			wantKind:     KindAuth,
			wantRequests: 1,
		},
		{
			name:         "400 is not retried",
			replies:      []llmtest.Reply{llmtest.Status(400, "bad")},
			wantErr:      []error{ErrBadRequest},
			wantKind:     KindBadRequest,
			wantRequests: 1,
		},
		{
			name:         "404 is not retried",
			replies:      []llmtest.Reply{llmtest.Status(404, "no")},
			wantErr:      []error{ErrNotFound, ErrConfig},
			wantKind:     KindNotFound,
			wantRequests: 1,
		},
		{
			name:         "429 with Retry-After 2 waits 2s then succeeds",
			replies:      []llmtest.Reply{llmtest.RateLimited("2"), llmtest.Text("ok")},
			wantRequests: 2,
			wantWaits:    []span{exact(2 * time.Second)},
		},
		{
			name:         "429 Retry-After is capped at 30s",
			replies:      []llmtest.Reply{llmtest.RateLimited("120"), llmtest.Text("ok")},
			wantRequests: 2,
			wantWaits:    []span{exact(30 * time.Second)},
		},
		{
			name:         "429 without Retry-After backs off",
			replies:      []llmtest.Reply{llmtest.RateLimited(""), llmtest.Text("ok")},
			wantRequests: 2,
			wantWaits:    []span{{250 * time.Millisecond, 500 * time.Millisecond}},
		},
		{
			name:       "429 repeated stops after MaxRetries",
			maxRetries: 2,
			replies: []llmtest.Reply{llmtest.RateLimited("1"), llmtest.RateLimited("1"), llmtest.RateLimited("1"),
				llmtest.Text("never")},
			wantErr:      []error{ErrUnavailable},
			wantKind:     KindRateLimit,
			wantRequests: 3,
			wantWaits:    []span{exact(time.Second), exact(time.Second)},
		},
		{
			name:         "429 insufficient_quota is not retried",
			replies:      []llmtest.Reply{{Status: 429, ErrorType: "insufficient_quota", ErrorCode: "insufficient_quota", Error: "You exceeded your current quota"}},
			wantErr:      []error{ErrUnavailable},
			wantKind:     KindQuota,
			wantRequests: 1,
		},
		{
			name:         "500 backs off exponentially then succeeds",
			replies:      []llmtest.Reply{llmtest.Status(500, ""), llmtest.Status(502, ""), llmtest.Text("ok")},
			wantRequests: 3,
			wantWaits:    []span{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}},
		},
		{
			name:         "503 honours Retry-After",
			replies:      []llmtest.Reply{{Status: 503, RetryAfter: "1"}, llmtest.Text("ok")},
			wantRequests: 2,
			wantWaits:    []span{exact(time.Second)},
		},
		{
			name:         "5xx with an HTML body",
			replies:      []llmtest.Reply{{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"}, llmtest.Text("ok")},
			wantRequests: 2,
			wantWaits:    []span{{250 * time.Millisecond, 500 * time.Millisecond}},
		},
		{
			name:         "malformed body is not retried",
			replies:      []llmtest.Reply{llmtest.Malformed()},
			wantErr:      []error{ErrBadResponse},
			wantKind:     KindBadResponse,
			wantRequests: 1,
		},
		{
			name:         "empty reply",
			replies:      []llmtest.Reply{{Content: " ", FinishReason: "content_filter"}},
			wantErr:      []error{ErrBadResponse},
			wantKind:     KindBadResponse,
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Queue(llmtest.KindChat, tt.replies...)
			c, sl := newClient(t, srv, func(cfg *Config) { cfg.MaxRetries = tt.maxRetries })
			got, err := c.Complete(context.Background(), CompletionRequest{User: "q"})
			if tt.wantErr == nil {
				if err != nil || got != "ok" {
					t.Fatalf("Complete: got %q, %v, want ok", got, err)
				}
			} else {
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("Complete: got %v, want an error matching %v", err, want)
					}
				}
				var e *Error
				if !errors.As(err, &e) || e.Kind != tt.wantKind {
					t.Errorf("Complete: got %#v, want *Error of kind %s", err, tt.wantKind)
				}
				if st := c.Stats(); st.Failures[tt.wantKind] != 1 {
					t.Errorf("Stats.Failures: got %v, want 1 %s", st.Failures, tt.wantKind)
				}
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", n, tt.wantRequests)
			}
			waits := sl.got()
			if len(waits) != len(tt.wantWaits) {
				t.Fatalf("waits: got %v, want %d waits", waits, len(tt.wantWaits))
			}
			for i, w := range tt.wantWaits {
				if !inRange(waits[i], w.lo, w.hi) {
					t.Errorf("wait %d: got %v, want %v to %v", i, waits[i], w.lo, w.hi)
				}
			}
			st := c.Stats()
			if st.Requests != int64(tt.wantRequests) || st.Retries != int64(len(tt.wantWaits)) {
				t.Errorf("Stats: got %d requests %d retries, want %d and %d", st.Requests, st.Retries, tt.wantRequests, len(tt.wantWaits))
			}
		})
	}
}

func TestCompleteGivesUpWhenTheWaitOutlastsTheDeadline(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Queue(llmtest.KindChat, llmtest.RateLimited("20"), llmtest.Text("late"))
	c, sl := newClient(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Complete(ctx, CompletionRequest{User: "q"})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Complete: got %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Complete took %v, want it to give up at once", d)
	}
	if w := sl.got(); len(w) != 0 {
		t.Errorf("waits: got %v, want none", w)
	}
}

func TestCompleteHangingServer(t *testing.T) {
	tests := []struct {
		name       string
		timeout    time.Duration
		maxRetries int
		ctxTimeout time.Duration // 0: none
		wantMin    time.Duration
		wantMax    time.Duration
		wantReqs   int
		wantIs     []error
	}{
		{
			name: "every attempt bounded by Timeout", timeout: 100 * time.Millisecond, maxRetries: 2,
			wantMin: 300 * time.Millisecond, wantMax: 2 * time.Second, wantReqs: 3,
			wantIs: []error{ErrUnavailable},
		},
		{
			name: "the caller's deadline wins", timeout: 10 * time.Second, maxRetries: 3, ctxTimeout: 150 * time.Millisecond,
			wantMin: 150 * time.Millisecond, wantMax: 2 * time.Second, wantReqs: 1,
			wantIs: []error{ErrUnavailable, context.DeadlineExceeded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithHandler(func(llmtest.Request) llmtest.Reply { return llmtest.Hang() }))
			c, _ := newClient(t, srv, func(cfg *Config) {
				cfg.Timeout = tt.timeout
				cfg.MaxRetries = tt.maxRetries
			})
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			_, err := c.Complete(ctx, CompletionRequest{User: "q"})
			took := time.Since(start)
			if !inRange(took, tt.wantMin, tt.wantMax) {
				t.Errorf("Complete took %v, want %v to %v", took, tt.wantMin, tt.wantMax)
			}
			for _, want := range tt.wantIs {
				if !errors.Is(err, want) {
					t.Errorf("Complete: got %v, want an error matching %v", err, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindTimeout {
				t.Errorf("Complete: got %v, want kind timeout", err)
			}
			if n := len(srv.Requests()); n != tt.wantReqs {
				t.Errorf("requests: got %d, want %d", n, tt.wantReqs)
			}
			// The server notices that the client left; nothing stays held.
			deadline := time.Now().Add(2 * time.Second)
			for srv.Hanging() > 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := srv.Hanging(); n != 0 {
				t.Errorf("requests still held by the server: got %d, want 0", n)
			}
		})
	}
}

func TestCompleteCanceled(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithHandler(func(llmtest.Request) llmtest.Reply { return llmtest.Hang() }))
	c, _ := newClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Complete(ctx, CompletionRequest{User: "q"})
	var e *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || e.Kind != KindCanceled {
		t.Errorf("Complete: got %v, want a canceled *Error", err)
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrConfig) {
		t.Errorf("Complete: got %v, want a cancel to be neither unavailable nor configuration", err)
	}
}

func TestCompleteFormatFallback(t *testing.T) {
	tests := []struct {
		name     string
		rejected []string
		// formats sent by the first call, then by the second
		first, second []string
		fallbacks     int64
	}{
		{"json_schema accepted", nil, []string{"json_schema"}, []string{"json_schema"}, 0},
		{"json_schema rejected", []string{"json_schema"}, []string{"json_schema", "json_object"}, []string{"json_object"}, 1},
		{"both rejected", []string{"json_schema", "json_object"}, []string{"json_schema", "json_object", ""}, []string{""}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithRejectedFormats(tt.rejected...))
			c, _ := newClient(t, srv, nil)
			for call, want := range [][]string{tt.first, tt.second} {
				before := len(srv.Requests())
				srv.Queue(llmtest.KindChat, llmtest.Text("```json\n{\"grounded\":true}\n```"))
				got, err := c.Complete(context.Background(), CompletionRequest{System: "Answer.", User: "q", Schema: &testSchema})
				if err != nil {
					t.Fatalf("call %d: Complete: %v", call, err)
				}
				if got != `{"grounded":true}` {
					t.Errorf("call %d: got %q, want the JSON without its fence", call, got)
				}
				reqs := srv.Requests()[before:]
				var formats []string
				for _, r := range reqs {
					f := ""
					if r.ResponseFormat != nil {
						f = r.ResponseFormat.Type
					}
					formats = append(formats, f)
					system := r.Messages[0].Content
					hasSchema := strings.Contains(system, string(testSchema.JSON))
					if want := f != "json_schema"; hasSchema != want || !strings.HasPrefix(system, "Answer.") {
						t.Errorf("call %d, format %q: system message %q: got schema in it %v, want %v", call, f, system, hasSchema, want)
					}
				}
				if fmt.Sprint(formats) != fmt.Sprint(want) {
					t.Errorf("call %d: got formats %q, want %q", call, formats, want)
				}
			}
			if st := c.Stats(); st.FormatFallbacks != tt.fallbacks || len(st.Failures) != 0 {
				t.Errorf("Stats: got %d fallbacks, failures %v, want %d and none", st.FormatFallbacks, st.Failures, tt.fallbacks)
			}
		})
	}
}

func TestCompleteOtherBadRequestIsNoFallback(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Queue(llmtest.KindChat, llmtest.Status(http.StatusBadRequest, "This model's maximum context length is 128000 tokens."))
	c, _ := newClient(t, srv, nil)
	_, err := c.Complete(context.Background(), CompletionRequest{User: "q", Schema: &testSchema})
	if !errors.Is(err, ErrBadRequest) {
		t.Errorf("Complete: got %v, want ErrBadRequest", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("requests: got %d, want 1", n)
	}
}

func TestCompleteConcurrentFallback(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithRejectedFormats("json_schema"),
		llmtest.WithHandler(func(llmtest.Request) llmtest.Reply { return llmtest.Text(`{"grounded":false}`) }))
	c, _ := newClient(t, srv, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Complete(context.Background(), CompletionRequest{User: "q", Schema: &testSchema})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Complete: %v", err)
		}
	}
	if st := c.Stats(); st.FormatFallbacks != 1 {
		t.Errorf("Stats.FormatFallbacks: got %d, want 1", st.FormatFallbacks)
	}
	if got := formatLevel(c.format.Load()); got != formatJSONObject {
		t.Errorf("remembered format: got %s, want json_object", got)
	}
}

func TestStripFence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"```json\n{\"a\":1}\n```", `{"a":1}`},
		{"  ```\n{\"a\":1}\n```\n", `{"a":1}`},
		{"```JSON\n{\"a\":1}```", `{"a":1}`},
		{`{"a":1}`, `{"a":1}`},
		{"plain text", "plain text"},
		{"```json {\"a\":1}```", "```json {\"a\":1}```"},                         // no newline: not a fence we know
		{"```a\nx\n```\ntext\n```b\ny\n```", "```a\nx\n```\ntext\n```b\ny\n```"}, // two blocks
		{"Here:\n```json\n{}\n```", "Here:\n```json\n{}\n```"},                   // prose first: left to the parser
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := stripFence(tt.in); got != tt.want {
				t.Errorf("stripFence(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompleteLogsPromptsOnlyAtDebug(t *testing.T) {
	srv := llmtest.NewServer(t)
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(level.String(), func(t *testing.T) {
			var b syncBuffer
			logger := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: level}))
			c, err := New(Config{BaseURL: srv.URL, APIKey: srv.APIKey, Sleep: (&sleeps{}).sleep}, logger)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			srv.Queue(llmtest.KindChat, llmtest.Status(500, ""), llmtest.Text("ok"))
			if _, err := c.Complete(context.Background(), CompletionRequest{User: "the secret question"}); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			logs := b.String()
			if got, want := strings.Contains(logs, "the secret question"), level == slog.LevelDebug; got != want {
				t.Errorf("prompt in the logs at %s: got %v, want %v:\n%s", level, got, want, logs)
			}
			if !strings.Contains(logs, "level=WARN msg=\"model request failed; retrying\"") {
				t.Errorf("logs: got %q, want the retry at WARN", logs)
			}
		})
	}
}

// TestCompleteBoundsTheReplyRead checks that a reply larger than a chat
// reply can be is refused as unusable after reading at most the bound, not
// read whole, and that one within the bound is read.
func TestCompleteBoundsTheReplyRead(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		wantErr error
	}{
		{"a reply within the bound", maxResponseBytes / 2, nil},
		{"a reply of twice the bound", 2 * maxResponseBytes, ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Queue(llmtest.KindChat, llmtest.Text(strings.Repeat("a", tt.size)))
			// No retries, and time enough on a loaded machine: the only
			// failure wanted is the size.
			c, _ := newClient(t, srv, func(c *Config) { c.MaxRetries, c.Timeout = -1, time.Minute })
			got, err := c.Complete(context.Background(), CompletionRequest{User: "q"})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Complete: got error %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(got) != tt.size {
				t.Errorf("Complete: got %d bytes, want %d", len(got), tt.size)
			}
			var e *Error
			if errors.As(err, &e) && e.Kind != KindBadResponse {
				t.Errorf("Complete: kind %q, want %q", e.Kind, KindBadResponse)
			}
		})
	}
}

func TestLimitedBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{"shorter", "abc", 5, nil},
		{"exactly the limit", "abcde", 5, nil},
		{"one byte over", "abcdef", 5, errResponseTooLarge},
		{"far over", strings.Repeat("x", 100000), 10, errResponseTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &limitedBody{rc: io.NopCloser(strings.NewReader(tt.body)), left: tt.limit}
			got, err := io.ReadAll(b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll: got error %v, want %v", err, tt.wantErr)
			}
			if int64(len(got)) > tt.limit {
				t.Errorf("ReadAll: got %d bytes, want at most %d", len(got), tt.limit)
			}
			if err == nil && string(got) != tt.body {
				t.Errorf("ReadAll: got %q, want %q", got, tt.body)
			}
		})
	}
}
