package briefing

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/quote"
)

// Sizes of what the model sees.
const (
	modelDocsPerStory = 5    // articles of a story shown to the model
	modelSentences    = 6    // best sentences of an article in its passage
	modelPassageBytes = 1800 // longest passage
	modelPromptBytes  = 60000
)

// modelStory is a story as the model sees it: its passages by number.
type modelStory struct {
	st       *story
	passages map[int]*doc
}

// writeWithModel has the model write the stories into out. It reports
// whether it did, and a note for the reader when the model failed or some
// of what it wrote could not be verified.
func (b *Builder) writeWithModel(ctx context.Context, out *Briefing, stories []*story) (bool, string) {
	data := prompts.BriefingData{Date: out.Date, Topic: out.Topic}
	ms := make([]modelStory, 0, len(stories))
	n, size := 0, 0
	for i, st := range stories {
		m := modelStory{st: st, passages: map[int]*doc{}}
		ps := prompts.Story{N: i + 1}
		for _, d := range st.modelDocs() {
			text := st.passage(d)
			if text == "" || size+len(text) > modelPromptBytes {
				continue
			}
			size += len(text)
			n++
			m.passages[n] = d
			ps.Passages = append(ps.Passages, prompts.Passage{
				N: n, Source: d.art.ID, Title: d.art.Title, Outlet: d.art.Outlet, Date: d.art.Date(), Text: text,
			})
		}
		if len(ps.Passages) == 0 {
			break // the prompt is full
		}
		data.Stories = append(data.Stories, ps)
		ms = append(ms, m)
	}
	unavailable := "The model could not write this briefing, so it is extracted from the articles."
	p, err := prompts.Briefing(data)
	if err != nil {
		b.log.Warn("briefing prompt failed", "err", err)
		return false, unavailable
	}
	b.log.Debug("briefing prompt", "system", p.System, "user", p.User)
	reply, err := b.opts.Write(ctx, p)
	if err != nil {
		b.log.Warn("model failed to write the briefing", "err", err)
		return false, unavailable
	}
	parsed, err := prompts.ParseBriefingReply(reply)
	if err != nil {
		b.log.Warn("model's briefing reply unusable", "err", err)
		return false, unavailable
	}
	byStory := map[int]prompts.ReplyStory{}
	for _, rs := range parsed.Stories {
		byStory[rs.Story] = rs
	}
	set := citation.NewSet(b.log)
	out.Stories = out.Stories[:0]
	fellBack, dropped := 0, 0
	for i, st := range stories {
		var s Story
		ok := false
		if i < len(ms) {
			if rs, found := byStory[i+1]; found {
				var d int
				s, d, ok = ms[i].fromModel(set, rs)
				dropped += d
			}
		}
		if !ok {
			s = st.extractive(set)
			fellBack++
		}
		out.Stories = append(out.Stories, s)
	}
	if fellBack == len(stories) {
		// Nothing the model wrote held up: an extractive briefing, numbered
		// afresh by the caller.
		return false, "The model's briefing could not be verified against the articles, so it is extracted from them."
	}
	out.Citations = set.List()
	out.Mode = ModeModel
	var notes []string
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d %s whose quotes could not be found verbatim in the articles %s left out.", dropped, plural(dropped, "point", "points"), plural(dropped, "was", "were")))
	}
	if fellBack > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d stories are extracted from the articles, as the model's version could not be verified.", fellBack, len(stories)))
	}
	return true, strings.Join(notes, " ")
}

// modelDocs are the articles of the story shown to the model: one per
// outlet first, representative one first.
func (st *story) modelDocs() []*doc {
	out := []*doc{st.rep}
	sources := map[string]bool{st.rep.source: true}
	for _, d := range st.docs {
		if len(out) == modelDocsPerStory {
			return out
		}
		if !sources[d.source] {
			sources[d.source] = true
			out = append(out, d)
		}
	}
	for _, d := range st.docs {
		if len(out) == modelDocsPerStory {
			break
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// passage is what the model sees of an article: its sentences closest to
// the story, in article order.
func (st *story) passage(d *doc) string {
	type ranked struct {
		s     *sent
		score float64
	}
	// The sentences on either side of a disagreement the finder saw come
	// first, so that the model sees both versions.
	disputed := map[int]bool{}
	for _, c := range st.conflicts() {
		for _, side := range c.Sides {
			if side.Sentence.Article == d.art {
				disputed[side.Sentence.Start] = true
			}
		}
	}
	var rs []ranked
	for _, s := range d.sents {
		if s.words >= 5 {
			score := cosine(s.vec, st.center) * (1 + leadBonus*max(0, 1-float64(s.pos)/leadSentences))
			if disputed[s.start] {
				score += 10
			}
			rs = append(rs, ranked{s, score})
		}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	if len(rs) > modelSentences {
		rs = rs[:modelSentences]
	}
	slices.SortFunc(rs, func(a, b ranked) int { return a.s.pos - b.s.pos })
	var parts []string
	size := 0
	for _, r := range rs {
		t := collapse(r.s.text())
		if size+len(t) > modelPassageBytes {
			break
		}
		size += len(t) + 1
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

// markerRE matches citation markers the model put in its text ("[2]",
// "[1][3]", "[1, 3]"): they name its passages, not the briefing's citations.
var markerRE = regexp.MustCompile(`\s*\[\d+(?:\s*,\s*\d+)*\](?:\[\d+(?:\s*,\s*\d+)*\])*`)

// fromModel builds the story from the model's reply, keeping only points
// with at least one quote found verbatim in the article of the passage it
// names; ok is false when fewer than two points hold up. It reports the
// points it dropped. Nothing is cited into set unless ok.
func (m modelStory) fromModel(set *citation.Set, rs prompts.ReplyStory) (s Story, dropped int, ok bool) {
	type quoted struct {
		d *doc
		q string
	}
	type point struct {
		text   string
		quotes []quoted
	}
	var points []point
	for _, p := range rs.Points {
		text := collapse(markerRE.ReplaceAllString(p.Text, ""))
		var qs []quoted
		for _, q := range p.Quotes {
			d, known := m.passages[q.Citation]
			if !known {
				continue
			}
			if _, found := quote.FindIn(d.art, q.Text); found {
				qs = append(qs, quoted{d, q.Text})
			}
		}
		if text == "" || len(qs) == 0 {
			dropped++
			continue
		}
		points = append(points, point{text, qs})
	}
	if len(points) < minPoints {
		return Story{}, dropped, false
	}
	if len(points) > maxPoints {
		points = points[:maxPoints]
	}
	s = m.st.skeleton()
	if h := collapse(rs.Headline); h != "" {
		s.Headline, _ = headlineOf(h, titleLimit)
	}
	for _, p := range points {
		sp := answer.Sentence{Text: p.text}
		for _, q := range p.quotes {
			if n, ok := set.Cite(q.d.art, q.q); ok && !slices.Contains(sp.Citations, n) {
				sp.Citations = append(sp.Citations, n)
			}
		}
		s.Points = append(s.Points, sp)
	}
	var extra []answer.Conflict
	for _, rd := range rs.Disagreements {
		c := answer.Conflict{Kind: rd.Kind, About: rd.About}
		for _, side := range rd.Sides {
			d, known := m.passages[side.Citation]
			if !known {
				break
			}
			match, found := quote.FindIn(d.art, side.Quote)
			if !found {
				break
			}
			c.Sides = append(c.Sides, answer.ConflictSide{
				Sentence: answer.ArticleSentence{Article: d.art, Start: match.Start, End: match.End},
				Says:     side.Says,
			})
		}
		if len(c.Sides) == len(rd.Sides) && len(c.Sides) >= 2 {
			extra = append(extra, c)
		}
	}
	if m.st.split {
		// The threads are extracted: the model writes the story's points.
		s.Threads = m.st.extractiveThreads(set, m.st.pick(), s.Headline)
	}
	s.Disagreements = m.st.disagreements(set, extra)
	return s, dropped, true
}
