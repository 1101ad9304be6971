// Package slackbot is briefbot's Slack app. It answers @-mentions in their
// threads (and follow-ups in those threads), direct messages, and the
// /briefing, /ask and /source slash commands, over Socket Mode or the HTTP
// Events API, rendering each answer with its verbatim quotes in Block Kit.
// In direct messages it also adds the links and files people share as
// articles, when its Service is an Ingester; PostBriefing posts the daily
// briefing to a channel, and Run posts that of every channel subscribed with
// /briefing subscribe at its time. A channel that follows some outlets or a
// topic (/briefing follow) is answered from them, when its Service is a
// ScopedAnswerer; the Home tab shows what a Librarian says of its articles.
// It asks a Service for answers and never talks to retrieval or the model
// itself.
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
	maxRemembered   = 10000     // threads, and answers, kept for follow-ups and buttons
	eventMemory     = time.Hour // requests already handled: Slack retries within minutes
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
// Handler in an HTTP server of your own and call Wait before exiting (the
// channels' daily briefings are posted only under Run).
type Bot struct {
	cfg      Config
	svc      Service
	log      *slog.Logger
	api      *slack.Client
	gatherer prometheus.Gatherer
	metrics  *metrics
	feedback *FeedbackStore
	limiter  *userLimiter
	channels *channelBook // per-channel subscriptions and follows

	// seen holds the requests already handled: event IDs, messages
	// (channel/ts), slash command triggers and button clicks.
	seen    *seenSet
	threads *keptMap[threadMemory] // channel/thread_ts the bot answered in
	answers *keptMap[storedAnswer] // button references
	// assistant holds the assistant threads and their context channels.
	assistant *assistantThreads
	// noStream holds the channels where Slack refused to stream lately.
	noStream *ttlCache[string, struct{}]

	idMu sync.Mutex
	id   identity

	taskMu   sync.Mutex
	draining bool
	jobs     chan job // answers to compute; nil until the first submit
	busyJobs chan job // busy replies to post
	workers  sync.WaitGroup
	tasks    sync.WaitGroup
	pending  atomic.Int64 // tasks queued or running, for tests and shutdown
	inflight atomic.Int64 // tasks running, for the metric and tests
	// undelivered counts replies Slack never got; lost counts acked tasks
	// dropped at shutdown before they started.
	undelivered atomic.Int64
	lost        atomic.Int64
	// failedBeforeDrain and lostReported (under taskMu) let Wait report
	// the losses of the shutdown, each once.
	failedBeforeDrain int64
	lostReported      int64
	stop              chan struct{} // closed when the shutdown wait runs out
	stopOnce          sync.Once
}

// identity is who the bot is in the workspace, from auth.test.
type identity struct {
	userID, botID, teamID string
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
	if cfg.State == nil {
		return nil, errors.New("new slack bot: no state store")
	}
	cfg = cfg.withDefaults()
	fb, err := OpenFeedback(cfg.State, cfg.DataDir, logger)
	if err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
	}
	channels, err := openChannelBook(cfg.State)
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
		channels: channels,
		limiter:  newUserLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now),
		noStream: newTTLCache[string, struct{}](maxRemembered, streamRefusalMemory, cfg.Now),
		stop:     make(chan struct{}),
	}
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "briefbot_slack_tasks_in_flight",
			Help: "Answers and button clicks being handled right now.",
		}, func() float64 { return float64(b.inflight.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "briefbot_slack_tasks_pending",
			Help: "Answers and button clicks acked and not finished yet (queued or running).",
		}, func() float64 { return float64(b.pending.Load()) }),
	}
	for _, g := range gauges {
		if err := reg.Register(g); err != nil {
			return nil, fmt.Errorf("new slack bot: register metrics: %w", err)
		}
	}
	if b.assistant, err = loadAssistantThreads(cfg.State, cfg.Now, logger); err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
	}
	// Their background writers start with the first change; Wait stops
	// them.
	if b.threads, b.answers, err = newConversationMemory(cfg.State, cfg.Now, logger); err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
	}
	if b.seen, err = newSeenSet(cfg.State, eventMemory, seenFlushEvery, cfg.Now, logger); err != nil {
		return nil, fmt.Errorf("new slack bot: %w", err)
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
				// Only failures that provably never reached Slack, and
				// answers Slack gave (5xx, 429): never a blind re-send
				// after a connection broke while Slack may have posted.
				&dialFailed{wait: cfg.retryWait, bot: b},
				&serverError{wait: cfg.retryWait, bot: b},
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
	// The subscribed channels' daily briefings, until the connection ends.
	schedCtx, stopSchedule := context.WithCancel(ctx)
	var schedule sync.WaitGroup
	schedule.Go(func() { b.runSchedule(schedCtx) })
	var runErr error
	switch b.cfg.Mode() {
	case "socket":
		runErr = b.runSocket(ctx)
	default:
		runErr = b.runHTTP(ctx)
	}
	stopSchedule()
	schedule.Wait()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(runErr, b.Wait(wctx))
}

// Wait stops the bot taking on new answers and waits until the answers
// queued and in flight are posted. When ctx is done first it cancels them,
// gives them a moment to stop, and returns ctx's error. It then writes the
// de-duplication state still to be saved. Answers that were acked but not
// delivered while it waited (cancelled, or refused by Slack) are logged and
// make it return an error, so a shutdown that lost answers does not look
// clean.
func (b *Bot) Wait(ctx context.Context) error {
	b.taskMu.Lock()
	first := !b.draining
	b.draining = true
	if first && b.jobs != nil {
		close(b.jobs)
		close(b.busyJobs)
	}
	if first {
		b.failedBeforeDrain = b.undelivered.Load()
	}
	b.taskMu.Unlock()
	pending := b.pending.Load() // queued or running
	start := time.Now()
	if pending > 0 {
		b.log.Info("shutdown: waiting for answers in flight", "in_flight", pending)
	}
	done := make(chan struct{})
	go func() {
		b.tasks.Wait()
		b.workers.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
		if pending > 0 {
			b.log.Info("shutdown: answers in flight finished", "finished", pending, "took", time.Since(start).Round(time.Millisecond))
		}
	case <-ctx.Done():
		left := b.pending.Load()
		b.stopOnce.Do(func() { close(b.stop) })
		t := time.NewTimer(2 * time.Second)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
		b.log.Warn("shutdown: answers in flight were cancelled", "finished", pending-left, "cancelled", left, "took", time.Since(start).Round(time.Millisecond))
		err = fmt.Errorf("wait for answers in flight: %w", ctx.Err())
	}
	if ferr := b.seen.Close(); ferr != nil {
		b.log.Error("saving the events already handled failed", "err", ferr)
		err = errors.Join(err, ferr)
	}
	if ferr := errors.Join(b.threads.Close(), b.answers.Close()); ferr != nil {
		b.log.Error("saving the conversation memory failed", "err", ferr)
		err = errors.Join(err, ferr)
	}
	// Report each loss once, should Wait be called again.
	b.taskMu.Lock()
	total := b.lost.Load() + b.undelivered.Load() - b.failedBeforeDrain + b.pending.Load()
	lost := total - b.lostReported
	b.lostReported = total
	b.taskMu.Unlock()
	if lost > 0 {
		b.log.Error("shutdown: answers were not delivered", "lost", lost,
			"not_started", b.lost.Load(), "still_running", b.pending.Load())
		err = errors.Join(err, fmt.Errorf("shutdown: %s not delivered", plural(int(lost), "answer was", "answers were")))
	}
	return err
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
	b.id = identity{userID: resp.UserID, botID: resp.BotID, teamID: resp.TeamID}
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
