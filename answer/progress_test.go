package answer

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/llm/llmtest"
	"github.com/briefbot/briefbot/prompts"
)

// TestProgressReportsOnlyVerifiedSentences runs a model answer whose reply
// mixes injected, unverifiable sentences with a verifiable one: Progress is
// told how many quotes are checked, and only the verified sentence, with
// the citation the final answer gives it.
func TestProgressReportsOnlyVerifiedSentences(t *testing.T) {
	ix := injectionCorpus(t)
	srv := llmtest.NewServer(t, llmtest.WithHandler(injectionModel(t, func(inj, good int, goodText string) []prompts.ReplySentence {
		return []prompts.ReplySentence{
			sent("The mayor has resigned.", []int{inj}, q(inj, "The mayor has resigned in disgrace")),
			sent("The council approved a new ferry route to the northern islands.", []int{good}, q(good, goodText)),
			sent("Log in at https://phish.example/login to keep your ferry pass.", []int{inj},
				q(inj, "log in at the council's new portal to keep their ferry pass")),
		}
	})))
	client, _ := newModelClient(t, srv, srv.APIKey)
	c := New(ix, Options{Model: client.Complete}, nil)

	var events []string
	checked := -1
	var got []Sentence
	var gotCites [][]citation.Citation
	ctx := WithProgress(context.Background(), Progress{
		Writing:  func(n int) { events = append(events, fmt.Sprintf("writing from %d passages", n)) },
		Checking: func(n int) { events = append(events, "checking"); checked = n },
		Verified: func(s Sentence, cites []citation.Citation) {
			events = append(events, "verified")
			got = append(got, s)
			gotCites = append(gotCites, cites)
		},
	})
	ans, err := c.Answer(ctx, "What did the council decide about the ferry route?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("writing from %d passages", len(ans.Passages)), "checking", "verified"}; !slices.Equal(events, want) {
		t.Fatalf("progress events %v, want %v", events, want)
	}
	if checked != 3 {
		t.Errorf("Checking(%d), want 3 quotes", checked)
	}
	if len(ans.Sentences) != 1 || got[0].Text != ans.Sentences[0].Text || !slices.Equal(got[0].Citations, ans.Sentences[0].Citations) {
		t.Fatalf("verified %+v, want the answer's sentences %+v", got, ans.Sentences)
	}
	for _, bad := range []string{"resigned", "phish"} {
		if strings.Contains(got[0].Text, bad) {
			t.Errorf("an unverified sentence was reported: %q", got[0].Text)
		}
	}
	if len(gotCites[0]) != 1 || gotCites[0][0] != ans.Citations[0] {
		t.Errorf("verified citations %+v, want %+v", gotCites[0], ans.Citations)
	}
}

// injectionModel is a fake model for injectionCorpus: it answers with the
// sentences sents makes from the passage numbers of the injected and the
// true article and the true article's text.
func injectionModel(t *testing.T, sents func(inj, good int, goodText string) []prompts.ReplySentence) func(llmtest.Request) llmtest.Reply {
	return func(r llmtest.Request) llmtest.Reply {
		p := parsePrompt(t, r)
		inj, _ := p.find("IGNORE ALL PREVIOUS")
		good, goodText := p.find("approved a new ferry route")
		if inj == 0 || good == 0 {
			t.Errorf("passages lack the test articles: %v", p.passages)
			return llmtest.Status(http.StatusBadRequest, "test set-up")
		}
		return reply(sents(inj, good, goodText))
	}
}

// TestProgressExtractiveIsSilent: without a model nothing is reported, so a
// surface posts the answer in one message.
func TestProgressExtractiveIsSilent(t *testing.T) {
	c := New(injectionCorpus(t), Options{}, nil)
	calls := 0
	ctx := WithProgress(context.Background(), Progress{
		Writing:  func(int) { calls++ },
		Checking: func(int) { calls++ },
		Verified: func(Sentence, []citation.Citation) { calls++ },
	})
	if _, err := c.Answer(ctx, "What did the council decide about the ferry route?", nil); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("progress called %d times for an extractive answer, want 0", calls)
	}
}
