package answer

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/quote"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/sentence"
)

// Near-match settings for source lookups.
const (
	minNearSimilarity = 0.5
	maxNearMatches    = 5
	maxSourceRunes    = 2000
)

// sourceCandidates is how many chunks the lexical index is asked for as
// the candidates of a source lookup.
const sourceCandidates = 40

// Source finds where text appears in the articles: every verbatim match
// first, then the closest near-matches (marked as such), each with the
// sentence around it and how the looked-up text differs from the article's.
//
// Its work is bounded whatever the corpus: the candidates are the chunks
// the index ranks first for the text (its lexical side ranks a verbatim
// phrase first); exact matches are searched in the candidates' articles (a
// linear scan), and near-matches are aligned on the candidate chunks only,
// never on whole bodies. It stops with ctx's error when ctx ends.
func (c *Composer) Source(ctx context.Context, text string) (SourceResult, error) {
	text = trimQuotes(strings.Join(strings.Fields(strings.ToValidUTF8(text, " ")), " "))
	res := SourceResult{Text: text, Matches: []SourceMatch{}}
	if text == "" {
		return res, ErrEmptyQuestion
	}
	if r := []rune(text); len(r) > maxSourceRunes {
		text = string(r[:maxSourceRunes])
		res.Text = text
		res.Notes = append(res.Notes, fmt.Sprintf("Only the first %d characters were looked up.", maxSourceRunes))
	}
	hits, err := c.index.Search(ctx, retrieval.Query{Text: text, K: sourceCandidates})
	if err != nil {
		return res, fmt.Errorf("search for source %q: %w", text, err)
	}
	seen := map[string]bool{}
	for _, h := range hits {
		a := h.Article
		if a == nil || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if err := ctx.Err(); err != nil {
			return res, err
		}
		for _, m := range quote.FindAllIn(a, text) {
			res.Matches = append(res.Matches, c.sourceMatch(a, m.Start, m.End, true, 1))
		}
	}
	near, err := c.nearMatches(ctx, text, hits, res.Matches)
	if err != nil {
		return res, err
	}
	res.Matches = append(res.Matches, near...)
	c.stats.QuotesShown.Add(int64(len(res.Matches)))
	if len(res.Matches) == 0 {
		res.Notes = append(res.Notes, "This text does not appear in the articles, not even approximately.")
	}
	return res, nil
}

// nearMatches aligns text with the candidate chunks hits and keeps, per
// article, the closest passage that is not already an exact match.
func (c *Composer) nearMatches(ctx context.Context, text string, hits []retrieval.Hit, exact []SourceMatch) ([]SourceMatch, error) {
	type best struct {
		a          *article.Article
		sim        float64
		start, end int
	}
	var order []string
	bests := map[string]*best{}
	for _, h := range hits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, ch := h.Article, h.Chunk
		if a == nil || ch.Start < 0 || ch.End > len(a.Text) || ch.Start >= ch.End || a.Text[ch.Start:ch.End] != ch.Text {
			continue
		}
		n, ok := quote.Nearest(ch.Text, text)
		if !ok {
			continue
		}
		s, e := ch.Start+n.Start, ch.Start+n.End
		if !inBody(a, s, e) {
			continue
		}
		b := bests[a.ID]
		if b == nil {
			b = &best{a: a}
			bests[a.ID] = b
			order = append(order, a.ID)
		}
		if n.Similarity > b.sim {
			b.sim, b.start, b.end = n.Similarity, s, e
		}
	}
	var out []SourceMatch
	for _, id := range order {
		b := bests[id]
		if b.sim < minNearSimilarity || b.sim >= 1 && quote.Equal(b.a.Text[b.start:b.end], text) || overlapsAny(exact, id, b.start, b.end) {
			continue
		}
		out = append(out, c.sourceMatch(b.a, b.start, b.end, false, b.sim))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Similarity > out[j].Similarity })
	if len(out) > maxNearMatches {
		out = out[:maxNearMatches]
	}
	return out, nil
}

// inBody reports whether [start, end) of a's text lies in one span of its
// body.
func inBody(a *article.Article, start, end int) bool {
	for _, span := range a.Body {
		if span.Start <= start && end <= span.End {
			return true
		}
	}
	return false
}

func overlapsAny(ms []SourceMatch, id string, start, end int) bool {
	for _, m := range ms {
		if m.Source == id && start < m.End && m.Start < end {
			return true
		}
	}
	return false
}

// sourceMatch describes a match in a with its surrounding sentence, whether
// the looked-up text was trimmed from it or altered, and who said it.
func (c *Composer) sourceMatch(a *article.Article, start, end int, exact bool, sim float64) SourceMatch {
	ss, se := sentenceAround(a, start, end)
	m := SourceMatch{
		Citation:   citation.For(0, a, start, end),
		Exact:      exact,
		Similarity: sim,
		Sentence:   a.Text[ss:se],
	}
	switch {
	case !exact:
		m.Altered = "altered"
	case !quote.Equal(strings.Trim(a.Text[ss:se], ` "“”'‘’.,`), strings.Trim(a.Text[start:end], ` "“”'‘’.,`)):
		m.Altered = "trimmed"
	}
	m.Speaker = speaker(a, ss, se)
	return m
}

// sentenceAround returns the bounds of the sentences of a's body that
// contain [start, end).
func sentenceAround(a *article.Article, start, end int) (int, int) {
	for _, span := range a.Body {
		if start < span.Start || start >= span.End {
			continue
		}
		ss, se := start, end
		found := false
		for _, s := range sentence.Split(a.Text[span.Start:span.End]) {
			s0, s1 := span.Start+s.Start, span.Start+s.End
			if s1 <= start || s0 >= end {
				continue
			}
			if !found {
				ss, found = s0, true
			}
			se = max(se, s1)
		}
		if found {
			return ss, se
		}
	}
	return start, end
}

var (
	saidAfterRE  = regexp.MustCompile(`(?:[,”"’]\s*|\s)((?:\p{Lu}[\p{L}’'-]+\s+){0,2}\p{Lu}[\p{L}’'-]+)\s+(?:said|says|told|wrote|added|stated|tweeted|posted|insisted|warned|cautioned|argued|noted)\b`)
	saidBeforeRE = regexp.MustCompile(`\b(?:said|says|according to)\s+((?:\p{Lu}[\p{L}’'-]+\s+){0,2}\p{Lu}[\p{L}’'-]+)`)
	quotedByRE   = regexp.MustCompile(`((?:\p{Lu}[\p{L}’'-]+\s+){0,2}\p{Lu}[\p{L}’'-]+)\s+(?:said|says|told|wrote|added|stated)(?:\s+\w+){0,4}\s*[:,]\s*[“"]`)
)

// speaker guesses who said the sentence [ss, se) of a: a name next to a
// verb of saying in it, or in the sentence before it when it is a bare
// quotation. It returns "" when the text does not say.
func speaker(a *article.Article, ss, se int) string {
	s := a.Text[ss:se]
	for _, re := range []*regexp.Regexp{saidAfterRE, quotedByRE, saidBeforeRE} {
		if m := re.FindStringSubmatch(s); m != nil && !pronounOrCommon(m[1]) {
			return m[1]
		}
	}
	return ""
}

func pronounOrCommon(name string) bool {
	switch strings.ToLower(strings.Fields(name)[0]) {
	case "he", "she", "they", "it", "we", "i", "you", "the", "this", "that", "but", "and", "officials", "reports":
		return true
	}
	return false
}

// trimQuotes removes one pair of surrounding quotation marks.
func trimQuotes(s string) string {
	pairs := [][2]string{{`"`, `"`}, {"“", "”"}, {"'", "'"}, {"‘", "’"}, {"«", "»"}}
	for _, p := range pairs {
		if len(s) > len(p[0])+len(p[1]) && strings.HasPrefix(s, p[0]) && strings.HasSuffix(s, p[1]) {
			return strings.TrimSpace(s[len(p[0]) : len(s)-len(p[1])])
		}
	}
	return s
}
