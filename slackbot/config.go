package slackbot

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/briefbot/briefbot/briefing"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultAddr          = ":3000"
	DefaultAnswerTimeout = 60 * time.Second
	DefaultRateBurst     = 3
	DefaultMaxBodyBytes  = 1 << 20
	DefaultMaxFileBytes  = 5 << 20
)

// DefaultRateLimit is the per-user rate used when Config.RateLimit is zero:
// six questions a minute.
const DefaultRateLimit = rate.Limit(6.0 / 60.0)

// Config holds everything the Slack app needs. cmd/bot fills it from the
// environment; the field comments name the variables it reads.
type Config struct {
	// BotToken is the bot user OAuth token (SLACK_BOT_TOKEN, "xoxb-…").
	BotToken string
	// AppToken is the app-level token (SLACK_APP_TOKEN, "xapp-…"); when set
	// the bot runs in Socket Mode.
	AppToken string
	// SigningSecret (SLACK_SIGNING_SECRET) verifies HTTP requests; it is
	// required for the HTTP Events API mode.
	SigningSecret string
	// APIURL overrides the Web API base URL (SLACK_API_URL); "" is Slack's
	// own. A missing trailing "/" is added.
	APIURL string
	// Addr is the HTTP mode listen address (BOT_ADDR), default ":3000".
	Addr string
	// HealthAddr, when set, is where Socket Mode serves GET /healthz and
	// GET /metrics (BOT_ADDR). HTTP mode serves them on Addr.
	HealthAddr string
	// DataDir (BOT_DATA_DIR) is where the feedback of older versions
	// (DataDir/feedback.jsonl) is imported from into State, once.
	DataDir string
	// State is the embedded store for what must survive a restart: the
	// requests already handled, the feedback, and the conversation memory
	// (threads the bot answered in and the answers its buttons refer to). New requires it; cmd/bot
	// opens the store in BOT_DATA_DIR.
	State StateStore
	// Workers (BOT_WORKERS) is how many answers are computed at once,
	// default DefaultWorkers. Requests are acked first and then queued for
	// them.
	Workers int
	// QueueSize (BOT_QUEUE) is how many acked requests may wait for a
	// worker, default DefaultQueueSize. When the queue is full the bot
	// replies that it is busy instead of falling behind.
	QueueSize int
	// QueueWait is the longest a request waits for a worker before the
	// busy reply is given instead; default half of AnswerTimeout.
	QueueWait time.Duration
	// AnswerTimeout (BOT_ANSWER_TIMEOUT) bounds each answer, default 60s.
	AnswerTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for answers in flight once
	// its context is done; default AnswerTimeout plus 15s to post them.
	ShutdownTimeout time.Duration
	// RateLimit and RateBurst (BOT_RATE_PER_MINUTE, BOT_RATE_BURST) limit
	// each user's questions; zero values mean DefaultRateLimit and
	// DefaultRateBurst, rate.Inf turns the limit off.
	RateLimit rate.Limit
	RateBurst int
	// MaxBodyBytes caps the size of an HTTP request body, default 1 MiB.
	MaxBodyBytes int64
	// MaxFileBytes caps the size of a file shared in a direct message to be
	// added as an article, default 5 MiB. Larger files are refused before
	// they are downloaded, and a download is cut off past it.
	MaxFileBytes int64
	// CommandPrefix (BOT_COMMAND_PREFIX) goes before the names of the
	// slash commands, for workspaces where /ask is taken: "news-" makes
	// them /news-ask, /news-source and /news-briefing (the app manifest
	// must name them so too). Default "": /ask, /source, /briefing.
	CommandPrefix string
	// HTTPClient is used for Web API calls and response_url posts; nil
	// means a client with a 30s timeout that keeps a connection per worker.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now. Tests use it for the
	// signature window, the rate limit and relative dates.
	Now func() time.Time
	// DefaultBriefing (BOT_BRIEFING_CHANNEL, BOT_BRIEFING_TIME) is the daily
	// briefing posted when no one subscribed its channel otherwise; its At,
	// when set, is the last run recorded by an older version.
	DefaultBriefing *Subscription
	// DefaultBriefingState is what the last briefing an older version
	// posted to the default channel covered, read from its files, so the
	// first one after an upgrade still marks what is new.
	DefaultBriefingState *briefing.State
	// Clock runs the daily briefings of subscribed channels; nil means
	// the real clock (with Now). Tests give a fake one.
	Clock briefing.Clock

	// retryWait, when set, turns the wait Slack asked for after a 429 into
	// the wait actually slept. Tests use it to avoid sleeping for seconds.
	retryWait func(time.Duration) time.Duration
}

// Mode reports which way the settings ask the bot to talk to Slack:
// "socket" when an app token is set, "http" when only a bot token and/or
// signing secret are set, and "" when no Slack setting is present (the
// terminal bot). Call Validate to check the settings are complete.
func (c Config) Mode() string {
	switch {
	case c.AppToken != "":
		return "socket"
	case c.BotToken != "" || c.SigningSecret != "":
		return "http"
	default:
		return ""
	}
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("slack configuration")

// Validate checks the settings for the mode they select and returns an
// error whose message is a sentence naming the variable to fix. It never
// includes a token in the message.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	mode := c.Mode()
	if mode == "" {
		return nil
	}
	switch {
	case c.BotToken == "":
		add("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page")
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		add("SLACK_BOT_TOKEN must be a bot token starting with xoxb-%s", tokenKind(c.BotToken))
	}
	if mode == "socket" && !strings.HasPrefix(c.AppToken, "xapp-") {
		add("SLACK_APP_TOKEN must be an app-level token starting with xapp-%s", tokenKind(c.AppToken))
	}
	if mode == "http" && c.SigningSecret == "" {
		add("SLACK_SIGNING_SECRET is not set: the HTTP Events API needs it to verify requests (or set SLACK_APP_TOKEN to use Socket Mode)")
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("SLACK_API_URL must be an absolute http(s) URL such as https://slack.com/api/")
		}
	}
	if mode == "http" && c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			add("BOT_ADDR must be host:port or :port, such as :3000")
		}
	}
	if c.DataDir == "" {
		add("BOT_DATA_DIR is empty: the Slack app keeps its feedback there")
	}
	if c.AnswerTimeout < 0 || c.ShutdownTimeout < 0 {
		add("the answer and shutdown timeouts must not be negative")
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		add("the per-user rate limit and burst must not be negative")
	}
	if c.Workers < 0 || c.QueueSize < 0 || c.QueueWait < 0 {
		add("BOT_WORKERS and BOT_QUEUE must not be negative")
	}
	if c.MaxBodyBytes < 0 || c.MaxFileBytes < 0 {
		add("the maximum request body and file sizes must not be negative")
	}
	if p := checkCommandPrefix(c.CommandPrefix); p != "" {
		add("%s", p)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrConfig, strings.Join(problems, "; "))
}

// tokenKind names the kind of a misplaced Slack token from its public
// prefix, without echoing any of the secret part.
func tokenKind(tok string) string {
	kinds := []struct{ prefix, name string }{
		{"xoxb-", "a bot token"},
		{"xoxp-", "a user token"},
		{"xapp-", "an app-level token"},
		{"xoxe", "a refresh or configuration token"},
		{"xoxa-", "a workspace token"},
	}
	for _, k := range kinds {
		if strings.HasPrefix(tok, k.prefix) {
			return fmt.Sprintf(" (it looks like %s)", k.name)
		}
	}
	return " (the value set is not a Slack token of that kind)"
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.APIURL != "" && !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.AnswerTimeout == 0 {
		c.AnswerTimeout = DefaultAnswerTimeout
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.QueueWait == 0 {
		c.QueueWait = c.AnswerTimeout / 2
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = c.AnswerTimeout + replyBudget
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst == 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.HTTPClient == nil {
		// Keep a connection per worker alive: the default two per host
		// would open and close connections all the time under load.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = c.Workers + busyWorkers
		tr.MaxIdleConns = 2 * tr.MaxIdleConnsPerHost
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.retryWait == nil {
		c.retryWait = func(d time.Duration) time.Duration { return d }
	}
	return c
}
