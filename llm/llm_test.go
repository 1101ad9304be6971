package llm

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/llm/llmtest"
)

// sleeps records the waits a Client asks for, without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newClient returns a client for srv whose sleeps are recorded, with cfg
// adjusted by edit (which may be nil).
func newClient(tb testing.TB, srv *llmtest.Server, edit func(*Config)) (*Client, *sleeps) {
	tb.Helper()
	sl := &sleeps{}
	cfg := Config{BaseURL: srv.URL, APIKey: srv.APIKey, Timeout: 5 * time.Second, Sleep: sl.sleep}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg, nil)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c, sl
}

// logBuffer returns a Debug-level logger writing to a buffer.
func logBuffer() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"OpenAI without key", Config{}, "OpenAI needs an API key: set OPENAI_API_KEY (or set OPENAI_BASE_URL to a local OpenAI-compatible server)"},
		{"base URL without scheme", Config{BaseURL: "localhost:11434/v1"}, "OPENAI_BASE_URL must be an http:// or https:// URL such as http://localhost:11434/v1"},
		{"base URL ftp", Config{BaseURL: "ftp://example.com/v1"}, "OPENAI_BASE_URL must be an http:// or https:// URL such as http://localhost:11434/v1"},
		{"key with newline", Config{BaseURL: "http://localhost:1/v1", APIKey: "sk-a\nb"}, "the API key contains spaces or control characters: check OPENAI_API_KEY"},
		{"negative timeout", Config{BaseURL: "http://localhost:1/v1", Timeout: -time.Second}, "the model request timeout -1s is negative: give a positive duration"},
		{"batch too big", Config{BaseURL: "http://localhost:1/v1", EmbedBatch: 5000}, "the embeddings batch size 5000 is out of range: give 1 to 2048"},
		{"Azure and base URL", Config{BaseURL: "http://localhost:1/v1", AzureEndpoint: "https://x.openai.azure.com", APIKey: "k", AzureDeployment: "d"},
			"both OPENAI_BASE_URL and AZURE_OPENAI_ENDPOINT are set: set only one (AZURE_OPENAI_ENDPOINT is for Azure OpenAI)"},
		{"Azure without key", Config{AzureEndpoint: "https://x.openai.azure.com", AzureDeployment: "d"}, "Azure OpenAI needs an API key: set OPENAI_API_KEY"},
		{"Azure without deployment", Config{AzureEndpoint: "https://x.openai.azure.com", APIKey: "k"}, "Azure OpenAI needs the chat deployment's name: set AZURE_OPENAI_DEPLOYMENT"},
		{"Azure bad endpoint", Config{AzureEndpoint: "x.openai.azure.com", APIKey: "k", AzureDeployment: "d"}, "AZURE_OPENAI_ENDPOINT must be an http:// or https:// URL such as http://localhost:11434/v1"},
		{"Azure key with space", Config{AzureEndpoint: "https://x.openai.azure.com", APIKey: "a b", AzureDeployment: "d"}, "the API key contains spaces or control characters: check OPENAI_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil)
			if err == nil {
				t.Fatalf("New: got no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("New: got %q, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("New: got %v, want an error matching ErrConfig", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{APIKey: " sk-x \n"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"base URL", c.baseURL, "https://api.openai.com/v1"},
		{"chat model", c.ChatModel(), "gpt-4o-mini"},
		{"embed model", c.EmbedModel(), "text-embedding-3-small"},
		{"timeout", c.timeout, 30 * time.Second},
		{"max retries", c.maxRetries, 3},
		{"embed batch", c.embedBatch, 96},
		{"key trimmed", c.apiKey, "sk-x"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	noRetries, err := New(Config{BaseURL: "http://localhost:1/v1/", MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if noRetries.maxRetries != 0 {
		t.Errorf("MaxRetries -1: got %d retries, want 0", noRetries.maxRetries)
	}
	if noRetries.baseURL != "http://localhost:1/v1" {
		t.Errorf("base URL: got %q, want it without the trailing slash", noRetries.baseURL)
	}
}

func TestNewHidesURLUserInfo(t *testing.T) {
	c, err := New(Config{BaseURL: "http://user:secret@localhost:1/v1?token=abc"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if want := "http://localhost:1/v1"; c.baseURL != want {
		t.Errorf("shown base URL: got %q, want %q", c.baseURL, want)
	}
}

func TestNewLeavesHTTPClientAlone(t *testing.T) {
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	if _, err := New(Config{BaseURL: "http://localhost:1/v1", HTTPClient: hc}, nil); err != nil {
		t.Fatalf("New: %v", err)
	}
	if hc.Transport != tr || hc.Timeout != time.Minute {
		t.Errorf("New changed the caller's http.Client: got transport %T timeout %v", hc.Transport, hc.Timeout)
	}
}

// TestKeyNeverShown sends the key back in error bodies and checks that it
// appears in no error and no log line, at any level.
func TestKeyNeverShown(t *testing.T) {
	const key = "sk-live-THE-SECRET-KEY-0123456789"
	srv := llmtest.NewServer(t, llmtest.WithAPIKey(key))
	logger, logs := logBuffer()
	c, err := New(Config{BaseURL: srv.URL, APIKey: key, MaxRetries: 1, Sleep: (&sleeps{}).sleep}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	echo := "bad key " + key + " given"
	srv.Queue(llmtest.KindChat, llmtest.Status(500, echo), llmtest.Status(400, echo))
	srv.Queue(llmtest.KindModels, llmtest.Status(401, echo))
	_, cerr := c.Complete(context.Background(), CompletionRequest{User: "hi"})
	kerr := c.Check(context.Background())
	for name, e := range map[string]error{"Complete": cerr, "Check": kerr} {
		if e == nil {
			t.Fatalf("%s: got no error, want one", name)
		}
		if strings.Contains(e.Error(), key) {
			t.Errorf("%s error shows the key: %q", name, e)
		}
	}
	if !strings.Contains(cerr.Error(), "bad key [redacted] given") {
		t.Errorf("Complete error: got %q, want the server's message with the key redacted", cerr)
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("logs show the key:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("logs: got %q, want a retry logged", logs)
	}
}
