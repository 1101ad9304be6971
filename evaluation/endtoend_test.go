package evaluation_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/evaluation"
)

func TestGoldInQuotes(t *testing.T) {
	tests := []struct {
		name, gold string
		a          answer.Answer
		want       bool
	}{
		{"found, case folded", "Sam Bankman-Fried", grounded(cite("a", "The trial of sam bankman-fried began.", 0)), true},
		{"final period dropped", "Sam Bankman-Fried.", grounded(cite("a", "Sam Bankman-Fried, the founder", 0)), true},
		{"curly quotes and dashes folded", "O'Neil–Smith", grounded(cite("a", "said O’Neil—Smith on Monday", 0)), true},
		{"across two quotes joined by a space", "New York", grounded(cite("a", "He flew to New", 0), cite("b", "York later.", 0)), true},
		{"not in the quotes", "Google", grounded(cite("a", "Apple said so.", 0)), false},
		{"only in the answer text", "Google", answer.Answer{Grounded: true, Answer: "Google [1]", Citations: []citation.Citation{cite("a", "It said so.", 0)}}, false},
		{"a decline is a miss", "Google", answer.Answer{Answer: answer.NotCovered}, false},
		{"empty gold", ".", grounded(cite("a", "anything.", 0)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluation.GoldInQuotes(tt.gold, tt.a); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// e2eFixture is four questions (two inference, one comparison, one null)
// with answers given with the cut-off off.
func e2eFixture() ([]evaluation.MultiHopQuery, evaluation.AnswerIndex) {
	ev := func(url string) []evaluation.Evidence { return []evaluation.Evidence{{URL: url, Fact: "f"}} }
	qs := []evaluation.MultiHopQuery{
		{Query: "who won?", Answer: "Alice", Type: "inference_query", Evidence: ev("u1")},
		{Query: "who lost?", Answer: "Bob", Type: "inference_query", Evidence: ev("u2")},
		{Query: "did both say so?", Answer: "Yes", Type: "comparison_query", Evidence: ev("u3")},
		{Query: "what about Mars?", Answer: "Insufficient information.", Type: "null_query"},
	}
	with := func(q string, support float64, cs ...citation.Citation) answer.Answer {
		a := grounded(cs...)
		a.Question, a.Support = q, support
		return a
	}
	as := []answer.Answer{
		with("who won?", 0.9, cite("u1", "Alice won the race.", 0)),
		with("who lost?", 0.5, cite("u9", "Carol spoke.", 0)),
		with("did both say so?", 0.7, cite("u3", "Both agreed.", 0)),
		with("what about Mars?", 0.6, cite("u5", "Mars is far.", 0)),
	}
	return qs, evaluation.IndexAnswers(as)
}

func TestScoreMultiHopEndToEnd(t *testing.T) {
	qs, answers := e2eFixture()
	// The second question is declined.
	a := answers["who lost?"]
	a.Grounded, a.Citations = false, nil
	answers["who lost?"] = a
	r := evaluation.ScoreMultiHopEndToEnd(qs, answers, evaluation.MultiHopOptions{})
	want := evaluation.EndToEndCounts{Questions: 3, Answered: 2, GoldCited: 2, Inference: 2, GoldQuoted: 1}
	if r.All != want {
		t.Errorf("all: got %+v, want %+v", r.All, want)
	}
	if got, want := r.ByType["inference_query"], (evaluation.EndToEndCounts{Questions: 2, Answered: 1, GoldCited: 1, Inference: 2, GoldQuoted: 1}); got != want {
		t.Errorf("inference: got %+v, want %+v", got, want)
	}
	if r.Null != 1 || r.NullDeclined != 0 || r.Missing != 0 {
		t.Errorf("got null %d, declined %d, missing %d; want 1, 0, 0", r.Null, r.NullDeclined, r.Missing)
	}
	delete(answers, "what about Mars?")
	r = evaluation.ScoreMultiHopEndToEnd(qs, answers, evaluation.MultiHopOptions{})
	if r.NullDeclined != 1 || r.Missing != 1 {
		t.Errorf("with the null answer missing: got declined %d, missing %d; want 1, 1", r.NullDeclined, r.Missing)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| inference_query | 2 | 0.500 | 0.500 | 0.500 | |") {
		t.Errorf("table has no inference row as expected:\n%s", b.String())
	}
}

func TestTradeOff(t *testing.T) {
	qs, off := e2eFixture()
	curve := evaluation.NewTradeOff(qs, off)
	tests := []struct {
		th                             float64
		nullDeclined, answered, quoted int
	}{
		{0, 0, 3, 1},
		{0.55, 0, 2, 1},
		{0.6, 0, 2, 1},
		{0.61, 1, 2, 1},
		{0.8, 1, 1, 1},
		{0.95, 1, 0, 0},
	}
	for _, tt := range tests {
		c := curve.At(tt.th)
		if c.NullDeclined != tt.nullDeclined || c.Answered != tt.answered || c.GoldQuoted != tt.quoted || c.Nulls != 1 || c.Answerable != 3 || c.Inference != 2 {
			t.Errorf("at %.2f: got %+v, want null declined %d, answered %d, quoted %d", tt.th, c, tt.nullDeclined, tt.answered, tt.quoted)
		}
	}
	c, ok := curve.Calibrate(0.95)
	if !ok || c.Threshold != 0.601 || c.NullDeclined != 1 || c.Answered != 2 {
		t.Errorf("calibrate: got %+v, %v; want threshold 0.601, 1 null declined, 2 answered", c, ok)
	}
	var b bytes.Buffer
	if err := curve.WriteCurve(&b, []float64{0, 0.5, 1}, map[float64]string{c.Threshold: "calibrated"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(b.String(), "\n| "); got != 4 {
		t.Errorf("curve has %d rows, want 4 (three thresholds and the mark):\n%s", got, b.String())
	}
	if !strings.Contains(b.String(), "| 0.601 | 1.000 (1/1) | 0.667 (2/3) | 0.500 (1/2) | calibrated |") {
		t.Errorf("curve has no calibrated row as expected:\n%s", b.String())
	}
}
