package maxscore

import (
	"github.com/briefbot/briefbot/internal/benchdata"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

var stop = map[string]bool{"the": true, "a": true, "an": true, "of": true, "to": true, "in": true, "and": true, "is": true, "was": true, "for": true, "on": true, "that": true, "by": true, "with": true, "as": true, "at": true, "it": true}

// analyse splits text into lower-case words without stop words, and the
// bigrams of adjacent ones; it returns the terms and the word count.
func analyse(text string) ([]string, int) {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var terms []string
	prev := ""
	n := 0
	for _, w := range words {
		if stop[w] {
			prev = ""
			continue
		}
		n++
		terms = append(terms, w)
		if prev != "" {
			terms = append(terms, prev+" "+w)
		}
		prev = w
	}
	return terms, n
}

// builder makes an Index the way retrieval lays one out.
type builder struct {
	ids   map[string]uint32
	names []string
}

func (b *builder) id(t string) uint32 {
	if id, ok := b.ids[t]; ok {
		return id
	}
	id := uint32(len(b.names))
	b.ids[t] = id
	b.names = append(b.names, t)
	return id
}

type entry struct{ term, doc, tf uint32 }

// postings builds dense (keys false) or sparse postings from entries.
func postings(es []entry, nTerms int, sparse bool) Postings {
	slices.SortFunc(es, func(a, b entry) int {
		if a.term != b.term {
			return int(a.term) - int(b.term)
		}
		return int(a.doc) - int(b.doc)
	})
	p := Postings{Doc: make([]uint32, len(es)), TF: make([]uint16, len(es))}
	if sparse {
		p.Keys = []uint32{}
		p.Off = []uint32{}
		for i, e := range es {
			if i == 0 || e.term != es[i-1].term {
				p.Keys = append(p.Keys, e.term)
				p.Off = append(p.Off, uint32(i))
			}
		}
		p.Off = append(p.Off, uint32(len(es)))
	} else {
		p.Off = make([]uint32, nTerms+1)
		for _, e := range es {
			p.Off[e.term+1]++
		}
		for t := 1; t <= nTerms; t++ {
			p.Off[t] += p.Off[t-1]
		}
	}
	for i, e := range es {
		p.Doc[i] = e.doc
		if e.tf >= MaxTF16 {
			p.TF[i] = MaxTF16
			if p.Big == nil {
				p.Big = map[uint32]uint32{}
			}
			p.Big[uint32(i)] = e.tf
			continue
		}
		p.TF[i] = uint16(e.tf)
	}
	return p
}

func bagOf(b *builder, terms []string) map[uint32]uint32 {
	m := map[uint32]uint32{}
	for _, t := range terms {
		m[b.id(t)]++
	}
	return m
}

// buildIndex indexes the articles' chunks, bodies and title fields (title
// and outlet).
func buildIndex(tb testing.TB, arts []article.Article) (*Index, *builder) {
	tb.Helper()
	b := &builder{ids: map[string]uint32{}}
	ix := &Index{NArts: len(arts)}
	var ce, ae, te []entry
	for a := range arts {
		ix.ArtFirst = append(ix.ArtFirst, int32(ix.NChunks))
		for _, ch := range (retrieval.ChunkOptions{}).Chunks(&arts[a]) {
			terms, n := analyse(ch.Text)
			for id, tf := range bagOf(b, terms) {
				ce = append(ce, entry{id, uint32(ix.NChunks), tf})
			}
			ix.ChunkLen = append(ix.ChunkLen, float32(n))
			ix.ChunkArt = append(ix.ChunkArt, int32(a))
			ix.NChunks++
		}
		terms, n := analyse(arts[a].Text)
		for id, tf := range bagOf(b, terms) {
			ae = append(ae, entry{id, uint32(a), tf})
		}
		ix.ArtLen = append(ix.ArtLen, float32(n))
		terms, n = analyse(arts[a].Title + " " + arts[a].Outlet)
		for id, tf := range bagOf(b, terms) {
			te = append(te, entry{id, uint32(a), tf})
		}
		ix.TitleLen = append(ix.TitleLen, float32(n))
	}
	ix.ArtFirst = append(ix.ArtFirst, int32(ix.NChunks))
	nTerms := len(b.names)
	ix.ChunkPost = postings(ce, nTerms, false)
	ix.ArtPost = postings(ae, nTerms, false)
	ix.TitlePost = postings(te, nTerms, true)
	avg := func(ls []float32) float64 {
		s := 0.0
		for _, l := range ls {
			s += float64(l)
		}
		if s == 0 {
			return 1
		}
		return s / float64(len(ls))
	}
	ix.AvgChunk, ix.AvgArt, ix.AvgTitle = avg(ix.ChunkLen), avg(ix.ArtLen), avg(ix.TitleLen)
	// Document frequencies of title terms, as retrieval's computeDF.
	tp := &ix.TitlePost
	for r := 0; r < tp.Terms(); r++ {
		t := tp.Keys[r]
		clo, chi := ix.ChunkPost.Span(t)
		alo, ahi := ix.ArtPost.Span(t)
		cdf, adf := int32(chi-clo), int32(ahi-alo)
		cdocs, adocs := ix.ChunkPost.Doc[clo:chi], ix.ArtPost.Doc[alo:ahi]
		for _, a := range tp.Doc[tp.Off[r]:tp.Off[r+1]] {
			first, end := uint32(ix.ArtFirst[a]), uint32(ix.ArtFirst[a+1])
			i, _ := slices.BinarySearch(cdocs, first)
			j, _ := slices.BinarySearch(cdocs, end)
			cdf += int32(end-first) - int32(j-i)
			if _, found := slices.BinarySearch(adocs, a); !found {
				adf++
			}
		}
		ix.TitleChunkDF = append(ix.TitleChunkDF, cdf)
		ix.TitleArtDF = append(ix.TitleArtDF, adf)
	}
	return ix, b
}

// queryTerms weighs a question's known terms as retrieval does: 1+ln of
// the weighted count, a bigram counting bigramW.
func queryTerms(b *builder, q string, bigramW float64) []Term {
	terms, _ := analyse(q)
	w := map[uint32]float64{}
	var order []uint32
	for _, t := range terms {
		id, ok := b.ids[t]
		if !ok {
			continue
		}
		if _, seen := w[id]; !seen {
			order = append(order, id)
		}
		if strings.Contains(t, " ") {
			w[id] += bigramW
		} else {
			w[id]++
		}
	}
	out := make([]Term, len(order))
	for i, id := range order {
		x := w[id]
		if x > 1 {
			x = 1 + math.Log(x)
		}
		out[i] = Term{ID: id, Weight: x}
	}
	return out
}

func loadMultiHop(tb testing.TB) ([]article.Article, []string) {
	tb.Helper()
	arts, _, err := article.Load(benchdata.Path(tb, "multihop-rag", "corpus.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return arts, benchdata.MultiHopQuestions(tb)
}

// defaults are retrieval's DefaultTuning.
var (
	chunkP = Params{K1: 0.9, B: 0.5, TitleW: 1.5, TitleB: 0.5}
	artP   = Params{K1: 1.2, B: 0.75, TitleW: 1.5, TitleB: 0.5}
)

// TestSearchEqualsExhaustive is the property: on MultiHop-RAG questions
// over the MultiHop-RAG corpus, in several settings, Search returns exactly
// Exhaustive's chunks with exactly its scores.
func TestSearchEqualsExhaustive(t *testing.T) {
	arts, qs := loadMultiHop(t)
	ix, b := buildIndex(t, arts)
	ix.Prepare(chunkP, artP)
	allowed := make([]bool, ix.NArts)
	for a := range allowed {
		allowed[a] = a%3 != 1
	}
	noTitle := chunkP
	noTitle.TitleW = 0
	tests := []struct {
		name    string
		k       int
		artW    float64
		chunk   Params
		allowed []bool
		every   int // every n-th question
	}{
		{"defaults k=100", 100, 0.5, chunkP, nil, 4},
		{"k=10", 10, 0.5, chunkP, nil, 7},
		{"k=1", 1, 0.5, chunkP, nil, 7},
		{"no article score", 100, 0, chunkP, nil, 7},
		{"no title field, unprepared", 100, 0.5, noTitle, nil, 40},
		{"filtered", 100, 0.5, chunkP, allowed, 7},
		{"k beyond the matches", 100000, 0.5, chunkP, nil, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			// The race detector finds nothing in this single-goroutine
			// search, only slows it about tenfold: it checks a sparser sample.
			for i := 0; i < len(qs); i += tt.every * raceStride {
				q := Query{Terms: queryTerms(b, qs[i], 0.5), Chunk: tt.chunk, Article: artP, ArticleWeight: tt.artW, Allowed: tt.allowed, K: tt.k}
				want := ix.Exhaustive(q)
				got := ix.Search(q)
				if !slices.Equal(got, want) {
					t.Fatalf("question %d %q: got %d results %v..., want %d %v...", i, qs[i], len(got), head(got), len(want), head(want))
				}
				n++
			}
			if n == 0 {
				t.Fatal("no question checked")
			}
		})
	}
}

func head(rs []Result) []Result { return rs[:min(3, len(rs))] }

func TestSearchEdgeCases(t *testing.T) {
	arts := []article.Article{
		{ID: "a", Title: "Solar power", Text: "Solar panels got cheaper. Wind did too."},
		{ID: "empty", Title: "Solar without a body"},
		{ID: "b", Title: "Wind farms", Text: "Offshore wind farms grow. Solar grows as well."},
	}
	for i := range arts {
		arts[i].Body = []article.Span{{Start: 0, End: len(arts[i].Text)}}
	}
	ix, b := buildIndex(t, arts)
	tests := []struct {
		name string
		q    Query
		want int
	}{
		{"no terms", Query{K: 10, Chunk: chunkP, Article: artP}, 0},
		{"unknown word", Query{Terms: queryTerms(b, "zebra", 0.5), K: 10, Chunk: chunkP, Article: artP}, 0},
		{"k zero", Query{Terms: queryTerms(b, "solar", 0.5), K: 0, Chunk: chunkP, Article: artP}, 0},
		{"all filtered out", Query{Terms: queryTerms(b, "solar", 0.5), K: 10, Chunk: chunkP, Article: artP, Allowed: []bool{false, true, false}}, 0},
		{"title-only term", Query{Terms: queryTerms(b, "power", 0.5), K: 10, Chunk: chunkP, Article: artP, ArticleWeight: 0.5}, int(ix.ArtFirst[1] - ix.ArtFirst[0])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.Search(tt.q)
			want := ix.Exhaustive(tt.q)
			if len(got) != tt.want || !slices.Equal(got, want) {
				t.Fatalf("got %v, want %d results equal to the exhaustive %v", got, tt.want, want)
			}
		})
	}
}
