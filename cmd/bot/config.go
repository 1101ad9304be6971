package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/slackbot"
)

// config is every setting the bot reads from the environment. Only cmd/bot
// reads the environment; packages get these values through constructors.
type config struct {
	DataDir     string // BOT_DATA_DIR: persistent index, feedback, briefing state
	ArticlesDir string // BOT_ARTICLES_DIR: extra articles loaded (and watched) at start
	LogLevel    slog.Level
	LogLevelSet bool   // BOT_LOG_LEVEL given; else terminal commands log warnings only
	LogFormat   string // BOT_LOG_FORMAT: text or json
	LogFile     string // BOT_LOG_FILE: append logs to this file instead of stderr
	K           int    // BOT_PASSAGES: passages retrieved per question

	OpenAIKey            string
	OpenAIBaseURL        string
	AzureEndpoint        string
	AzureDeployment      string
	AzureEmbedDeployment string
	AzureAPIVersion      string
	ChatModel            string
	EmbedModel           string
	ModelEmbeddings      bool // BOT_MODEL_EMBEDDINGS: embed through the model server too
	ModelTimeout         time.Duration
	AnswerTimeout        time.Duration

	SlackBotToken      string
	SlackAppToken      string
	SlackSigningSecret string
	SlackAPIURL        string
	CommandPrefix      string // BOT_COMMAND_PREFIX: goes before /ask, /source, /briefing
	Addr               string
	RatePerMinute      float64
	RateBurst          int
	Workers            int // BOT_WORKERS: answers computed at once in Slack
	QueueSize          int // BOT_QUEUE: acked requests waiting for a worker

	BriefingChannel   string
	BriefingTime      string
	FetchAllowPrivate bool // BOT_FETCH_ALLOW_PRIVATE: links may point at private networks

	Seeds        ingest.SeedMode // BOT_SEEDS: when the demo seeds are served
	Retention    time.Duration   // BOT_RETENTION: articles older than this are dropped; 0 keeps all
	Feeds        []string        // BOT_FEEDS: RSS, Atom or JSON feeds polled while the bot runs
	FeedInterval time.Duration   // BOT_FEED_INTERVAL: time between two polls of a feed
}

// loadConfig reads the configuration through getenv, applying defaults. Its
// errors are settingErrors naming the setting.
func loadConfig(getenv func(string) string) (config, error) {
	c, err := readConfig(getenv)
	if err != nil {
		return c, settingError{err.Error()}
	}
	return c, nil
}

func readConfig(getenv func(string) string) (config, error) {
	c := config{
		DataDir:              strings.TrimSpace(getenv("BOT_DATA_DIR")),
		ArticlesDir:          getenv("BOT_ARTICLES_DIR"),
		OpenAIKey:            getenv("OPENAI_API_KEY"),
		OpenAIBaseURL:        getenv("OPENAI_BASE_URL"),
		AzureEndpoint:        getenv("AZURE_OPENAI_ENDPOINT"),
		AzureDeployment:      getenv("AZURE_OPENAI_DEPLOYMENT"),
		AzureEmbedDeployment: getenv("AZURE_OPENAI_EMBED_DEPLOYMENT"),
		AzureAPIVersion:      or(getenv("AZURE_OPENAI_API_VERSION"), "2024-10-21"),
		ChatModel:            or(getenv("OPENAI_CHAT_MODEL"), "gpt-4o-mini"),
		EmbedModel:           or(getenv("OPENAI_EMBED_MODEL"), "text-embedding-3-small"),
		SlackBotToken:        getenv("SLACK_BOT_TOKEN"),
		SlackAppToken:        getenv("SLACK_APP_TOKEN"),
		SlackSigningSecret:   getenv("SLACK_SIGNING_SECRET"),
		SlackAPIURL:          getenv("SLACK_API_URL"),
		CommandPrefix:        strings.TrimSpace(getenv("BOT_COMMAND_PREFIX")),
		Addr:                 or(getenv("BOT_ADDR"), ":3000"),
		BriefingChannel:      getenv("BOT_BRIEFING_CHANNEL"),
		BriefingTime:         getenv("BOT_BRIEFING_TIME"),
	}
	var err error
	if c.DataDir == "" {
		if c.DataDir, err = defaultDataDir(getenv, runtime.GOOS); err != nil {
			return c, err
		}
	}
	c.LogFile = strings.TrimSpace(getenv("BOT_LOG_FILE"))
	switch c.LogFormat = strings.ToLower(or(getenv("BOT_LOG_FORMAT"), "text")); c.LogFormat {
	case "text", "json":
	default:
		return c, fmt.Errorf("BOT_LOG_FORMAT=%q: want text or json", getenv("BOT_LOG_FORMAT"))
	}
	if c.LogLevel, err = parseLevel(or(getenv("BOT_LOG_LEVEL"), "info")); err != nil {
		return c, err
	}
	c.LogLevelSet = strings.TrimSpace(getenv("BOT_LOG_LEVEL")) != ""
	if c.K, err = intSetting(getenv, "BOT_PASSAGES", 8, 1, 100); err != nil {
		return c, err
	}
	if c.ModelEmbeddings, err = boolSetting(getenv, "BOT_MODEL_EMBEDDINGS", false); err != nil {
		return c, err
	}
	if c.FetchAllowPrivate, err = boolSetting(getenv, "BOT_FETCH_ALLOW_PRIVATE", false); err != nil {
		return c, err
	}
	if c.ModelTimeout, err = durationSetting(getenv, "OPENAI_TIMEOUT", 30*time.Second); err != nil {
		return c, err
	}
	if c.AnswerTimeout, err = durationSetting(getenv, "BOT_ANSWER_TIMEOUT", 60*time.Second); err != nil {
		return c, err
	}
	rpm, err := intSetting(getenv, "BOT_RATE_PER_MINUTE", 6, 1, 10000)
	if err != nil {
		return c, err
	}
	c.RatePerMinute = float64(rpm)
	if c.RateBurst, err = intSetting(getenv, "BOT_RATE_BURST", 3, 1, 1000); err != nil {
		return c, err
	}
	if c.Workers, err = intSetting(getenv, "BOT_WORKERS", slackbot.DefaultWorkers, 1, 1024); err != nil {
		return c, err
	}
	if c.QueueSize, err = intSetting(getenv, "BOT_QUEUE", slackbot.DefaultQueueSize, 1, 1000000); err != nil {
		return c, err
	}
	if c.Seeds, err = ingest.ParseSeedMode(getenv("BOT_SEEDS")); err != nil {
		return c, fmt.Errorf("BOT_SEEDS=%w", err)
	}
	if c.Retention, err = ingest.ParseRetention(getenv("BOT_RETENTION")); err != nil {
		return c, fmt.Errorf("BOT_RETENTION=%w", err)
	}
	if c.Feeds, err = ingest.ParseFeedList(getenv("BOT_FEEDS")); err != nil {
		return c, fmt.Errorf("BOT_FEEDS: %w", err)
	}
	if c.FeedInterval, err = durationSetting(getenv, "BOT_FEED_INTERVAL", 15*time.Minute); err != nil {
		return c, err
	}
	return c, nil
}

// defaultDataDir is where the bot keeps its data when BOT_DATA_DIR is not
// set: the user's data directory ($XDG_DATA_HOME/briefbot, else
// ~/.local/share/briefbot; %LOCALAPPDATA%\briefbot on Windows), never the
// working directory.
func defaultDataDir(getenv func(string) string, goos string) (string, error) {
	if d := strings.TrimSpace(getenv("XDG_DATA_HOME")); filepath.IsAbs(d) {
		return filepath.Join(d, "briefbot"), nil
	}
	if goos == "windows" {
		if d := strings.TrimSpace(getenv("LOCALAPPDATA")); d != "" {
			return filepath.Join(d, "briefbot"), nil
		}
	}
	for _, home := range []string{"HOME", "USERPROFILE"} {
		if h := strings.TrimSpace(getenv(home)); h != "" {
			return filepath.Join(h, ".local", "share", "briefbot"), nil
		}
	}
	return "", errors.New("BOT_DATA_DIR is not set and there is no home directory to keep data in: set BOT_DATA_DIR")
}

// modelConfigured reports whether an OpenAI-compatible server is set up.
func (c config) modelConfigured() bool {
	return c.OpenAIKey != "" || c.OpenAIBaseURL != "" || c.AzureEndpoint != ""
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("BOT_LOG_LEVEL=%q: want debug, info, warn or error", s)
	}
	return l, nil
}

func intSetting(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func boolSetting(getenv func(string) string, name string, def bool) (bool, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

func durationSetting(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 30s or 2m", name, v)
	}
	return d, nil
}
