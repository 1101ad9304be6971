package evaluation

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// This file scores MultiHop-RAG end to end, the way a user of `bot ask
// --json` judges the answers: is an answerable question answered, a null
// query declined, the gold answer of an inference query in the quotes, the
// gold evidence's article cited? And it draws the trade-off curve of the
// grounding cut-off from answers given with the cut-off off.

// InferenceQuery is the MultiHop-RAG type whose gold answer is a phrase
// (a name, a thing) that the cited quotes can hold.
const InferenceQuery = "inference_query"

// GoldInQuotes reports whether the gold answer is in the answer's cited
// quotes: the lower-cased gold answer, curly quotes and dashes folded and
// a final period dropped, found in the cited quotes joined by spaces
// (folded the same way). A decline has no quotes and so never holds it.
func GoldInQuotes(gold string, a answer.Answer) bool {
	g := strings.TrimSpace(FoldText(gold))
	g = strings.TrimSpace(strings.TrimSuffix(g, "."))
	if g == "" || len(a.Citations) == 0 {
		return false
	}
	return strings.Contains(FoldText(QuotesText(a)), g)
}

// citesGold reports an answer citing one of the gold articles.
func citesGold(a answer.Answer, gold map[string]int) bool {
	return slices.ContainsFunc(a.Citations, func(c citation.Citation) bool { return gold[c.Source] > 0 })
}

// EndToEndCounts counts the end-to-end outcomes of a group of answerable
// (non-null) questions.
type EndToEndCounts struct {
	// Questions is the number of questions; Answered those grounded with
	// at least one citation; GoldCited those citing a gold evidence
	// article; GoldQuoted those whose cited quotes hold the gold answer
	// (inference queries only: Inference counts them).
	Questions, Answered, GoldCited, Inference, GoldQuoted int
}

func (c *EndToEndCounts) add(q MultiHopQuery, a answer.Answer, gold map[string]int) {
	c.Questions++
	if Answered(a) {
		c.Answered++
	}
	if citesGold(a, gold) {
		c.GoldCited++
	}
	if q.Type == InferenceQuery {
		c.Inference++
		if GoldInQuotes(q.Answer, a) {
			c.GoldQuoted++
		}
	}
}

// MultiHopEndToEnd is the end-to-end report on MultiHop-RAG answers.
type MultiHopEndToEnd struct {
	All    EndToEndCounts
	ByType map[string]EndToEndCounts
	// Null is the null queries answered; NullDeclined those not answered
	// (see Answered). Missing counts questions with no answer given (they
	// score as declines).
	Null, NullDeclined, Missing int
}

// ScoreMultiHopEndToEnd scores answers to the MultiHop-RAG queries end to
// end. The gold articles are those of opt (the doc-level qrels, or the
// evidence urls).
func ScoreMultiHopEndToEnd(qs []MultiHopQuery, answers AnswerIndex, opt MultiHopOptions) MultiHopEndToEnd {
	rep := MultiHopEndToEnd{ByType: map[string]EndToEndCounts{}}
	for _, q := range qs {
		a, ok := answers[normQuestion(q.Query)]
		if !ok {
			rep.Missing++
		}
		if q.Type == NullQuery || len(q.Evidence) == 0 {
			rep.Null++
			if !Answered(a) {
				rep.NullDeclined++
			}
			continue
		}
		gold := goldDocs(q, opt)
		rep.All.add(q, a, gold)
		c := rep.ByType[q.Type]
		c.add(q, a, gold)
		rep.ByType[q.Type] = c
	}
	return rep
}

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// AnsweredShare, NullDeclinedShare and GoldQuotedShare are the report's
// headline figures.
func (r MultiHopEndToEnd) AnsweredShare() float64 { return share(r.All.Answered, r.All.Questions) }

// NullDeclinedShare is the share of null queries declined.
func (r MultiHopEndToEnd) NullDeclinedShare() float64 { return share(r.NullDeclined, r.Null) }

// GoldQuotedShare is the share of inference queries whose cited quotes hold
// the gold answer.
func (r MultiHopEndToEnd) GoldQuotedShare() float64 {
	return share(r.All.GoldQuoted, r.All.Inference)
}

// WriteTable prints the report as a Markdown table, one row per question
// type.
func (r MultiHopEndToEnd) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "| MultiHop-RAG dev, end to end | questions | answered | gold article cited | gold answer in quotes | null queries declined |\n|---|---|---|---|---|---|\n")
	row := func(name string, c EndToEndCounts) {
		quoted := "n/a"
		if c.Inference > 0 {
			quoted = fmt.Sprintf("%.3f", share(c.GoldQuoted, c.Inference))
		}
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %s | |\n", name, c.Questions, share(c.Answered, c.Questions), share(c.GoldCited, c.Questions), quoted)
	}
	row("answerable (all non-null)", r.All)
	types := make([]string, 0, len(r.ByType))
	for t := range r.ByType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		row(t, r.ByType[t])
	}
	fmt.Fprintf(w, "| %s | %d | | | | %.3f (%d/%d) |\n", NullQuery, r.Null, r.NullDeclinedShare(), r.NullDeclined, r.Null)
	_, err := fmt.Fprintf(w, "\nanswered = grounded with at least one citation; gold answer in quotes = the lower-cased gold answer (curly quotes and dashes folded, final period dropped) in the cited quotes joined by spaces, a decline counting as a miss; missing answers %d\n", r.Missing)
	return err
}

// CurvePoint is one point of the grounding cut-off's trade-off curve:
// with the cut-off at Threshold, how many null queries are declined, how
// many answerable questions answered, and how many inference queries have
// the gold answer in the quotes.
type CurvePoint struct {
	Threshold             float64
	Nulls, NullDeclined   int
	Answerable, Answered  int
	Inference, GoldQuoted int
}

// NullDeclinedShare, AnsweredShare and GoldQuotedShare are the point's
// shares.
func (c CurvePoint) NullDeclinedShare() float64 { return share(c.NullDeclined, c.Nulls) }

// AnsweredShare is the share of answerable questions answered.
func (c CurvePoint) AnsweredShare() float64 { return share(c.Answered, c.Answerable) }

// GoldQuotedShare is the share of inference queries with the gold answer
// in the quotes.
func (c CurvePoint) GoldQuotedShare() float64 { return share(c.GoldQuoted, c.Inference) }

// TradeOff holds what the curve needs of each question, from answers
// given with the cut-off off (answer.Options.MinCoverage < 0), which carry
// their Support: an answer is given at threshold t when it was answered
// with the cut-off off and its Support is at least t.
type TradeOff struct {
	null, answerable, inference []supportPoint
}

type supportPoint struct {
	answered bool // answered with the cut-off off
	support  float64
	quoted   bool // the gold answer in the quotes (inference queries)
}

// NewTradeOff gathers the curve's data from answers given with the
// cut-off off.
func NewTradeOff(qs []MultiHopQuery, off AnswerIndex) TradeOff {
	var t TradeOff
	for _, q := range qs {
		a := off[normQuestion(q.Query)]
		p := supportPoint{answered: Answered(a), support: a.Support}
		switch {
		case q.Type == NullQuery || len(q.Evidence) == 0:
			t.null = append(t.null, p)
		default:
			t.answerable = append(t.answerable, p)
			if q.Type == InferenceQuery {
				p.quoted = GoldInQuotes(q.Answer, a)
				t.inference = append(t.inference, p)
			}
		}
	}
	return t
}

// At returns the curve's point at threshold th.
func (t TradeOff) At(th float64) CurvePoint {
	given := func(p supportPoint) bool { return p.answered && p.support >= th }
	c := CurvePoint{Threshold: th, Nulls: len(t.null), Answerable: len(t.answerable), Inference: len(t.inference)}
	for _, p := range t.null {
		if !given(p) {
			c.NullDeclined++
		}
	}
	for _, p := range t.answerable {
		if given(p) {
			c.Answered++
		}
	}
	for _, p := range t.inference {
		if given(p) && p.quoted {
			c.GoldQuoted++
		}
	}
	return c
}

// Calibrate returns the lowest threshold at which at least the share
// target of null queries is declined, and its point. Thresholds are tried
// just above every null query's support (at the next multiple of 0.001),
// so the answer is exact for these answers to that precision; ok is false
// when no threshold reaches the target.
func (t TradeOff) Calibrate(target float64) (CurvePoint, bool) {
	cands := []float64{0}
	for _, p := range t.null {
		if p.answered {
			// The least multiple of 0.001 above the support.
			cands = append(cands, (math.Floor(p.support*1000)+1)/1000)
		}
	}
	slices.Sort(cands)
	for _, th := range cands {
		if c := t.At(th); c.NullDeclinedShare() >= target {
			return c, true
		}
	}
	return CurvePoint{}, false
}

// WriteCurve prints the curve at the given thresholds as a Markdown table,
// with the marked points (such as the calibrated threshold and the
// default cut-off) placed in order and labelled.
func (t TradeOff) WriteCurve(w io.Writer, thresholds []float64, marks map[float64]string) error {
	ths := slices.Clone(thresholds)
	for th := range marks {
		if !slices.Contains(ths, th) {
			ths = append(ths, th)
		}
	}
	slices.Sort(ths)
	fmt.Fprintf(w, "| cut-off on support | null queries declined | answerable answered | inference: gold answer in quotes | |\n|---|---|---|---|---|\n")
	for _, th := range ths {
		c := t.At(th)
		fmt.Fprintf(w, "| %.3f | %.3f (%d/%d) | %.3f (%d/%d) | %.3f (%d/%d) | %s |\n", th,
			c.NullDeclinedShare(), c.NullDeclined, c.Nulls, c.AnsweredShare(), c.Answered, c.Answerable, c.GoldQuotedShare(), c.GoldQuoted, c.Inference, marks[th])
	}
	_, err := fmt.Fprintln(w)
	return err
}
