package slackbot

import (
	"testing"
	"time"
)

func TestParseBriefingRequest(t *testing.T) {
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in       string
		want     BriefingRequest
		wantHelp bool
	}{
		{"", BriefingRequest{}, false},
		{"today", BriefingRequest{Date: "2025-03-04"}, false},
		{"Yesterday", BriefingRequest{Date: "2025-03-03"}, false},
		{"2025-02-28", BriefingRequest{Date: "2025-02-28"}, false},
		{"2025-02-28 budget vote", BriefingRequest{Date: "2025-02-28", Topic: "budget vote"}, false},
		{"today transport", BriefingRequest{Date: "2025-03-04", Topic: "transport"}, false},
		{"budget vote", BriefingRequest{Topic: "budget vote"}, false},
		{"2025-13-01", BriefingRequest{Topic: "2025-13-01"}, false},
		{"help", BriefingRequest{}, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, help := ParseBriefingRequest(tc.in, now)
			if got != tc.want || help != tc.wantHelp {
				t.Errorf("got %+v help=%v, want %+v help=%v", got, help, tc.want, tc.wantHelp)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want request
	}{
		{"help", request{kind: kindHelp}},
		{"", request{kind: kindHelp}},
		{"What did the council approve?", request{kind: kindAsk, text: "What did the council approve?"}},
		{"source: a budget", request{kind: kindSource, text: "a budget"}},
		{"Source: “a budget”", request{kind: kindSource, text: "a budget"}},
		{"source:", request{kind: kindHelp}},
		{"“a budget of £4.2m”", request{kind: kindSource, text: "a budget of £4.2m"}},
		{`"a budget"`, request{kind: kindSource, text: "a budget"}},
		{`"a" and "b"`, request{kind: kindAsk, text: `"a" and "b"`}},
		{"> line one\n> line two", request{kind: kindSource, text: "line one line two"}},
		{"where is this from?\n> the council approved a £4.2m budget on Tuesday", request{kind: kindSource, text: "the council approved a £4.2m budget on Tuesday"}},
		{"I read this:\n> short\nand what do the other outlets say about the whole thing?", request{kind: kindAsk, text: "I read this:\n> short\nand what do the other outlets say about the whole thing?"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := route(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<@UBOT> what happened?", "what happened?"},
		{"<@UBOT|briefbot> what?", "what?"},
		{"ask <@U2> about <#C1|news>", "ask @U2 about #news"},
		{"see <https://x.example/a?b=1&amp;c=2|the article>", "see the article"},
		{"see <https://x.example/>", "see https://x.example/"},
		{"<!here> 1 &lt; 2 &amp;&amp; 3 &gt; 2", "@here 1 < 2 && 3 > 2"},
	} {
		if got := cleanText(tc.in, botUser); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
