package answer

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/llm"
)

// TestCompleteFunc drives the composer with inline model funcs: what each
// kind of reply or failure turns into, and what the composer asks for.
func TestCompleteFunc(t *testing.T) {
	tests := []struct {
		name       string
		reply      string
		err        error
		wantMode   string
		wantAnswer string // "" for any
		wantNote   string // a note must contain this; "" for no note
	}{
		{"model unavailable", "", fmt.Errorf("chat: %w", llm.ErrUnavailable), "extractive", "", NoteUnavailable},
		{"unreadable reply", "not JSON", nil, "extractive", "", NoteUnreadable},
		{"no answer in the passages", `{"grounded": false, "sentences": [], "disagreements": []}`, nil, "model", NotCovered, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reqs []llm.CompletionRequest
			model := func(_ context.Context, req llm.CompletionRequest) (string, error) {
				reqs = append(reqs, req)
				return tc.reply, tc.err
			}
			c := modelComposer(t, model, Options{})
			ans, err := c.Answer(context.Background(), leavittQuestion, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Mode != tc.wantMode {
				t.Errorf("got mode %q, want %q", ans.Mode, tc.wantMode)
			}
			if tc.wantAnswer != "" && ans.Answer != tc.wantAnswer {
				t.Errorf("got answer %q, want %q", ans.Answer, tc.wantAnswer)
			}
			hasNote := slices.ContainsFunc(ans.Notes, func(n string) bool { return strings.Contains(n, tc.wantNote) })
			if tc.wantNote == "" && len(ans.Notes) > 0 || tc.wantNote != "" && !hasNote {
				t.Errorf("got notes %q, want one with %q", ans.Notes, tc.wantNote)
			}
			checkNoSettingNames(t, ans.Notes)
			if len(reqs) != 1 {
				t.Fatalf("got %d model requests, want 1", len(reqs))
			}
			if r := reqs[0]; r.Schema == nil || r.MaxTokens != answerMaxTokens || !strings.Contains(r.User, "Leavitt") {
				t.Errorf("got request schema %v, max tokens %d, user %q; want the answer prompt with its schema and %d tokens", r.Schema, r.MaxTokens, r.User, answerMaxTokens)
			}
		})
	}
}

// settingRE matches the name of an environment setting.
var settingRE = regexp.MustCompile(`\b(OPENAI|AZURE|BOT|SLACK|EMBEDDINGS)_[A-Z_]+`)

// checkNoSettingNames fails when a note shown to the user names a setting:
// those are for the operator, in the log.
func checkNoSettingNames(tb testing.TB, notes []string) {
	tb.Helper()
	for _, n := range notes {
		if m := settingRE.FindString(n); m != "" {
			tb.Errorf("note %q names the setting %s", n, m)
		}
	}
}

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
