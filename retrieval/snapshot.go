package retrieval

import (
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
)

// entry is an indexed article. It is never changed once made, so that
// snapshots can share it.
type entry struct {
	art    *article.Article
	hash   string
	outlet string // lower-case, trimmed
}

// chunkRec is an indexed chunk: its ID, its bytes in the article's text and its vector's slot. Its article is
// the lexical index's chunkArt, its number its distance from the article's
// first chunk.
type chunkRec struct {
	id         string
	start, end int32
	slot       int32
}

// snapshot is the searchable state of an Index. It is immutable once
// published: an Add builds the next one beside it, while searches go on,
// and swaps it in.
type snapshot struct {
	arts   []*entry         // by article ID
	byID   map[string]int32 // article ID -> position in arts
	chunks []chunkRec       // all chunks, article by article
	lex    *lexIndex
	vecs   vecView
	maxIDF float64
	// outlets lists the distinct outlets (lower-case); artOutlet gives
	// each article's index in it, -1 for none.
	outlets   []string
	artOutlet []int32
}

func emptySnapshot() *snapshot {
	s := &snapshot{byID: map[string]int32{}, lex: &lexIndex{artFirst: []int32{0}}}
	s.lex.chunkPost.off = []uint32{0}
	s.lex.artPost.off = []uint32{0}
	s.lex.titlePost.keys = []uint32{}
	s.maxIDF = idf(0, 0)
	return s
}

// chunk returns chunk c as the API shows it.
func (s *snapshot) chunk(c int32) Chunk {
	r := &s.chunks[c]
	a := s.lex.chunkArt[c]
	art := s.arts[a].art
	return Chunk{
		ID:        r.id,
		ArticleID: art.ID,
		N:         int(c - s.lex.artFirst[a]),
		Start:     int(r.start),
		End:       int(r.end),
		Text:      art.Text[r.start:r.end],
	}
}

// articleChunks returns the chunks of article a.
func (s *snapshot) articleChunks(a int32) []Chunk {
	out := make([]Chunk, 0, s.lex.artFirst[a+1]-s.lex.artFirst[a])
	for c := s.lex.artFirst[a]; c < s.lex.artFirst[a+1]; c++ {
		out = append(out, s.chunk(c))
	}
	return out
}

// setOutlets fills outlets and artOutlet from the articles.
func (s *snapshot) setOutlets() {
	ids := map[string]int32{}
	s.artOutlet = make([]int32, len(s.arts))
	for i, e := range s.arts {
		if e.outlet == "" {
			s.artOutlet[i] = -1
			continue
		}
		id, ok := ids[e.outlet]
		if !ok {
			id = int32(len(s.outlets))
			ids[e.outlet] = id
			s.outlets = append(s.outlets, e.outlet)
		}
		s.artOutlet[i] = id
	}
}

// allowed returns which articles (by position) pass the filter, nil for no
// filter, and whether any does. The outlet test runs once per distinct
// outlet; with ArticleIDs only those articles are looked at.
func (s *snapshot) allowed(f Filter) ([]bool, bool) {
	var outlets []string
	for _, o := range f.Outlets {
		if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
			outlets = append(outlets, o)
		}
	}
	if len(outlets) == 0 && len(f.ArticleIDs) == 0 && f.From.IsZero() && f.To.IsZero() {
		return nil, true
	}
	var outletOK []bool
	if len(outlets) > 0 {
		outletOK = make([]bool, len(s.outlets))
		for i, name := range s.outlets {
			for _, o := range outlets {
				if strings.Contains(name, o) {
					outletOK[i] = true
					break
				}
			}
		}
	}
	to := f.To
	if !to.IsZero() {
		h, m, sec := to.Clock()
		if h == 0 && m == 0 && sec == 0 && to.Nanosecond() == 0 {
			to = to.AddDate(0, 0, 1) // a bare date includes its whole day
		} else {
			to = to.Add(time.Nanosecond)
		}
	}
	pass := func(a int32) bool {
		if outletOK != nil && (s.artOutlet[a] < 0 || !outletOK[s.artOutlet[a]]) {
			return false
		}
		if !f.From.IsZero() || !f.To.IsZero() {
			p := s.arts[a].art.PublishedAt
			return !p.IsZero() && (f.From.IsZero() || !p.Before(f.From)) && (to.IsZero() || p.Before(to))
		}
		return true
	}
	out := make([]bool, len(s.arts))
	some := false
	if len(f.ArticleIDs) > 0 {
		for _, id := range f.ArticleIDs {
			if a, ok := s.byID[id]; ok && pass(a) {
				out[a], some = true, true
			}
		}
		return out, some
	}
	for a := range s.arts {
		ok := pass(int32(a))
		out[a] = ok
		some = some || ok
	}
	return out, some
}

// selectiveSlots returns the vector slots of the chunks of the allowed
// articles when they are few (under 1/16 of all chunks), else nil.
func (s *snapshot) selectiveSlots(allowed []bool) []int32 {
	if allowed == nil {
		return nil
	}
	limit := s.lex.nChunks / 16
	var slots []int32
	for a, ok := range allowed {
		if !ok {
			continue
		}
		for c := s.lex.artFirst[a]; c < s.lex.artFirst[a+1]; c++ {
			if len(slots) >= limit {
				return nil
			}
			slots = append(slots, s.chunks[c].slot)
		}
	}
	if slots == nil {
		return []int32{}
	}
	slices.Sort(slots) // memory order
	return slots
}
