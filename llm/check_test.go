package llm

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/llm/llmtest"
)

// closedURL returns a base URL on which nothing listens.
func closedURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1"
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    []llmtest.Option
		models  []llmtest.Reply // queued for GET /v1/models
		chat    []llmtest.Reply // queued for chat completions
		edit    func(cfg *Config, srv *llmtest.Server)
		want    string // "" for no error; {URL} stands for the base URL shown
		wantIs  error
		wantReq []llmtest.Kind
	}{
		{
			name:    "model listed",
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "model listed with :latest (Ollama)",
			opts:    []llmtest.Option{llmtest.WithModels("llama3.2:latest")},
			edit:    func(cfg *Config, _ *llmtest.Server) { cfg.ChatModel = "llama3.2" },
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "no /models: a one-token completion decides",
			opts:    []llmtest.Option{llmtest.WithoutModelsEndpoint()},
			wantReq: []llmtest.Kind{llmtest.KindModels, llmtest.KindChat},
		},
		{
			name:    "wrong key",
			edit:    func(cfg *Config, _ *llmtest.Server) { cfg.APIKey = "sk-wrong-key-1234567890" },
			want:    "the model server at {URL} rejected the API key (401): check OPENAI_API_KEY",
			wantIs:  ErrAuth,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "no key",
			edit:    func(cfg *Config, _ *llmtest.Server) { cfg.APIKey = "" },
			want:    "the model server at {URL} asks for an API key (401): set OPENAI_API_KEY",
			wantIs:  ErrAuth,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "403",
			models:  []llmtest.Reply{llmtest.Status(403, "Project does not have access")},
			want:    "the model server at {URL} rejected the API key (403): check OPENAI_API_KEY",
			wantIs:  ErrAuth,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "unknown model",
			opts:    []llmtest.Option{llmtest.WithModels("llama3.2:latest", "nomic-embed-text:latest")},
			edit:    func(cfg *Config, _ *llmtest.Server) { cfg.ChatModel = "gpt-4o" },
			want:    `the model server at {URL} does not serve the model "gpt-4o" (404): check OPENAI_CHAT_MODEL (it offers llama3.2:latest, nomic-embed-text:latest)`,
			wantIs:  ErrNotFound,
			wantReq: []llmtest.Kind{llmtest.KindModels, llmtest.KindChat},
		},
		{
			name:   "unknown model, no /models",
			opts:   []llmtest.Option{llmtest.WithoutModelsEndpoint()},
			edit:   func(cfg *Config, _ *llmtest.Server) { cfg.ChatModel = "gpt-4o" },
			want:   `the model server at {URL} does not serve the model "gpt-4o" (404): check OPENAI_CHAT_MODEL`,
			wantIs: ErrNotFound, wantReq: []llmtest.Kind{llmtest.KindModels, llmtest.KindChat},
		},
		{
			name:    "wrong base URL",
			edit:    func(cfg *Config, srv *llmtest.Server) { cfg.BaseURL = srv.AzureEndpoint + "/api" },
			want:    "the model server at {URL} has no OpenAI-compatible API at that address (404): check OPENAI_BASE_URL (it usually ends in /v1)",
			wantIs:  ErrNotFound,
			wantReq: []llmtest.Kind{"", ""},
		},
		{
			name:    "server error",
			models:  []llmtest.Reply{llmtest.Status(500, "")},
			want:    "the model server at {URL} failed with status 500: try again later or check the server's logs",
			wantIs:  ErrUnavailable,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "rate limited passes",
			models:  []llmtest.Reply{llmtest.RateLimited("20")},
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "no quota",
			models:  []llmtest.Reply{{Status: 429, ErrorType: "insufficient_quota", ErrorCode: "insufficient_quota"}},
			want:    "the model server at {URL} says the account has no quota left (429 insufficient_quota): add credit or check OPENAI_API_KEY",
			wantIs:  ErrUnavailable,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "hangs",
			models:  []llmtest.Reply{llmtest.Hang()},
			edit:    func(cfg *Config, _ *llmtest.Server) { cfg.Timeout = 200 * time.Millisecond },
			want:    "the model server at {URL} did not answer within 200ms: check OPENAI_BASE_URL and that the server is up",
			wantIs:  ErrUnavailable,
			wantReq: []llmtest.Kind{llmtest.KindModels},
		},
		{
			name:    "not an OpenAI API",
			models:  []llmtest.Reply{{Body: "<html>Welcome</html>", ContentType: "text/html"}},
			chat:    []llmtest.Reply{{Body: "<html>Welcome</html>", ContentType: "text/html"}},
			want:    "the model server at {URL} did not answer like an OpenAI-compatible API: check OPENAI_BASE_URL (it usually ends in /v1)",
			wantIs:  ErrBadResponse,
			wantReq: []llmtest.Kind{llmtest.KindModels, llmtest.KindChat},
		},
		{
			name:    "chat model refuses the test",
			opts:    []llmtest.Option{llmtest.WithoutModelsEndpoint()},
			chat:    []llmtest.Reply{llmtest.Status(400, "This is not a chat model.")},
			want:    `the model server at {URL} refused a test request to the model "gpt-4o-mini" (400: This is not a chat model.): check OPENAI_CHAT_MODEL`,
			wantIs:  ErrBadRequest,
			wantReq: []llmtest.Kind{llmtest.KindModels, llmtest.KindChat},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, tt.opts...)
			srv.Queue(llmtest.KindModels, tt.models...)
			srv.Queue(llmtest.KindChat, tt.chat...)
			cfg := Config{BaseURL: srv.URL, APIKey: srv.APIKey, Timeout: 5 * time.Second}
			if tt.edit != nil {
				tt.edit(&cfg, srv)
			}
			c, err := New(cfg, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			err = c.Check(context.Background())
			want := strings.ReplaceAll(tt.want, "{URL}", strings.TrimRight(cfg.BaseURL, "/"))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check: got %q, want no error", err)
			case tt.want != "" && (err == nil || err.Error() != want):
				t.Errorf("Check:\ngot  %v\nwant %s", err, want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Check: got %v, want an error matching %v", err, tt.wantIs)
			}
			var kinds []llmtest.Kind
			for _, r := range srv.Requests() {
				kinds = append(kinds, r.Kind)
			}
			if len(kinds) != len(tt.wantReq) {
				t.Errorf("requests: got %q, want %q", kinds, tt.wantReq)
				return
			}
			for i := range kinds {
				if kinds[i] != tt.wantReq[i] {
					t.Errorf("requests: got %q, want %q", kinds, tt.wantReq)
					break
				}
			}
		})
	}
}

func TestCheckAzure(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(cfg *Config)
		want   string
		wantIs error
	}{
		{name: "ok"},
		{
			name:   "wrong key",
			edit:   func(cfg *Config) { cfg.APIKey = "wrong" },
			want:   "Azure OpenAI at {URL} rejected the API key (401): check OPENAI_API_KEY",
			wantIs: ErrAuth,
		},
		{
			name: "unknown deployment",
			edit: func(cfg *Config) { cfg.AzureDeployment = "gpt4o-typo" },
			want: `Azure OpenAI at {URL} has no deployment "gpt4o-typo", or does not support API version "2024-10-21" (404): ` +
				"check AZURE_OPENAI_DEPLOYMENT and AZURE_OPENAI_API_VERSION",
			wantIs: ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithDeployments("chat"))
			cfg := Config{AzureEndpoint: srv.AzureEndpoint, APIKey: srv.APIKey, AzureDeployment: "chat"}
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := New(cfg, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			err = c.Check(context.Background())
			want := strings.ReplaceAll(tt.want, "{URL}", srv.AzureEndpoint)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check: got %q, want no error", err)
			case tt.want != "" && (err == nil || err.Error() != want):
				t.Errorf("Check:\ngot  %v\nwant %s", err, want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Check: got %v, want an error matching %v", err, tt.wantIs)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Kind != llmtest.KindChat || reqs[0].MaxTokens != 1 {
				t.Errorf("requests: got %+v, want one 1-token chat completion", reqs)
			}
		})
	}
}

func TestCheckTransportFailures(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake fails, as it should
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	refused := closedURL(t)
	dnsFail := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	}}
	tests := []struct {
		name   string
		cfg    Config
		want   string
		wantIs error
	}{
		{
			name:   "connection refused",
			cfg:    Config{BaseURL: refused},
			want:   "could not connect to the model server at " + refused + " (connection refused): check OPENAI_BASE_URL and that the server is running",
			wantIs: ErrUnavailable,
		},
		{
			name:   "DNS failure",
			cfg:    Config{BaseURL: "http://models.example.invalid/v1", HTTPClient: dnsFail},
			want:   "the model server at http://models.example.invalid/v1 cannot be found (DNS lookup failed): check the host name in OPENAI_BASE_URL",
			wantIs: ErrConfig,
		},
		{
			name:   "untrusted certificate",
			cfg:    Config{BaseURL: tlsSrv.URL + "/v1"},
			want:   "the model server at " + tlsSrv.URL + "/v1 has a TLS certificate that is not trusted: check OPENAI_BASE_URL (http:// or https://) and the server's certificate",
			wantIs: ErrConfig,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Timeout = 5 * time.Second
			c, err := New(tt.cfg, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			start := time.Now()
			err = c.Check(context.Background())
			if err == nil || err.Error() != tt.want {
				t.Errorf("Check:\ngot  %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("Check: got %v, want an error matching %v", err, tt.wantIs)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Check took %v, want a quick answer (no retries)", d)
			}
		})
	}
}

func TestCheckCallerDeadline(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Queue(llmtest.KindModels, llmtest.Hang())
	c, _ := newClient(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := c.Check(ctx)
	want := "the model server at " + srv.URL + " did not answer within 300ms: check OPENAI_BASE_URL and that the server is up"
	if err == nil || err.Error() != want {
		t.Errorf("Check:\ngot  %v\nwant %s", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Check: got %v, want it to match context.DeadlineExceeded", err)
	}
}
