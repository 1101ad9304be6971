package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/slackbot"
)

// maxScopeTopics bounds the topics whose articles are remembered.
const maxScopeTopics = 64

// scopes answers from the part of the articles a Slack channel follows.
type scopes struct {
	mu sync.Mutex
	// about remembers, per topic, which articles are about it: articles
	// are immutable (an update is a new *Article), so each is looked at
	// once.
	about map[string]map[*article.Article]bool
}

// articles returns the articles in scope, in index order.
func (s *scopes) articles(ix *retrieval.Index, scope slackbot.Scope) []*article.Article {
	var outlets []string
	for _, o := range scope.Outlets {
		if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
			outlets = append(outlets, o)
		}
	}
	var terms []string
	seen := map[string]bool{}
	for _, t := range ix.Analyze(scope.Topic) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	key := strings.Join(terms, " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.about == nil || len(s.about) > maxScopeTopics {
		s.about = map[string]map[*article.Article]bool{}
	}
	known := s.about[key]
	if known == nil && len(terms) > 0 {
		known = map[*article.Article]bool{}
		s.about[key] = known
	}
	var out []*article.Article
	for _, a := range ix.Articles() {
		if len(outlets) > 0 && !outletMatches(a.Outlet, outlets) {
			continue
		}
		if len(terms) > 0 {
			in, ok := known[a]
			if !ok {
				in = mentionsAll(ix, a, terms)
				known[a] = in
			}
			if !in {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// outletMatches matches outlets as the search filter does: in part,
// case-insensitively.
func outletMatches(outlet string, want []string) bool {
	o := strings.ToLower(strings.TrimSpace(outlet))
	for _, w := range want {
		if o != "" && strings.Contains(o, w) {
			return true
		}
	}
	return false
}

// mentionsAll reports whether the article's headline or body has every
// term (stemmed, as the search analyses text, with the index's cache of
// stems). An article whose lower-cased text lacks the start of a term's
// stem (all but its last letter, which stemming may change: "sky" from
// "skies") is ruled out without analysing it, so a new topic costs a scan
// of the text rather than a stemming of every word.
func mentionsAll(ix *retrieval.Index, a *article.Article, terms []string) bool {
	lower := strings.ToLower(a.Title + "\n" + a.Text)
	// Analyze folds accents ("Élysée" gives "elyse"); such text is analysed.
	accented := strings.IndexFunc(lower, func(r rune) bool { return r >= 0xC0 && r <= 0x24F }) >= 0
	joined := "" // hyphenated words run together, as Analyze also gives them
	for _, t := range terms {
		if accented {
			break
		}
		p := stemPrefix(t)
		if strings.Contains(lower, p) {
			continue
		}
		if joined == "" {
			joined = dashes.Replace(lower)
		}
		if !strings.Contains(joined, p) {
			return false
		}
	}
	have := map[string]bool{}
	for _, t := range ix.Analyze(a.Title) {
		have[t] = true
	}
	for _, sp := range a.Body {
		for _, t := range ix.Analyze(a.Text[sp.Start:sp.End]) {
			have[t] = true
		}
	}
	for _, t := range terms {
		if !have[t] {
			return false
		}
	}
	return true
}

// dashes removes the hyphens and dashes that join words.
var dashes = strings.NewReplacer("-", "", "\u2010", "", "\u2011", "", "\u2012", "", "\u2013", "", "\u2014", "")

// stemPrefix is the part of a stem that the words it comes from start
// with: all but its last letter, and at least two letters.
func stemPrefix(term string) string {
	r := []rune(term)
	if len(r) <= 2 {
		return term
	}
	return string(r[:len(r)-1])
}

// scopedIndex is the index seen through a scope: searches keep to its
// articles, and the composer knows only them (so a question naming an
// outlet the channel does not follow is declined).
type scopedIndex struct {
	*retrieval.Index
	ids  []string
	arts []*article.Article
}

func (s scopedIndex) Search(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	q.Filter.ArticleIDs = s.ids
	return s.Index.Search(ctx, q)
}

func (s scopedIndex) Articles() []*article.Article { return s.arts }

// AnswerScoped answers from the articles a channel follows.
func (s service) AnswerScoped(ctx context.Context, question string, history []answer.Turn, scope slackbot.Scope) (answer.Answer, error) {
	if scope.IsZero() {
		return s.Answer(ctx, question, history)
	}
	arts := s.eng.scopes.articles(s.eng.index, scope)
	if len(arts) == 0 {
		return answer.Answer{Question: question, Grounded: false, Mode: "extractive", Citations: []citation.Citation{},
			Notes: []string{fmt.Sprintf("No articles are in this channel's scope (%s).", scope)}}, nil
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	c := answer.New(scopedIndex{Index: s.eng.index, ids: ids, arts: arts}, s.eng.answerOpts, s.eng.log)
	a, err := c.Answer(ctx, question, history)
	s.eng.scopedStats(c)
	return a, err
}

// scopedStats adds the counts of a scoped answer's composer to the
// engine's, for the Slack app's metrics.
func (e *engine) scopedStats(c *answer.Composer) {
	st := c.Stats()
	e.scoped.QuotesDropped.Add(st.QuotesDropped.Load())
	e.scoped.ModelFallbacks.Add(st.ModelFallbacks.Load())
}
