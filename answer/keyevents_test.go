package answer

import (
	"context"
	"strings"
	"testing"
)

// liveBlog is the seed whose key-events list holds headlines of posts the
// page does not hold.
const liveBlog = "002_398d37f08a9e19b1.txt"

// TestKeyEventsHeadlinesFound checks that a key-events headline whose post
// is not on the page is content: the source lookup finds it word for word
// and a quote lookup, however it is asked, cites the live blog.
func TestKeyEventsHeadlinesFound(t *testing.T) {
	c := seedComposer(t, Options{})
	for _, text := range []string{"Takes two to tango", "Dynamics have accelerated", "front load"} {
		t.Run("source/"+text, func(t *testing.T) {
			res, err := c.Source(context.Background(), text)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Matches) == 0 || !res.Matches[0].Exact || res.Matches[0].Source != liveBlog {
				t.Fatalf("got matches %+v, want an exact one in %s first", res.Matches, liveBlog)
			}
		})
	}
	tests := []struct{ q, lead string }{
		{"Where does the line 'Takes two to tango' come from?", "Trump said it"},
		{"Who said 'takes two to tango'?", "Trump said it"},
		{`Where is "Dynamics have accelerated" from?`, "has the line"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ans := askVerified(t, c, tt.q)
			if !ans.Grounded || len(ans.Citations) == 0 || ans.Citations[0].Source != liveBlog {
				t.Fatalf("got %q citing %v, want the live blog cited first", ans.Answer, ans.Citations)
			}
			if !strings.Contains(ans.Answer, tt.lead) {
				t.Errorf("answer lacks %q: %s", tt.lead, ans.Answer)
			}
		})
	}
}
