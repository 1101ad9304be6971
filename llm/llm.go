// Package llm is briefbot's client for OpenAI-compatible model servers:
// OpenAI itself, Azure OpenAI, and servers that speak the same HTTP API
// (Ollama, vLLM, LocalAI, LiteLLM). It wraps github.com/sashabaranov/go-openai
// with what that library leaves out: bounded attempts, retries with backoff
// that honour Retry-After, structured output with a fallback for servers that
// do not support it, L2-normalised batched embeddings, a start-up Check that
// explains a wrong setting in one sentence, and typed errors.
package llm

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Names of the settings, as the bot's environment spells them (see
// .env.example). The package never reads the environment (only cmd/bot
// does); it names them in error messages so that a user knows which setting
// to fix. The API key is OPENAI_API_KEY for Azure OpenAI too.
const (
	EnvAPIKey               = "OPENAI_API_KEY"
	EnvBaseURL              = "OPENAI_BASE_URL"
	EnvChatModel            = "OPENAI_CHAT_MODEL"
	EnvEmbedModel           = "OPENAI_EMBED_MODEL"
	EnvAzureEndpoint        = "AZURE_OPENAI_ENDPOINT"
	EnvAzureDeployment      = "AZURE_OPENAI_DEPLOYMENT"
	EnvAzureAPIVersion      = "AZURE_OPENAI_API_VERSION"
	EnvAzureEmbedDeployment = "AZURE_OPENAI_EMBED_DEPLOYMENT"
)

const (
	defaultBaseURL         = "https://api.openai.com/v1"
	defaultChatModel       = "gpt-4o-mini"
	defaultEmbedModel      = "text-embedding-3-small"
	defaultAzureAPIVersion = "2024-10-21"
	defaultTimeout         = 30 * time.Second
	defaultMaxRetries      = 3
	defaultEmbedBatch      = 96
	maxEmbedBatch          = 2048 // OpenAI's limit on inputs per request
)

// Config configures a Client. The zero value of every field but APIKey (and
// the Azure fields, for Azure) has a sensible default.
type Config struct {
	// BaseURL is the API's base URL, e.g. "http://localhost:11434/v1" for
	// Ollama; "" means OpenAI's (https://api.openai.com/v1).
	BaseURL string
	// APIKey is sent as "Authorization: Bearer KEY" (or as the "api-key"
	// header for Azure). It is required for OpenAI and Azure, optional for
	// other servers. It never appears in errors or logs.
	APIKey string
	// AzureEndpoint, e.g. "https://myresource.openai.azure.com", selects
	// Azure OpenAI. AzureDeployment is then the chat deployment's name
	// (required) and AzureAPIVersion the API version (default "2024-10-21",
	// the first GA version with structured outputs).
	AzureEndpoint, AzureDeployment, AzureAPIVersion string
	// AzureEmbedDeployment is the Azure deployment used for embeddings;
	// Embed fails with ErrConfig on Azure when it is empty.
	AzureEmbedDeployment string
	// ChatModel is the chat model's name; default "gpt-4o-mini".
	ChatModel string
	// EmbedModel is the embedding model's name; default
	// "text-embedding-3-small".
	EmbedModel string
	// Timeout bounds every attempt (connect, send, wait, read); default 30s.
	Timeout time.Duration
	// MaxRetries is how many times a failed request is retried; 0 means the
	// default, 3, and a negative value means no retries.
	MaxRetries int
	// EmbedBatch is the number of texts per embeddings request; default 96.
	EmbedBatch int
	// HTTPClient is the HTTP client to use; it is copied, never modified.
	// Default: a client with http.DefaultTransport.
	HTTPClient *http.Client
	// Sleep waits between attempts; tests replace it to observe waits
	// without sleeping. It must return early with ctx's error when ctx is
	// done. Default: a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one model server. It is safe for concurrent use.
type Client struct {
	api      *openai.Client // chat, models and (not Azure) embeddings
	embedAPI *openai.Client // embeddings; nil on Azure without an embed deployment

	azure      bool
	baseURL    string // for messages: no user info, no query
	deployment string // Azure chat deployment
	apiVersion string // Azure API version
	apiKey     string // only to redact it from messages

	chatModel  string
	embedModel string
	timeout    time.Duration
	maxRetries int
	embedBatch int
	sleep      func(ctx context.Context, d time.Duration) error
	log        *slog.Logger

	// format is the most capable response_format the server is known to
	// accept (a formatLevel); it only ever goes down.
	format atomic.Int32
	stats  stats
}

// New validates cfg and returns a Client. Its errors are sentences that name
// the setting to fix and wrap ErrConfig. A nil logger discards logs.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	key := strings.TrimSpace(cfg.APIKey)
	c := &Client{
		apiKey:     key,
		chatModel:  strings.TrimSpace(cfg.ChatModel),
		embedModel: strings.TrimSpace(cfg.EmbedModel),
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		embedBatch: cfg.EmbedBatch,
		sleep:      cfg.Sleep,
		log:        logger,
	}
	c.stats.init()
	if c.chatModel == "" {
		c.chatModel = defaultChatModel
	}
	if c.embedModel == "" {
		c.embedModel = defaultEmbedModel
	}
	switch {
	case c.timeout == 0:
		c.timeout = defaultTimeout
	case c.timeout < 0:
		return nil, configErrorf("the model request timeout %v is negative: give a positive duration", cfg.Timeout)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	switch {
	case c.embedBatch == 0:
		c.embedBatch = defaultEmbedBatch
	case c.embedBatch < 0 || c.embedBatch > maxEmbedBatch:
		return nil, configErrorf("the embeddings batch size %d is out of range: give 1 to %d", cfg.EmbedBatch, maxEmbedBatch)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	c.azure = strings.TrimSpace(cfg.AzureEndpoint) != ""
	if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, configErrorf("the API key contains spaces or control characters: check %s", EnvAPIKey)
	}
	httpClient := captureClient(cfg.HTTPClient)

	if c.azure {
		if err := c.configureAzure(cfg, httpClient); err != nil {
			return nil, err
		}
		return c, nil
	}

	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = defaultBaseURL
		if key == "" {
			return nil, configErrorf("OpenAI needs an API key: set %s (or set %s to a local OpenAI-compatible server)", EnvAPIKey, EnvBaseURL)
		}
	}
	shown, err := checkURL(base, EnvBaseURL)
	if err != nil {
		return nil, err
	}
	c.baseURL = shown
	oc := openai.DefaultConfig(key)
	oc.BaseURL = strings.TrimRight(base, "/")
	oc.HTTPClient = httpClient
	c.api = openai.NewClientWithConfig(oc)
	c.embedAPI = c.api
	c.format.Store(int32(formatSchema))
	return c, nil
}

// configureAzure sets c up for Azure OpenAI.
func (c *Client) configureAzure(cfg Config, httpClient *http.Client) error {
	if strings.TrimSpace(cfg.BaseURL) != "" {
		return configErrorf("both %s and %s are set: set only one (%s is for Azure OpenAI)", EnvBaseURL, EnvAzureEndpoint, EnvAzureEndpoint)
	}
	endpoint := strings.TrimSpace(cfg.AzureEndpoint)
	shown, err := checkURL(endpoint, EnvAzureEndpoint)
	if err != nil {
		return err
	}
	c.baseURL = shown
	if c.apiKey == "" {
		return configErrorf("Azure OpenAI needs an API key: set %s", EnvAPIKey)
	}
	c.deployment = strings.TrimSpace(cfg.AzureDeployment)
	if c.deployment == "" {
		return configErrorf("Azure OpenAI needs the chat deployment's name: set %s", EnvAzureDeployment)
	}
	c.apiVersion = strings.TrimSpace(cfg.AzureAPIVersion)
	if c.apiVersion == "" {
		c.apiVersion = defaultAzureAPIVersion
	}
	newAPI := func(deployment string) *openai.Client {
		oc := openai.DefaultAzureConfig(c.apiKey, strings.TrimRight(endpoint, "/"))
		oc.APIVersion = c.apiVersion
		oc.AzureModelMapperFunc = func(string) string { return deployment }
		oc.HTTPClient = httpClient
		return openai.NewClientWithConfig(oc)
	}
	c.api = newAPI(c.deployment)
	if d := strings.TrimSpace(cfg.AzureEmbedDeployment); d != "" {
		c.embedAPI = newAPI(d)
	}
	c.format.Store(int32(formatSchema))
	return nil
}

// checkURL checks that raw is an absolute http(s) URL and returns the form
// of it that is safe to show: without user info, query or fragment.
func checkURL(raw, setting string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", configErrorf("%s must be an http:// or https:// URL such as http://localhost:11434/v1", setting)
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return strings.TrimRight(u.String(), "/"), nil
}

// ChatModel returns the name of the chat model the client asks for.
func (c *Client) ChatModel() string { return c.chatModel }

// EmbedModel returns the name of the embedding model the client asks for.
func (c *Client) EmbedModel() string { return c.embedModel }

// configErrorf returns a configuration error: a sentence wrapping ErrConfig.
func configErrorf(format string, args ...any) error {
	return &sentenceError{msg: fmt.Sprintf(format, args...), err: ErrConfig}
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
