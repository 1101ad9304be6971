package answer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/llm/llmtest"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/retrieval"
)

// edit is what the paraphrasing model does to a quote.
type edit int

const (
	editVerbatim edit = iota // copied exactly
	editStraight             // typographic quotes made straight, white space changed
	editChanged              // the middle word changed
	editDropped              // the middle word left out
	editInline               // verbatim in quotes, the middle word changed where the text quotes it
	numEdits
)

func (e edit) String() string {
	return [...]string{"verbatim", "straight quotes", "word changed", "word dropped", "changed in the text"}[e]
}

// paraphraser is a fake model that answers from the passages of each
// request the way a careless model might: it picks the sentences that share
// the most words with the question and quotes them with small edits; every
// fourth answer adds a sentence with a made-up quote, every fifth cites a
// passage that was not given, or the wrong one, and every seventh is made
// up entirely.
type paraphraser struct {
	mu sync.Mutex
	n  int // answers written

	// What was sent, for the lower bounds of the counts.
	exact      int // verbatim or straight quotes under the right number
	repairable int // word changed or dropped in a quote of 12 words or more, right number
	made       int // made-up quotes
	outOfRange int // quotes citing passage 99
	declined   int // replies with grounded false
	allMade    int // replies whose every quote is made up
}

// questionWords are the content words of a question, lower-cased.
func questionWords(q string) map[string]bool {
	out := map[string]bool{}
	for _, t := range retrieval.Analyze(q) {
		if !metaTerms[t] && len(t) >= 3 {
			out[t] = true
		}
	}
	return out
}

func (m *paraphraser) reply(p prompt) llmtest.Reply {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.kind != "answer" {
		return llmtest.Status(400, "unexpected request")
	}
	i := m.n
	m.n++
	qw := questionWords(p.question)
	type pick struct {
		n     int
		s     string
		score int
	}
	var picks []pick
	for n := 1; n <= len(p.passages); n++ {
		for _, s := range p.sentences(n) {
			if len(strings.Fields(s)) < 6 || strings.ContainsAny(s, quoteMarks) {
				continue
			}
			score := 0
			for t := range questionWords(s) {
				if qw[t] {
					score++
				}
			}
			if score >= 2 && score*3 >= len(qw) {
				picks = append(picks, pick{n, s, score})
			}
		}
	}
	if len(picks) == 0 {
		m.declined++
		return llmtest.JSON(prompts.AnswerReply{Sentences: []prompts.ReplySentence{}, Disagreements: []prompts.ReplyDisagreement{}})
	}
	// Best first, stable in passage order.
	for a := 1; a < len(picks); a++ {
		for b := a; b > 0 && picks[b].score > picks[b-1].score; b-- {
			picks[b], picks[b-1] = picks[b-1], picks[b]
		}
	}
	if len(picks) > 3 {
		picks = picks[:3]
	}
	if i%7 == 5 {
		m.allMade++
		m.made++
		return reply([]prompts.ReplySentence{sent("The war ended.", []int{picks[0].n}, q(picks[0].n, "Russia and Ukraine signed a peace treaty in Geneva on Sunday"))})
	}
	var sents []prompts.ReplySentence
	for j, pk := range picks {
		e := edit((i + j) % int(numEdits))
		cite := pk.n
		switch {
		case i%5 == 2 && j == 0:
			cite = 99
		case i%5 == 4 && j == 0 && len(p.passages) > 1:
			cite = pk.n%len(p.passages) + 1 // another passage that was given
		}
		text, qt := "One of the reports covers this.", pk.s
		long := len(strings.Fields(pk.s)) >= 12
		switch e {
		case editStraight:
			qt = straighten(strings.ReplaceAll(pk.s, " ", "  "))
		case editChanged:
			qt = changeWord(pk.s)
		case editDropped:
			qt = dropWord(pk.s)
		case editInline:
			text = "One report says “" + strings.TrimRight(changeWord(pk.s), ".") + "”."
		}
		switch {
		case cite == 99:
			m.outOfRange++
		case cite != pk.n:
		case e == editVerbatim || e == editStraight || e == editInline:
			m.exact++
		case long:
			m.repairable++
		}
		sents = append(sents, sent(text, []int{cite}, q(cite, qt)))
	}
	if i%4 == 3 {
		m.made++
		sents = append(sents, sent("It also says the war ended.", []int{picks[0].n}, q(picks[0].n, "Russia and Ukraine signed a peace treaty in Geneva on Sunday")))
	}
	return reply(sents)
}

// TestParaphraseCounts runs the seed question set through the model path
// with a model that paraphrases its quotes, checks that no unverified quote
// reaches an answer, and logs how many quotes were verified, repaired and
// dropped (go test -run TestParaphraseCounts -v ./answer/).
func TestParaphraseCounts(t *testing.T) {
	qs := loadQuestions(t)
	m := &paraphraser{}
	srv := llmtest.NewServer(t, llmtest.WithHandler(func(r llmtest.Request) llmtest.Reply {
		return m.reply(parsePrompt(t, r))
	}))
	client, _ := newModelClient(t, srv, srv.APIKey)
	c := modelComposer(t, client.Complete, Options{})
	questions := []string{}
	for _, a := range qs.Answerable {
		questions = append(questions, a.Question)
	}
	questions = append(questions, qs.Unanswerable...)
	modes := map[string]int{}
	for _, question := range questions {
		ans, err := c.Answer(context.Background(), question, nil)
		if err != nil {
			t.Fatalf("%s: %v", question, err)
		}
		t.Run(question, func(t *testing.T) {
			checkVerbatim(t, c.index, ans)
			checkQuotedText(t, ans)
			if strings.Contains(ans.Answer, "peace treaty") || strings.Contains(ans.Answer, "allegedly") {
				t.Errorf("the model's made-up or changed words reached the answer: %s", ans.Answer)
			}
		})
		kind := "answerable"
		if slices.Contains(qs.Unanswerable, question) {
			kind = "unanswerable"
		}
		modes[fmt.Sprintf("%s: %s grounded=%v", kind, ans.Mode, ans.Grounded)]++
	}
	got := countsOf(c.Stats())
	t.Logf("%d questions: %v", len(questions), modes)
	t.Logf("sent: %d exact quotes, %d long quotes with a word changed or dropped, %d made-up quotes, %d quotes citing passage 99, %d declines, %d answers made up entirely",
		m.exact, m.repairable, m.made, m.outOfRange, m.declined, m.allMade)
	t.Logf("verification: %d quotes verified verbatim, %d repaired, %d dropped; %d citations and %d sentences dropped; %d model answers, %d fallbacks",
		got.Verified, got.Repaired, got.Dropped, got.CitesDropped, got.SentsDropped, got.ModelAnswers, got.Fallbacks)
	if got.Verified < int64(m.exact) {
		t.Errorf("%d quotes verified, want at least the %d sent exactly", got.Verified, m.exact)
	}
	if got.Repaired < int64(m.repairable) {
		t.Errorf("%d quotes repaired, want at least the %d long ones with one word changed or dropped", got.Repaired, m.repairable)
	}
	if got.Dropped < int64(m.made+m.outOfRange) {
		t.Errorf("%d quotes dropped, want at least the %d made up or citing passage 99", got.Dropped, m.made+m.outOfRange)
	}
	if got.CitesDropped < int64(m.outOfRange) || got.SentsDropped < int64(m.made) {
		t.Errorf("%d citations and %d sentences dropped, want at least %d and %d", got.CitesDropped, got.SentsDropped, m.outOfRange, m.made)
	}
	if m.exact == 0 || m.repairable == 0 || m.made == 0 || m.outOfRange == 0 {
		t.Errorf("the fake model did not make every kind of edit: %+v", m)
	}
	if got.Fallbacks < int64(m.allMade) {
		t.Errorf("%d fallbacks, want at least the %d answers made up entirely", got.Fallbacks, m.allMade)
	}
	if got.ModelAnswers+got.Fallbacks != int64(len(questions)) {
		t.Errorf("%d model answers and %d fallbacks for %d questions", got.ModelAnswers, got.Fallbacks, len(questions))
	}
}
