package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/store"
)

// TestScheduledBriefingCatchUp starts the Slack app through run with a
// daily briefing whose last run was days ago: the missed briefing is posted
// once at start, and the run and the briefing's state are recorded.
func TestScheduledBriefingCatchUp(t *testing.T) {
	t.Parallel()
	posts := make(chan url.Values, 16)
	api := fakeSlackAPI(t, posts)
	data := t.TempDir()
	runs := briefing.RunLog{Dir: data}
	before := time.Now().Add(-72 * time.Hour)
	if err := runs.Record("C0NEWS", before); err != nil {
		t.Fatal(err)
	}
	e := env{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL":        api.URL + "/",
		"BOT_ADDR":             freeAddr(t),
		"BOT_DATA_DIR":         data,
		"BOT_BRIEFING_CHANNEL": "C0NEWS",
		"BOT_BRIEFING_TIME":    "06:00 UTC",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, nil, e.get, strings.NewReader(""), io.Discard, &stderr) }()

	select {
	case p := <-posts:
		if p.Get("channel") != "C0NEWS" || p.Get("thread_ts") != "" {
			t.Errorf("posted to channel %q thread %q, want a top-level message in C0NEWS", p.Get("channel"), p.Get("thread_ts"))
		}
		if !strings.Contains(p.Get("blocks"), "$100bn") || !strings.Contains(p.Get("blocks"), "$90bn") {
			t.Errorf("the posted briefing lacks the seeds' disagreement: %.300s", p.Get("blocks"))
		}
		t.Logf("briefing posted to C0NEWS (notification text):\n%s", p.Get("text"))
	case <-time.After(15 * time.Second):
		t.Fatalf("no briefing posted; stderr:\n%s", stderr.String())
	}
	// Continuation messages of a long briefing go to the first one's thread;
	// no second top-level post may follow.
	deadline := time.After(500 * time.Millisecond)
drain:
	for {
		select {
		case p := <-posts:
			if p.Get("thread_ts") == "" {
				t.Errorf("a second top-level briefing was posted to %s", p.Get("channel"))
			}
		case <-deadline:
			break drain
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	// The run and what the briefing covered are in the store now.
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rec struct {
		LastRun      time.Time       `json:"last_run"`
		LastBriefing *briefing.State `json:"last_briefing"`
	}
	if err := st.GetJSON("channels", "C0NEWS", &rec); err != nil {
		t.Fatalf("the channel's settings were not stored: %v", err)
	}
	if !rec.LastRun.After(before) {
		t.Errorf("last run = %v, want it recorded after %v", rec.LastRun, before)
	}
	if rec.LastBriefing == nil || len(rec.LastBriefing.Stories) == 0 {
		t.Errorf("briefing state not saved: %+v", rec.LastBriefing)
	}
}

func TestScheduleSettingsChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"channel without time", env{"BOT_BRIEFING_CHANNEL": "C1"}, "set both BOT_BRIEFING_CHANNEL and BOT_BRIEFING_TIME"},
		{"bad time", env{"BOT_BRIEFING_CHANNEL": "C1", "BOT_BRIEFING_TIME": "teatime"}, "BOT_BRIEFING_TIME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["SLACK_BOT_TOKEN"] = "xoxb-1"
			tt.env["SLACK_SIGNING_SECRET"] = "s"
			tt.env["SLACK_API_URL"] = fakeSlackAPI(t, nil).URL + "/"
			tt.env["BOT_ADDR"] = freeAddr(t)
			_, errOut, code := runBot(t, tt.env, "")
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

// TestIngestSharedLink adds a page shared in a DM and answers from it.
func TestIngestSharedLink(t *testing.T) {
	t.Parallel()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Harbour council approves ferry route</title>
<meta property="og:site_name" content="Harbour Gazette"></head><body><article>
<h1>Harbour council approves ferry route</h1>
<p>The harbour council approved a new ferry route to the northern islands on Monday, the mayor said at a packed meeting in the town hall.</p>
<p>Crossings will start in the spring and run twice a day, with a larger boat added in the summer months when tourists arrive.</p>
<p>Residents of the islands have asked for a regular service for more than ten years, and the council said the route would be reviewed after one year.</p>
</article></body></html>`)
	}))
	defer page.Close()
	cfg, err := loadConfig(env{"BOT_DATA_DIR": t.TempDir()}.get)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := openEngine(context.Background(), cfg, engineOptions{k: 8}, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.close()
	tests := []struct {
		name         string
		allowPrivate bool
		wantErr      string
	}{
		{"private address refused by default", false, "refused"},
		{"allowed when configured", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := service{eng: eng, allowPrivate: tt.allowPrivate}
			a, err := svc.IngestURL(context.Background(), page.URL+"/ferry")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("IngestURL error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != "Harbour council approves ferry route" {
				t.Errorf("title = %q", a.Title)
			}
			ans, err := eng.composer.Answer(context.Background(), "What did the harbour council approve?", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Grounded || len(ans.Citations) == 0 || ans.Citations[0].Source != a.ID {
				t.Errorf("answer does not cite the ingested page %s: %+v", a.ID, ans)
			}
		})
	}
}
