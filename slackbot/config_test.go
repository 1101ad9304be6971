package slackbot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	dir := "/tmp/briefbot-data"
	for _, tc := range []struct {
		name     string
		cfg      Config
		wantMode string
		wantErr  []string // substrings of the error; nil means valid
	}{
		{"no slack settings: terminal bot", Config{}, "", nil},
		{"socket mode", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir}, "socket", nil},
		{"http mode", Config{BotToken: "xoxb-1", SigningSecret: "s", DataDir: dir, Addr: "127.0.0.1:8080"}, "http", nil},
		{"app token wins over signing secret", Config{BotToken: "xoxb-1", AppToken: "xapp-1", SigningSecret: "s", DataDir: dir}, "socket", nil},
		{"user token as bot token", Config{BotToken: "xoxp-123-secret", AppToken: "xapp-1", DataDir: dir}, "socket",
			[]string{"SLACK_BOT_TOKEN must be a bot token starting with xoxb-", "user token"}},
		{"tokens swapped", Config{BotToken: "xapp-1-secret", AppToken: "xoxb-2-secret", DataDir: dir}, "socket",
			[]string{"SLACK_BOT_TOKEN must be a bot token starting with xoxb- (it looks like an app-level token)", "SLACK_APP_TOKEN must be an app-level token starting with xapp- (it looks like a bot token)"}},
		{"app token without bot token", Config{AppToken: "xapp-1", DataDir: dir}, "socket", []string{"SLACK_BOT_TOKEN is not set"}},
		{"bot token alone", Config{BotToken: "xoxb-1", DataDir: dir}, "http", []string{"SLACK_SIGNING_SECRET is not set"}},
		{"bad api url", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, APIURL: "slack.com/api"}, "socket", []string{"SLACK_API_URL must be an absolute http(s) URL"}},
		{"bad addr", Config{BotToken: "xoxb-1", SigningSecret: "s", DataDir: dir, Addr: "3000"}, "http", []string{"BOT_ADDR must be host:port"}},
		{"no data dir", Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, "socket", []string{"BOT_DATA_DIR is empty"}},
		{"negative rate", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, RateLimit: -1}, "socket", []string{"rate limit"}},
		{"command prefix", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, CommandPrefix: "news-"}, "socket", nil},
		{"command prefix with a slash", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, CommandPrefix: "/news"}, "socket", []string{"BOT_COMMAND_PREFIX may hold only"}},
		{"command prefix too long", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, CommandPrefix: "the-daily-newsroom-desk-"}, "socket", []string{"BOT_COMMAND_PREFIX is too long", "/the-daily-newsroom-desk-briefing"}},
		{"negative file size", Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: dir, MaxFileBytes: -1}, "socket", []string{"file sizes must not be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Mode(); got != tc.wantMode {
				t.Errorf("got mode %q, want %q", got, tc.wantMode)
			}
			err := tc.cfg.Validate()
			if tc.wantErr == nil {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tc.wantErr)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("got %v, want it to wrap ErrConfig", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			for _, tok := range []string{tc.cfg.BotToken, tc.cfg.AppToken} {
				if tok != "" && strings.Contains(err.Error(), tok) {
					t.Errorf("error echoes a token: %q", err)
				}
			}
		})
	}
}

func TestNewRejectsNoSlack(t *testing.T) {
	if _, err := New(Config{}, &fakeService{}, nil, nil); err == nil || !errors.Is(err, ErrConfig) {
		t.Errorf("got %v, want a configuration error", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{BotToken: "xoxb-1", AppToken: "xapp-1", DataDir: "d", APIURL: "http://127.0.0.1:9/api"}.withDefaults()
	if c.APIURL != "http://127.0.0.1:9/api/" {
		t.Errorf("got APIURL %q, want a trailing slash added", c.APIURL)
	}
	if c.Addr != ":3000" || c.AnswerTimeout != 60*time.Second || c.ShutdownTimeout != 75*time.Second ||
		c.RateLimit != DefaultRateLimit || c.RateBurst != 3 || c.MaxBodyBytes != 1<<20 || c.MaxFileBytes != 5<<20 || c.HTTPClient == nil || c.Now == nil {
		t.Errorf("got defaults %+v", c)
	}
}
