// Package slackbot is briefbot's Slack app. It answers @-mentions in their
// threads (and follow-ups in those threads), direct messages, and the
// /briefing, /ask and /source slash commands, over Socket Mode or the HTTP
// Events API, rendering each answer with its verbatim quotes in Block Kit.
// In direct messages it also adds the links and files people share as
// articles, when its Service is an Ingester; PostBriefing posts the daily
// briefing to a channel. It asks a Service for answers and never talks to
// retrieval or the model itself.
package slackbot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
)

// Service is what the Slack app needs from the briefing engine.
type Service interface {
	// Answer answers a question; history holds the earlier turns of the
	// conversation, oldest first.
	Answer(ctx context.Context, question string, history []answer.Turn) (answer.Answer, error)
	// Source finds where a piece of text appears in the articles.
	Source(ctx context.Context, text string) (answer.SourceResult, error)
	// Briefing builds the briefing for a day or a topic.
	Briefing(ctx context.Context, req BriefingRequest) (briefing.Briefing, error)
}

// Sizes and lifetimes of what the bot remembers.
const (
	maxRemembered   = 10000
	eventMemory     = time.Hour      // event IDs and message timestamps already handled
	threadLifetime  = 24 * time.Hour // threads the bot answered in, for follow-ups
	answerLifetime  = 24 * time.Hour // answers the buttons refer to
	maxHistoryTurns = 12
	maxRetryAfter   = time.Minute
	// replyBudget is the time left to post a reply (or an apology) after
	// the answer itself has used up AnswerTimeout.
	replyBudget     = 15 * time.Second
	maxSlackRetries = 3
	// maxResponseURLPosts is how often Slack lets an app use a response_url.
	maxResponseURLPosts = 5
)

// Bot is the Slack app. Create it with New and start it with Run, or mount
// Handler in an HTTP server of your own and call Wait before exiting.
type Bot struct {
	cfg      Config
	svc      Service
	log      *slog.Logger
	api      *slack.Client
	gatherer prometheus.Gatherer
	metrics  *metrics
	feedback *FeedbackStore
	limiter  *userLimiter

	events   *ttlCache[string, struct{}]     // event IDs handled
	messages *ttlCache[string, struct{}]     // channel/ts of messages answered
	threads  *ttlCache[string, threadMemory] // channel/thread_ts the bot answered in
	answers  *ttlCache[string, storedAnswer] // button references

	idMu sync.Mutex
	id   identity

	taskMu   sync.Mutex
	draining bool
	tasks    sync.WaitGroup
	inflight atomic.Int64  // tasks running, for the metric and tests
	stop     chan struct{} // closed when the shutdown wait runs out
	stopOnce sync.Once
}

// identity is who the bot is in the workspace, from auth.test.
type identity struct {
	userID, botID string
}

// storedAnswer is an answer the bot posted, kept so its buttons can share
// it and record feedback about it.
type storedAnswer struct {
	kind      string
	question  string
	answer    string
	citations []answer.Citation
	channel   string
	render    func(renderOpts) []message
}

// threadMemory is what the bot remembers of a thread it answered in.
type threadMemory struct {
	turns []answer.Turn
	// botTexts maps the timestamps of the bot's messages in the thread to
	// the answer they carried ("" for the continuation of a long answer).
	botTexts map[string]string
}

// New returns a bot for cfg that asks svc for answers, logs to logger and
// registers its metrics on reg. reg must also be a prometheus.Gatherer
// (such as a *prometheus.Registry) so /metrics can serve it; nil means a new
// registry. New does no I/O; Run checks the token with Slack.
func New(cfg Config, svc Service, logger *slog.Logger, reg prometheus.Registerer) (*Bot, error) {
	if cfg.Mode() == "" {
		return nil, fmt.Errorf("%w: no Slack settings: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, errors.New("new slack bot: no service")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var gatherer prometheus.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gatherer = r, r
	} else {
		g, ok := reg.(prometheus.Gatherer)
		if !ok {
			return nil, errors.New("new slack bot: the metrics registerer is not a prometheus.Gatherer")
		}
		gatherer = g
	}
	cfg = cfg.withDefaults()
	fb, err := OpenFeedback(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
	}
	m, err := newMetrics(reg, svc)
	if err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
	}
	b := &Bot{
		cfg:      cfg,
		svc:      svc,
		log:      logger,
		gatherer: gatherer,
		metrics:  m,
		feedback: fb,
		limiter:  newUserLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now),
		events:   newTTLCache[string, struct{}](maxRemembered, eventMemory, cfg.Now),
		messages: newTTLCache[string, struct{}](maxRemembered, eventMemory, cfg.Now),
		threads:  newTTLCache[string, threadMemory](maxRemembered, threadLifetime, cfg.Now),
		answers:  newTTLCache[string, storedAnswer](maxRemembered, answerLifetime, cfg.Now),
		stop:     make(chan struct{}),
	}
	inflight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "briefbot_slack_tasks_in_flight",
		Help: "Answers and button clicks being handled right now.",
	}, func() float64 { return float64(b.inflight.Load()) })
	if err := reg.Register(inflight); err != nil {
		return nil, fmt.Errorf("new slack bot: register metrics: %w", err)
	}
	opts := []slack.Option{
		slack.OptionHTTPClient(cfg.HTTPClient),
		// After OptionHTTPClient, so the retries wrap that client.
		slack.OptionRetryConfig(slack.RetryConfig{
			MaxRetries:     maxSlackRetries,
			BackoffInitial: 100 * time.Millisecond,
			BackoffMax:     5 * time.Second,
			BackoffJitter:  50 * time.Millisecond,
			Handlers: []slack.RetryHandler{
				slack.NewConnectionErrorRetryHandler(),
				&retryAfter{wait: cfg.retryWait, bot: b},
			},
		}),
		slack.OptionLog(slog.NewLogLogger(logger.Handler(), slog.LevelDebug)),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	b.api = slack.New(cfg.BotToken, opts...)
	return b, nil
}

// Run connects to Slack (Socket Mode when an app token is set, else the
// HTTP Events API on Config.Addr) and handles requests until ctx is done.
// It then waits for the answers in flight, at most Config.ShutdownTimeout,
// and returns. It returns early with an error when Slack rejects the token.
func (b *Bot) Run(ctx context.Context) error {
	me, err := b.identity(ctx)
	if err != nil {
		return err
	}
	b.log.Info("connected to slack", "mode", b.cfg.Mode(), "bot_user", me.userID)
	var runErr error
	switch b.cfg.Mode() {
	case "socket":
		runErr = b.runSocket(ctx)
	default:
		runErr = b.runHTTP(ctx)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(runErr, b.Wait(wctx))
}

// Wait stops the bot taking on new answers and waits until the answers in
// flight are posted. When ctx is done first it cancels them, gives them a
// moment to stop, and returns ctx's error.
func (b *Bot) Wait(ctx context.Context) error {
	b.taskMu.Lock()
	b.draining = true
	pending := b.inflight.Load()
	b.taskMu.Unlock()
	start := time.Now()
	if pending > 0 {
		b.log.Info("shutdown: waiting for answers in flight", "in_flight", pending)
	}
	done := make(chan struct{})
	go func() {
		b.tasks.Wait()
		close(done)
	}()
	select {
	case <-done:
		if pending > 0 {
			b.log.Info("shutdown: answers in flight finished", "finished", pending, "took", time.Since(start).Round(time.Millisecond))
		}
		return nil
	case <-ctx.Done():
	}
	left := b.inflight.Load()
	b.stopOnce.Do(func() { close(b.stop) })
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	b.log.Warn("shutdown: answers in flight were cancelled", "finished", pending-left, "cancelled", left, "took", time.Since(start).Round(time.Millisecond))
	return fmt.Errorf("wait for answers in flight: %w", ctx.Err())
}

// spawn runs fn in a goroutine tracked for shutdown, with a context that
// outlives the request that started it (parent's values, not its
// cancellation) but is bounded by AnswerTimeout plus the time to post the
// reply, and cancelled when the shutdown wait runs out. It reports false
// when the bot is shutting down.
func (b *Bot) spawn(parent context.Context, what string, fn func(ctx context.Context)) bool {
	b.taskMu.Lock()
	if b.draining {
		b.taskMu.Unlock()
		b.log.Warn("shutting down: request dropped", "what", what)
		return false
	}
	b.tasks.Add(1)
	b.inflight.Add(1)
	b.taskMu.Unlock()
	go func() {
		defer b.tasks.Done()
		defer b.inflight.Add(-1)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), b.cfg.AnswerTimeout+replyBudget)
		defer cancel()
		go func() {
			select {
			case <-b.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("panic while handling a slack request", "what", what, "panic", r)
			}
		}()
		fn(ctx)
	}()
	return true
}

// identity returns the bot's user and bot IDs, asking auth.test once.
func (b *Bot) identity(ctx context.Context) (identity, error) {
	b.idMu.Lock()
	defer b.idMu.Unlock()
	if b.id.userID != "" {
		return b.id, nil
	}
	resp, err := b.api.AuthTestContext(ctx)
	if err != nil {
		b.metrics.slackErrors.WithLabelValues("auth.test").Inc()
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return identity{}, fmt.Errorf("slack rejected SLACK_BOT_TOKEN: %w; check the Bot User OAuth Token on your app's OAuth & Permissions page", err)
		}
		return identity{}, fmt.Errorf("auth.test: %w", err)
	}
	b.id = identity{userID: resp.UserID, botID: resp.BotID}
	return b.id, nil
}

// retryAfter is a slack-go retry handler for 429 answers: it waits as long
// as Slack's Retry-After header says (at most a minute) and counts the
// retry.
type retryAfter struct {
	wait func(time.Duration) time.Duration
	bot  *Bot
}

// ShouldRetry implements slack.RetryHandler.
func (h *retryAfter) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || state.Attempt >= state.MaxRetries {
		return false, 0
	}
	if req.Body != nil && req.GetBody == nil {
		return false, 0
	}
	d := time.Second
	if s := strings.TrimSpace(resp.Header.Get("Retry-After")); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			d = time.Duration(n) * time.Second
		}
	}
	d = min(d, maxRetryAfter)
	h.bot.metrics.slackRetries.Inc()
	h.bot.log.Warn("slack rate limited the bot; retrying", "path", req.URL.Path, "retry_after", d, "attempt", state.Attempt+1)
	return true, h.wait(d)
}

// newRef returns a short random reference for an answer's buttons.
func newRef() string {
	var p [9]byte
	_, _ = rand.Read(p[:])
	return hex.EncodeToString(p[:])
}

// remember stores an answer for its buttons and returns its reference.
func (b *Bot) remember(s storedAnswer) string {
	ref := newRef()
	b.answers.Put(ref, s)
	return ref
}
