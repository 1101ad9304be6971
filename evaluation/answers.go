package evaluation

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/answer"
)

// This file scores answers as `bot ask --json` prints them: the retrieval
// metrics read each answer's passages (the top k chunks in rank order), and
// the null-query metric reads its grounded flag. `bot eval` uses it on
// answers it computes through the same composer, and on a file of answers
// written by `bot ask --json`.

// RenderPassage renders a passage the way the paper renders a chunk: its
// title, source (the outlet) and publication date, then its text. It
// matches RenderChunk for the same chunk.
func RenderPassage(p answer.Passage) string {
	return renderMeta(p.Title, p.Outlet, p.PublishedAt) + p.Text
}

// normQuestion is how answers are matched with benchmark questions.
func normQuestion(q string) string { return strings.Join(strings.Fields(q), " ") }

// AnswerIndex maps questions to answers by their normalised text.
type AnswerIndex map[string]answer.Answer

// Find returns the answer to question, or a zero Answer (no reply) when
// there is none.
func (idx AnswerIndex) Find(question string) answer.Answer {
	return idx[normQuestion(question)]
}

// IndexAnswers builds an AnswerIndex; a question asked twice keeps its
// first answer.
func IndexAnswers(as []answer.Answer) AnswerIndex {
	idx := make(AnswerIndex, len(as))
	for _, a := range as {
		k := normQuestion(a.Question)
		if _, ok := idx[k]; !ok {
			idx[k] = a
		}
	}
	return idx
}

// MultiHopAnswerReport scores answers to the MultiHop-RAG queries.
type MultiHopAnswerReport struct {
	// Queries is the non-null queries scored; Missing those with no answer
	// (they score zero).
	Queries, Missing int
	Chunk            ChunkMetrics
	ByType           map[string]ChunkMetrics
	// DocRecall10 is the share of gold articles among the articles of the
	// first ten passages.
	DocRecall10 float64
	// Null is the null queries answered; NullDeclined how many were
	// declined (grounded false). Answered is the non-null queries given a
	// grounded answer.
	Null, NullDeclined, Answered int
}

// ScoreMultiHopAnswers scores answers against the MultiHop-RAG queries with
// the paper's chunk-level rule over each answer's first ten passages.
func ScoreMultiHopAnswers(qs []MultiHopQuery, answers AnswerIndex, opt MultiHopOptions) MultiHopAnswerReport {
	rep := MultiHopAnswerReport{ByType: map[string]ChunkMetrics{}}
	docRecall := 0.0
	for _, q := range qs {
		a, ok := answers[normQuestion(q.Query)]
		if q.Type == NullQuery || len(q.Evidence) == 0 {
			if ok {
				rep.Null++
				if !a.Grounded {
					rep.NullDeclined++
				}
			}
			continue
		}
		rep.Queries++
		if !ok {
			rep.Missing++
		}
		if a.Grounded {
			rep.Answered++
		}
		texts := make([]string, 0, 10)
		for i, p := range a.Passages {
			if i >= 10 {
				break
			}
			texts = append(texts, RenderPassage(p))
		}
		scoreQuery(&rep.Chunk, rep.ByType, q, texts)
		docRecall += Recall(passageDocs(a.Passages, 10), goldDocs(q, opt), 10)
	}
	rep.Chunk.finish()
	for t, m := range rep.ByType {
		m.finish()
		rep.ByType[t] = m
	}
	if rep.Queries > 0 {
		docRecall /= float64(rep.Queries)
	}
	rep.DocRecall10 = docRecall
	return rep
}

// WriteTable prints the report as a Markdown table.
func (r MultiHopAnswerReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "| MultiHop-RAG dev | queries | Hits@4 | Hits@10 | MAP@10 | MRR@10 |\n|---|---|---|---|---|---|\n")
	row := func(name string, m ChunkMetrics) {
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f |\n", name, m.N, m.Hits4, m.Hits10, m.MAP10, m.MRR10)
	}
	row("all (chunk rule)", r.Chunk)
	for _, t := range typeNames(r.ByType) {
		row(t, r.ByType[t])
	}
	_, err := fmt.Fprintf(w, "\ndoc-level recall@10 %.3f · missing answers %d\n", r.DocRecall10, r.Missing)
	return err
}

// ScoreBEIRAnswers scores the doc ranking of each answer's passages (a doc
// ranks by its first passage) against qrels, over the queries in qrels.
// Recall@100 is exact only when answers have 100 distinct docs.
func ScoreBEIRAnswers(queries []BEIRQuery, answers AnswerIndex, qrels Qrels) BEIRReport {
	var rep BEIRReport
	for _, q := range queries {
		rel, ok := qrels[q.ID]
		if !ok {
			continue
		}
		a := answers[normQuestion(q.Text)]
		rep.add(passageDocs(a.Passages, len(a.Passages)), rel)
	}
	rep.finish()
	return rep
}

// passageDocs returns the distinct articles of the first n passages, in
// order of first appearance.
func passageDocs(ps []answer.Passage, n int) []string {
	var docs []string
	for i, p := range ps {
		if i >= n {
			break
		}
		if !slices.Contains(docs, p.Source) {
			docs = append(docs, p.Source)
		}
	}
	return docs
}
