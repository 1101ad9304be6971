package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/slackbot"
	"github.com/briefbot/briefbot/store"
)

// TestFeedbackCommand: `bot feedback` prints the totals by verdict, kind
// and reason, then the records; --since keeps the recent ones; --json
// prints one JSON object and nothing else.
func TestFeedbackCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := slackbot.OpenFeedback(st, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	recent := time.Now().UTC().Add(-time.Hour)
	for _, r := range []slackbot.FeedbackRecord{
		{Time: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC), User: "U1", Kind: "answer", Question: "Old?", Helpful: true},
		{Time: recent, User: "U2", Kind: "answer", Question: "Who approved the budget?", Reason: "missing_source", Comment: "No Courier."},
		{Time: recent.Add(time.Minute), User: "U3", Kind: "source", Question: "approved a budget", Helpful: true},
	} {
		if err := fb.Add(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	e := env{"BOT_DATA_DIR": dir}

	out, errOut, code := runBot(t, e, "", "feedback")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"3 clicks: 2 helpful, 1 not helpful", "answer        1 helpful    1 not helpful",
		"Missing source            1", "why: missing source: No Courier.", "helpful  by U1"} {
		if !strings.Contains(out, want) {
			t.Errorf("bot feedback lacks %q:\n%s", want, out)
		}
	}

	out, errOut, code = runBot(t, e, "", "feedback", "--since", "7d", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var rep struct {
		Since      string         `json:"since"`
		Total      int            `json:"total"`
		Helpful    int            `json:"helpful"`
		NotHelpful int            `json:"not_helpful"`
		ByReason   map[string]int `json:"by_reason"`
		Records    []struct {
			User   string `json:"user"`
			Reason string `json:"reason"`
		} `json:"records"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&rep); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, out)
	}
	if rep.Total != 2 || rep.Helpful != 1 || rep.NotHelpful != 1 || rep.ByReason["missing_source"] != 1 || rep.Since == "" ||
		len(rep.Records) != 2 || rep.Records[0].User != "U3" || rep.Records[1].Reason != "missing_source" {
		t.Errorf("got %+v, want the two recent records, newest first, with their totals", rep)
	}

	out, _, code = runBot(t, e, "", "feedback", "--help")
	if code != 0 || !strings.Contains(out, "--since") || !strings.Contains(out, "--json") {
		t.Errorf("exit %d, got help %q, want the --since and --json flags", code, out)
	}

	out, _, code = runBot(t, e, "", "feedback", "--since", time.Now().UTC().Add(24*time.Hour).Format("2006-01-02"))
	if code != 0 || !strings.Contains(out, "no feedback recorded since") {
		t.Errorf("exit %d, got %q, want no feedback since tomorrow", code, out)
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2025-03-04", time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"2025-03-04T09:30:00Z", time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"36h", now.Add(-36 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3d", "7w"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q): got no error", bad)
		}
	}
}
