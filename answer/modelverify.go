package answer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/quote"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/sentence"
)

// RepairSimilarity is the least word-alignment similarity (quote.Nearest)
// at which a model's quote that is not verbatim is replaced by the span of
// the cited passage it matches; below it the quote is dropped. At 0.85 one
// changed word is repaired in a quote of seven words or more, a misspelt or
// inflected word ("guarantee"/"guarantees", half a change) in one of four or
// more, and a span that is a few words longer or shorter than the quote
// falls below it. It was calibrated on the seed question set with a model
// that paraphrases: see TestParaphraseCounts and TestRepairCalibration.
const RepairSimilarity = 0.85

const (
	// minQuoteWords is the least number of words a model's quote needs to
	// support a claim.
	minQuoteWords = 3
	// minRepairWords is the least number of words a quote needs to be
	// repaired rather than dropped: the fewer the words, the less a
	// near-match says.
	minRepairWords = 4
	// maxModelSentences bounds the sentences of a model's answer.
	maxModelSentences = 8
	// maxSentenceQuotes bounds the quotes checked for one sentence, and
	// maxSentenceCitations the citations of one sentence looked at; the
	// rest are dropped unread. A model's reply is untrusted input: its
	// size, not the model's good will, must bound the work it causes.
	maxSentenceQuotes    = 6
	maxSentenceCitations = 12
	// maxModelDisagreements bounds the disagreements of a model's answer,
	// and maxDisagreementSides the sides of one.
	maxModelDisagreements = 4
	maxDisagreementSides  = 4
)

// quoteSpan is a verified quote: the text of art between start and end,
// found in passage (numbered from 1).
type quoteSpan struct {
	art        *article.Article
	start, end int
	passage    int
}

func (s quoteSpan) text() string { return s.art.Text[s.start:s.end] }

// verification checks one reply of the model against the passages it was
// given and builds the answer from what holds.
type verification struct {
	c    *Composer
	hits []retrieval.Hit
	b    *builder
	// kept are the spans of the sentences kept so far.
	kept []quoteSpan

	verified, repaired, dropped, citesDropped, sentsDropped int
}

func newVerification(c *Composer, hits []retrieval.Hit) *verification {
	return &verification{c: c, hits: hits, b: newBuilder(c)}
}

// log writes the verification's counts for one reply of n sentences.
func (v *verification) log(n int) {
	v.c.log.Info("model answer verified", "sentences", n, "sentences_dropped", v.sentsDropped,
		"quotes_verified", v.verified, "quotes_repaired", v.repaired, "quotes_dropped", v.dropped,
		"citations_dropped", v.citesDropped)
}

// reply verifies r and returns the answer made of its verified sentences
// and disagreements; false when no sentence is left. It stops with ctx's
// error when ctx ends during the verification.
func (v *verification) reply(ctx context.Context, r prompts.AnswerReply) (Answer, bool, error) {
	sents := r.Sentences
	if len(sents) > maxModelSentences {
		v.dropSentences(len(sents)-maxModelSentences, "more sentences than an answer may have")
		sents = sents[:maxModelSentences]
	}
	progress := progressOf(ctx)
	for _, s := range sents {
		if err := ctx.Err(); err != nil {
			return Answer{}, false, fmt.Errorf("verify the model's answer: %w", err)
		}
		n := len(v.b.ans.Sentences)
		v.sentence(s)
		progress.verified(v.b.ans, n)
	}
	if len(v.b.ans.Sentences) == 0 {
		return Answer{}, false, nil
	}
	ds := r.Disagreements
	if len(ds) > maxModelDisagreements {
		v.c.log.Warn("model disagreements dropped: more than an answer may have", "disagreements", len(ds), "kept", maxModelDisagreements)
		ds = ds[:maxModelDisagreements]
	}
	for _, d := range ds {
		if err := ctx.Err(); err != nil {
			return Answer{}, false, fmt.Errorf("verify the model's answer: %w", err)
		}
		v.disagreement(d)
	}
	ans := Answer{Grounded: true, Mode: "model", Citations: v.b.ans.Citations, Sentences: v.b.ans.Sentences,
		Disagreements: v.b.ans.Disagreements}
	ans.Answer = renderText(ans.Sentences)
	return ans, true, nil
}

func (v *verification) dropSentences(n int, reason string, args ...any) {
	v.sentsDropped += n
	v.c.stats.SentencesDropped.Add(int64(n))
	v.c.log.Warn("model sentence removed: "+reason, args...)
}

// sentence verifies one sentence and adds it when it keeps a verified
// quote.
func (v *verification) sentence(s prompts.ReplySentence) {
	text := cleanModelText(s.Text)
	quotes := s.Quotes
	if len(quotes) > maxSentenceQuotes {
		v.dropped += len(quotes) - maxSentenceQuotes
		v.c.stats.QuotesDropped.Add(int64(len(quotes) - maxSentenceQuotes))
		v.c.log.Warn("model quotes dropped: more than a sentence may have", "quotes", len(quotes), "kept", maxSentenceQuotes)
		quotes = quotes[:maxSentenceQuotes]
	}
	citations := s.Citations
	if len(citations) > maxSentenceCitations {
		v.citesDropped += len(citations) - maxSentenceCitations
		v.c.stats.CitationsDropped.Add(int64(len(citations) - maxSentenceCitations))
		v.c.log.Warn("model citations dropped: more than a sentence may have", "citations", len(citations), "kept", maxSentenceCitations)
		citations = citations[:maxSentenceCitations]
	}
	var spans []quoteSpan
	for _, q := range quotes {
		if sp, ok := v.quote(q); ok && !slices.Contains(spans, sp) {
			spans = append(spans, sp)
		}
	}
	// Citations: only passages with a verified quote are cited.
	supported := map[int]bool{}
	for _, sp := range spans {
		supported[sp.passage] = true
	}
	seen := map[int]bool{}
	for _, p := range citations {
		if seen[p] || supported[p] {
			continue
		}
		seen[p] = true
		v.citesDropped++
		v.c.stats.CitationsDropped.Add(1)
		reason := "no verified quote from that passage"
		if p < 1 || p > len(v.hits) {
			reason = "the passage was not retrieved"
		}
		v.c.log.Warn("model citation dropped", "passage", p, "reason", reason)
	}
	switch {
	case text == "":
		v.dropSentences(1, "no text")
		return
	case len(spans) == 0:
		v.dropSentences(1, "no verified quote", "sentence", shortLog(text))
		return
	}
	// Words the text itself quotes must be in the articles too.
	passagesOf := slices.Clone(citations)
	for _, sp := range spans {
		passagesOf = append(passagesOf, sp.passage)
	}
	text, spans, ok := v.inlineQuotes(text, spans, passagesOf)
	if !ok {
		v.dropSentences(1, "it quotes words that are not in the articles", "sentence", shortLog(text))
		return
	}
	if link, ok := unsupportedLink(text, spans); !ok {
		v.dropSentences(1, "it links to an address its articles do not give", "sentence", shortLog(text), "link", link)
		return
	}
	var cites []int
	for _, sp := range spans {
		n, ok := v.b.cite(sp.art, sp.text())
		if ok && !slices.Contains(cites, n) {
			cites = append(cites, n)
		}
	}
	if len(cites) == 0 {
		v.dropSentences(1, "no quote could be cited", "sentence", shortLog(text))
		return
	}
	v.kept = append(v.kept, spans...)
	v.b.sentence(text, cites...)
}

// quote verifies a quote of the model against the passage it cites.
func (v *verification) quote(q prompts.ReplyQuote) (quoteSpan, bool) {
	text := trimQuotes(collapse(q.Text))
	p := q.Citation
	if p < 1 || p > len(v.hits) || v.hits[p-1].Article == nil {
		return v.drop(q, "it cites a passage that was not retrieved")
	}
	if len(strings.Fields(text)) < minQuoteWords {
		return v.drop(q, "too short to support a claim")
	}
	if sp, ok := v.find(p, text); ok {
		v.verified++
		v.c.stats.QuotesVerified.Add(1)
		return sp, true
	}
	for i := range v.hits {
		if i+1 == p {
			continue
		}
		if sp, ok := v.find(i+1, text); ok {
			v.repairedQuote(q, sp, 1, "found verbatim in another passage")
			return sp, true
		}
	}
	if sp, sim, ok := v.near(p, text); ok {
		v.repairedQuote(q, sp, sim, "near-match in the cited passage")
		return sp, true
	}
	return v.drop(q, "not in the cited passage")
}

func (v *verification) drop(q prompts.ReplyQuote, reason string) (quoteSpan, bool) {
	v.dropped++
	v.c.stats.QuotesDropped.Add(1)
	v.c.log.Warn("model quote dropped: "+reason, "passage", q.Citation, "quote", shortLog(q.Text))
	return quoteSpan{}, false
}

func (v *verification) repairedQuote(q prompts.ReplyQuote, sp quoteSpan, sim float64, how string) {
	v.repaired++
	v.c.stats.QuotesRepaired.Add(1)
	v.c.log.Info("model quote repaired: "+how, "passage", q.Citation, "to_passage", sp.passage,
		"similarity", fmt.Sprintf("%.3f", sim), "quote", shortLog(q.Text), "article_text", shortLog(sp.text()))
}

// chunk returns passage p's chunk and article when the chunk is the
// article's text at its offsets, as it must be.
func (v *verification) chunk(p int) (retrieval.Chunk, *article.Article, bool) {
	if p < 1 || p > len(v.hits) {
		return retrieval.Chunk{}, nil, false
	}
	h := v.hits[p-1]
	a := h.Article
	ch := h.Chunk
	if a == nil || ch.Start < 0 || ch.End > len(a.Text) || ch.Start > ch.End || a.Text[ch.Start:ch.End] != ch.Text {
		return retrieval.Chunk{}, nil, false
	}
	return ch, a, true
}

// inBody returns the span of passage p at [start, end) of its chunk's
// text, when the article's body holds it verbatim.
func (v *verification) inBody(p, start, end int) (quoteSpan, bool) {
	ch, a, ok := v.chunk(p)
	if !ok {
		return quoteSpan{}, false
	}
	sp := quoteSpan{art: a, start: ch.Start + start, end: ch.Start + end, passage: p}
	if _, ok := quote.FindIn(a, sp.text()); !ok {
		return quoteSpan{}, false
	}
	return sp, true
}

// find finds text verbatim (white space and typographic marks aside) in
// passage p.
func (v *verification) find(p int, text string) (quoteSpan, bool) {
	ch, _, ok := v.chunk(p)
	if !ok {
		return quoteSpan{}, false
	}
	s, e, ok := quote.Find(ch.Text, text)
	if !ok {
		return quoteSpan{}, false
	}
	return v.inBody(p, s, e)
}

// near finds the span of passage p closest to text, when it is close
// enough to stand for it.
func (v *verification) near(p int, text string) (quoteSpan, float64, bool) {
	ch, _, ok := v.chunk(p)
	if !ok || len(strings.Fields(text)) < minRepairWords {
		return quoteSpan{}, 0, false
	}
	n, ok := quote.Nearest(ch.Text, text)
	if !ok || n.Similarity < RepairSimilarity {
		return quoteSpan{}, n.Similarity, false
	}
	sp, ok := v.inBody(p, n.Start, n.End)
	return sp, n.Similarity, ok
}

// quotedRE matches text in double quotation marks, straight, curly or
// angled; single marks are left alone, being also apostrophes.
var quotedRE = regexp.MustCompile(`[“"«]([^“”"«»]*)[”"»]`)

// quoteMarks are the marks quotedRE pairs.
const quoteMarks = `“”"«»`

// inlineQuotes checks the words text puts in quotation marks: each must be
// part of a verified quote (spans, or a sentence kept before), or be found
// in one of the passages, whose sentence is then cited too. Words that
// differ only slightly from a passage's are replaced by the passage's. It
// returns the text (stray quotation marks removed), the spans and false
// when some quoted words are not in the articles.
func (v *verification) inlineQuotes(text string, spans []quoteSpan, passages []int) (string, []quoteSpan, bool) {
	var b strings.Builder
	last := 0
	for _, m := range quotedRE.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(stripMarks(text[last:m[0]]))
		last = m[1]
		inner := strings.TrimSpace(text[m[2]:m[3]])
		if inner == "" {
			continue
		}
		opening, _ := utf8.DecodeRuneInString(text[m[0]:])
		closing, _ := utf8.DecodeLastRuneInString(text[:m[1]])
		if contained(inner, spans) || contained(inner, v.kept) {
			b.WriteString(text[m[0]:m[1]])
			continue
		}
		sp, exact, ok := v.quotedWords(inner, passages)
		if !ok {
			return text, spans, false
		}
		spans = append(spans, sp)
		if exact != "" {
			inner = exact
		}
		b.WriteRune(opening)
		b.WriteString(inner)
		b.WriteRune(closing)
	}
	b.WriteString(stripMarks(text[last:]))
	return collapse(b.String()), spans, true
}

// quotedWords finds words the model put in quotation marks in one of
// passages: verbatim, or as a near-match. It returns the span of the
// passage's sentence that holds them, and for a near-match the passage's
// exact words.
func (v *verification) quotedWords(words string, passages []int) (quoteSpan, string, bool) {
	var ps []int
	for _, p := range passages {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	for _, p := range ps {
		ch, _, ok := v.chunk(p)
		if !ok {
			continue
		}
		if s, e, ok := quote.Find(ch.Text, words); ok {
			if sp, ok := v.sentenceSpan(p, s, e); ok {
				v.verified++
				v.c.stats.QuotesVerified.Add(1)
				return sp, "", true
			}
		}
	}
	if len(strings.Fields(words)) < minRepairWords {
		return quoteSpan{}, "", false
	}
	for _, p := range ps {
		ch, _, ok := v.chunk(p)
		if !ok {
			continue
		}
		n, ok := quote.Nearest(ch.Text, words)
		if !ok || n.Similarity < RepairSimilarity {
			continue
		}
		if sp, ok := v.sentenceSpan(p, n.Start, n.End); ok {
			exact := collapse(ch.Text[n.Start:n.End])
			v.repairedQuote(prompts.ReplyQuote{Citation: p, Text: words}, sp, n.Similarity, "quotation in the text")
			return sp, exact, true
		}
	}
	return quoteSpan{}, "", false
}

// sentenceSpan returns the span of the sentence of passage p that holds
// [start, end) of its chunk's text, or [start, end) itself when the words
// run over more than one sentence.
func (v *verification) sentenceSpan(p, start, end int) (quoteSpan, bool) {
	ch, _, ok := v.chunk(p)
	if !ok {
		return quoteSpan{}, false
	}
	for _, s := range sentence.Split(ch.Text) {
		if s.Start <= start && end <= s.End {
			return v.inBody(p, s.Start, s.End)
		}
	}
	return v.inBody(p, start, end)
}

// contained reports whether words are part of one of spans.
func contained(words string, spans []quoteSpan) bool {
	for _, sp := range spans {
		if _, _, ok := quote.Find(sp.text(), words); ok {
			return true
		}
	}
	return false
}

func stripMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(quoteMarks, r) {
			return -1
		}
		return r
	}, s)
}

// linkRE matches a web address in a model's text: a URL with a scheme, or
// a bare domain name (two or more labels, the last of two or more letters:
// "slack-security-check.example/login", "www.example.com"), with an
// optional path. Abbreviations such as "U.S." or "e.g." have one-letter
// labels and are not domains.
var linkRE = regexp.MustCompile(`(?i)(?:\b[a-z][a-z0-9+.-]*://[^\s<>"“”()\[\]]+|(?:^|[^\p{L}\p{N}._/-])((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,63})(?:[:/?#][^\s<>"“”()\[\]]*)?(?:$|[^\p{L}\p{N}]))`)

// unsupportedLink returns the first web address in text, bare domains
// included, that is not the URL of one of the spans' articles: a link in a
// model's prose is shown only when it is a cited article's own address,
// never because the article's text contains it (an article may carry a
// planted link).
func unsupportedLink(text string, spans []quoteSpan) (string, bool) {
	for _, m := range linkRE.FindAllString(text, -1) {
		link := strings.TrimLeftFunc(m, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		link = strings.TrimRightFunc(link, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(".,;:!?'’”\")", r) })
		ok := false
		for _, sp := range spans {
			if sp.art.URL != "" && sameAddress(sp.art.URL, link) {
				ok = true
				break
			}
		}
		if !ok {
			return link, false
		}
	}
	return "", true
}

// sameAddress reports whether link names the page at url: the same host
// (case aside, "www." aside) and path (a final "/" aside), with or without
// the scheme.
func sameAddress(url, link string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		host, path, _ := strings.Cut(s, "/")
		host = strings.TrimPrefix(strings.ToLower(host), "www.")
		return host + "/" + strings.TrimSuffix(path, "/")
	}
	return norm(url) == norm(link)
}

// markerRE matches citation markers the model may write into its text,
// such as [1], [1, 2] or [1-3]; the answer's own markers replace them.
var markerRE = regexp.MustCompile(`\s*\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]`)

// cleanModelText returns a sentence of the model without citation markers,
// with white space collapsed.
func cleanModelText(s string) string {
	return collapse(markerRE.ReplaceAllString(strings.ToValidUTF8(s, " "), ""))
}

// disagreement adds a disagreement of the model's when at least two of its
// sides, from different articles, say something different that is part of
// a verified quote.
func (v *verification) disagreement(d prompts.ReplyDisagreement) {
	type side struct {
		sp   quoteSpan
		says string
	}
	var sides []side
	ds := d.Sides
	if len(ds) > maxDisagreementSides {
		ds = ds[:maxDisagreementSides]
	}
	for _, s := range ds {
		sp, ok := v.quote(prompts.ReplyQuote{Citation: s.Citation, Text: s.Quote})
		if !ok {
			continue
		}
		st, en, ok := quote.Find(sp.text(), trimQuotes(collapse(s.Says)))
		if !ok {
			v.c.log.Warn("model disagreement side dropped: what it says is not in its quote", "says", shortLog(s.Says))
			continue
		}
		says := collapse(sp.text()[st:en])
		dup := false
		for _, o := range sides {
			dup = dup || o.sp.art.ID == sp.art.ID || quote.Equal(o.says, says)
		}
		if !dup {
			sides = append(sides, side{sp, says})
		}
	}
	if len(sides) < 2 {
		v.c.log.Warn("model disagreement dropped: fewer than two verified sides", "about", shortLog(d.About))
		return
	}
	out := Disagreement{Kind: d.Kind, About: collapse(stripMarks(d.About))}
	var parts []string
	var cites []int
	stated := true
	answerText := renderText(v.b.ans.Sentences)
	for _, s := range sides {
		n, ok := v.b.cite(s.sp.art, s.sp.text())
		if !ok {
			return
		}
		out.Sides = append(out.Sides, Side{Says: s.says, Citation: n})
		cites = append(cites, n)
		parts = append(parts, fmt.Sprintf("%s“%s” [%d]", sourceLabel(s.sp.art), s.says, n))
		stated = stated && strings.Contains(answerText, s.says)
	}
	v.b.ans.Disagreements = append(v.b.ans.Disagreements, out)
	if !stated {
		v.b.ans.Sentences = append(v.b.ans.Sentences, Sentence{
			Text:      fmt.Sprintf("The reports differ on a %s (%s): %s.", out.Kind, out.About, strings.Join(parts, " versus ")),
			Citations: cites,
		})
	}
}

// shortLog cuts s for a log line.
func shortLog(s string) string {
	s = collapse(s)
	if r := []rune(s); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}
