package answer

import (
	"context"
	"strings"
	"testing"
)

func TestSmallTalk(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"alright, many thanks", true},
		{"cool, that helps", true},
		{"lovely stuff, ta", true},
		{"perfect, much appreciated!", true},
		{"okay got it", true},
		{"yep, makes sense, cheers", true},
		{"Thank you so much for the help!", true},
		{"that’s great", true},
		{"excellent, well done", true},
		{"haha thanks", true},
		{"so that", false}, // filler words only: no acknowledgement
		{"thanks, and who is Rutte?", false},
		{"ok, what about air support?", false},
		{"Is that good?", false},
		{"great summit", false},
	}
	for _, tt := range tests {
		if got := smallTalk(tt.in); got != tt.want {
			t.Errorf("smallTalk(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCourtesyPrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"thanks, and who is Rutte?", "Who is Rutte?"},
		{"ok great. Where does Macron want the summit held?", "Where does Macron want the summit held?"},
		{"Cheers! so how long was the call?", "How long was the call?"},
		{"got it – what did Kallas say?", "What did Kallas say?"},
		{"ok, thanks", "ok, thanks"},                           // small talk as a whole
		{"Trump, what did he say?", "Trump, what did he say?"}, // a name, no small talk
		{"Who is Rutte?", "Who is Rutte?"},
	}
	for _, tt := range tests {
		if got := courtesyPrefix(tt.in); got != tt.want {
			t.Errorf("courtesyPrefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSmallTalkReplies checks that acknowledgements of several words get
// the helpful reply, never quotes or the decline, and that a real question
// with a polite word is answered from the question alone.
func TestSmallTalkReplies(t *testing.T) {
	c := seedComposer(t, Options{})
	for _, q := range []string{"ok thanks", "great, cheers", "got it, thank you", "nice one", "alright, many thanks"} {
		t.Run(q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Citations) > 0 || ans.Grounded {
				t.Errorf("got %d citations (grounded %v), want a reply without quotes", len(ans.Citations), ans.Grounded)
			}
			if ans.Answer == NotCovered || !strings.Contains(ans.Answer, Capabilities) {
				t.Errorf("got %q, want the helpful reply", ans.Answer)
			}
		})
	}
	polite := []struct{ q, evidence string }{
		{"thanks, and who is Rutte?", "secretary"},
		{"ok great, where does Macron want the summit held?", "Geneva"},
	}
	for _, tt := range polite {
		t.Run(tt.q, func(t *testing.T) {
			ans := askVerified(t, c, tt.q)
			if !ans.Grounded {
				t.Fatalf("declined: %s", ans.Answer)
			}
			var quotes []string
			for _, ct := range ans.Citations {
				quotes = append(quotes, ct.Quote)
			}
			joined := strings.Join(quotes, " ")
			if !strings.Contains(joined, tt.evidence) {
				t.Errorf("quotes lack %q: %q", tt.evidence, quotes)
			}
			if strings.Contains(strings.ToLower(joined), "thank") {
				t.Errorf("a quote answers the polite word, not the question: %q", quotes)
			}
		})
	}
}

// askVerified answers q with no history and checks every quote of the
// answer is verbatim in its article.
func askVerified(tb testing.TB, c *Composer, q string) Answer {
	tb.Helper()
	ans, err := c.Answer(context.Background(), q, nil)
	if err != nil {
		tb.Fatal(err)
	}
	checkVerbatim(tb, c.index, ans)
	return ans
}
