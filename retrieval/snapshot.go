package retrieval

import (
	"cmp"
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
// published: an Add builds the next one beside it, sharing what it can
// (the per-article and per-chunk arrays, appended to; the lexical
// segments, one more), while searches go on, and swaps it in. Articles
// and chunks are numbered in the order they were added (see lexIndex);
// removed ones stay, marked dead, until a merge compacts the snapshot.
type snapshot struct {
	arts   []*entry   // by article number
	chunks []chunkRec // by chunk number, article by article
	// idBase maps the article IDs of the compacted base to their numbers;
	// idOver the IDs added or removed (-1) since. Both are shared, never
	// changed: an Add copies idOver, which a merge empties.
	idBase, idOver map[string]int32
	lex            *lexIndex
	vecs           vecView
	maxIDF         float64
	// outlets lists the distinct outlets (lower-case); artOutlet gives
	// each article's index in it, -1 for none. outletID is the inverse of
	// outlets.
	outlets   []string
	outletID  map[string]int32
	artOutlet []int32
	// epoch counts the compactions the snapshot descends from: snapshots
	// of one epoch number articles and chunks alike.
	epoch int
}

func emptySnapshot() *snapshot {
	s := &snapshot{idBase: map[string]int32{}, outletID: map[string]int32{}, lex: &lexIndex{artFirst: []int32{0}, pool: new(lexPool)}}
	s.maxIDF = idf(0, 0)
	s.lex.setAverages()
	return s
}

// lookup returns the number of the live article with an ID.
func (s *snapshot) lookup(id string) (int32, bool) {
	if a, ok := s.idOver[id]; ok {
		return a, a >= 0
	}
	a, ok := s.idBase[id]
	return a, ok
}

// live returns the numbers of the live articles in ID order.
func (s *snapshot) live() []int32 {
	lx := s.lex
	out := make([]int32, 0, lx.liveArts)
	for a := int32(0); a < lx.sortedArts; a++ {
		if !lx.isDead(uint32(a)) {
			out = append(out, a)
		}
	}
	if int(lx.sortedArts) == lx.nArts {
		return out
	}
	var added []int32
	for a := lx.sortedArts; int(a) < lx.nArts; a++ {
		if !lx.isDead(uint32(a)) {
			added = append(added, a)
		}
	}
	byID := func(a, b int32) int { return strings.Compare(s.arts[a].art.ID, s.arts[b].art.ID) }
	slices.SortFunc(added, byID)
	merged := make([]int32, 0, len(out)+len(added))
	i, j := 0, 0
	for i < len(out) || j < len(added) {
		if j == len(added) || i < len(out) && byID(out[i], added[j]) < 0 {
			merged = append(merged, out[i])
			i++
		} else {
			merged = append(merged, added[j])
			j++
		}
	}
	return merged
}

// cmpChunk orders chunks as an index built afresh numbers them: by
// article ID, then position in the article. Ties between equal scores go
// by it, so that a snapshot ranks exactly as a compacted one.
func (s *snapshot) cmpChunk(a, b int32) int {
	lx := s.lex
	if a < lx.sorted && b < lx.sorted {
		return cmp.Compare(a, b)
	}
	aa, ab := lx.chunkArt[a], lx.chunkArt[b]
	if aa == ab {
		return cmp.Compare(a, b)
	}
	return strings.Compare(s.arts[aa].art.ID, s.arts[ab].art.ID)
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
		if s.lex.isDead(uint32(a)) {
			return false
		}
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
			if a, ok := s.lookup(id); ok && pass(a) {
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
	limit := s.lex.liveChunks / 16
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
