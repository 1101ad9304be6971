package retrieval

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	chromem "github.com/philippgille/chromem-go"
)

// synthIndex returns an in-memory index of n synthetic articles.
func synthIndex(tb testing.TB, n int) (*Index, []article.Article) {
	tb.Helper()
	g := synthetic.New(7)
	arts := make([]article.Article, n)
	for i := range arts {
		arts[i] = g.Article(i)
	}
	ix, err := New(context.Background(), Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), arts); err != nil {
		tb.Fatal(err)
	}
	return ix, arts
}

// TestScanMatchesChromem checks the vector scan against chromem-go's own
// Query over the index's collection: the same chunks, and similarities equal
// to the bit, with and without a filter.
func TestScanMatchesChromem(t *testing.T) {
	t.Parallel()
	ix, arts := synthIndex(t, 150)
	s := ix.current()
	ctx := context.Background()
	g := synthetic.New(7)
	for i := 0; i < 10; i++ {
		q := g.Question(i, len(arts))
		qv, err := ix.embedQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{1, 10, 100} {
			got := s.vecs.scan(qv, k, s.lex.chunkArt, nil, nil)
			want, err := ix.coll.QueryEmbedding(ctx, qv, k, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			compareWithChromem(t, s, got, want)
		}
		// A filter on one article, as chromem's where clause.
		id := arts[i*7%len(arts)].ID
		allowed, _ := s.allowed(Filter{ArticleIDs: []string{id}})
		got := s.vecs.scan(qv, 5, s.lex.chunkArt, allowed, s.selectiveSlots(allowed))
		want, err := ix.coll.QueryEmbedding(ctx, qv, 5, map[string]string{"article_id": id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		compareWithChromem(t, s, got, want)
		// The full scan with a filter gives the same as the selective one.
		if full := s.vecs.scan(qv, 5, s.lex.chunkArt, allowed, nil); !slices.Equal(full, got) {
			t.Errorf("filtered full scan %v, selective scan %v", full, got)
		}
	}
}

func compareWithChromem(tb testing.TB, s *snapshot, got []vecHit, want []chromem.Result) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d hits, chromem %d", len(got), len(want))
	}
	for i := range got {
		if got[i].sim != want[i].Similarity {
			tb.Errorf("hit %d: similarity %v, chromem %v", i, got[i].sim, want[i].Similarity)
		}
		// Chunks of equal similarity may come in another order from
		// chromem, which breaks ties at random.
		if id := s.chunks[got[i].chunk].id; id != want[i].ID && (i+1 >= len(want) || want[i+1].Similarity != want[i].Similarity) && (i == 0 || want[i-1].Similarity != want[i].Similarity) {
			tb.Errorf("hit %d: chunk %s, chromem %s", i, id, want[i].ID)
		}
	}
}

// TestChromemSharesVectors checks that the chromem-go documents hold the
// slabs' memory, not copies, and that the index's vectors are what the
// local embedder gives for title and text.
func TestChromemSharesVectors(t *testing.T) {
	t.Parallel()
	ix, arts := synthIndex(t, 30)
	s := ix.current()
	ctx := context.Background()
	emb := LocalEmbedder()
	for c := range s.chunks {
		r := &s.chunks[c]
		res, err := ix.coll.QueryEmbedding(ctx, s.vecs.vec(r.slot), 1, map[string]string{"article_id": s.arts[s.lex.chunkArt[c]].art.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].ID != r.id {
			t.Fatalf("chunk %s: chromem's nearest is %v", r.id, res)
		}
		if &res[0].Embedding[0] != &s.vecs.vec(r.slot)[0] {
			t.Errorf("chunk %s: chromem holds a copy of the vector, want the slab's", r.id)
		}
		ch := s.chunk(int32(c))
		a := s.arts[s.lex.chunkArt[c]].art
		want, _ := emb(ctx, a.Title+"\n\n"+ch.Text)
		if !slices.Equal(s.vecs.vec(r.slot), normalized(want)) {
			t.Errorf("chunk %s: vector differs from the local embedder's", r.id)
		}
	}
	if ix.coll.Count() != len(s.chunks) {
		t.Errorf("chromem holds %d documents, the index %d chunks", ix.coll.Count(), len(s.chunks))
	}
	_ = arts
}

// TestEmbedTokensMatchesEmbedder checks the analysis-driven embedding
// (including the fallback for chunks whose sentences are not separated by
// white space) against LocalEmbedder on texts with unusual separators.
func TestEmbedTokensMatchesEmbedder(t *testing.T) {
	texts := []string{
		"First sentence here. Second one follows.",
		"No-space.Between sentences.Here",
		"List:\n1. first item\n2. second item",
		"Quotes: “One,” she said. “Two.”",
		"",
	}
	ctx := context.Background()
	for i, text := range texts {
		a := article.Article{ID: "t" + string(rune('a'+i)), Title: "A Title", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
		ix, err := New(ctx, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		s := ix.current()
		for c := range s.chunks {
			want, _ := LocalEmbedder()(ctx, a.Title+"\n\n"+s.chunk(int32(c)).Text)
			if got := s.vecs.vec(s.chunks[c].slot); !slices.Equal(got, normalized(want)) {
				t.Errorf("%q chunk %d: vector differs from the local embedder's", text, c)
			}
		}
	}
}

func TestTopHits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 3, 50} {
		var all []vecHit
		top := topHits{k: k}
		for i := 0; i < 500; i++ {
			h := vecHit{sim: float32(r.IntN(40)) / 40, chunk: int32(i)}
			all = append(all, h)
			top.push(h)
		}
		slices.SortFunc(all, func(a, b vecHit) int {
			if worse(a, b) {
				return 1
			}
			if worse(b, a) {
				return -1
			}
			return 0
		})
		got := slices.Clone(top.h)
		slices.SortFunc(got, func(a, b vecHit) int {
			if worse(a, b) {
				return 1
			}
			return -1
		})
		if !slices.Equal(got, all[:k]) {
			t.Errorf("k=%d: got %v, want %v", k, got, all[:k])
		}
	}
}

func TestDotMatchesSequentialSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	q := make([]float32, 37)
	var v [4][]float32
	for i := range q {
		q[i] = r.Float32() - 0.5
	}
	for j := range v {
		v[j] = make([]float32, len(q))
		for i := range v[j] {
			v[j][i] = r.Float32() - 0.5
		}
	}
	got := dot4(q, &v)
	for j := range v {
		var want float32
		for i := range q {
			want += q[i] * v[j][i]
		}
		if got[j] != want || dot(q, v[j]) != want {
			t.Errorf("vector %d: dot4 %v, dot %v, want %v", j, got[j], dot(q, v[j]), want)
		}
	}
}

func TestVecStoreSlots(t *testing.T) {
	var s vecStore
	if err := s.setDim(4); err != nil {
		t.Fatal(err)
	}
	slots := s.reserve(slabSlots+3, nil)
	if len(slots) != slabSlots+3 || slots[slabSlots+2] != slabSlots+2 {
		t.Fatalf("got %d slots ending %d", len(slots), slots[len(slots)-1])
	}
	copy(s.vec(slabSlots+1), []float32{1, 2, 3, 4})
	if got := s.vec(slabSlots + 1); !slices.Equal(got, []float32{1, 2, 3, 4}) || cap(got) != 4 {
		t.Errorf("slot vector %v (cap %d), want [1 2 3 4] capped", got, cap(got))
	}
	if err := s.setDim(8); err == nil {
		t.Error("changing the dimension with slots in use: got no error")
	}
	s.release([]int32{5, 9})
	if got := s.reserve(3, nil); !slices.Equal(got, []int32{9, 5, slabSlots + 3}) {
		t.Errorf("reserve after release: got %v, want the freed slots first", got)
	}
	s.release(slices.Concat(slots, []int32{slabSlots + 3}))
	if err := s.setDim(8); err != nil {
		t.Errorf("changing the dimension with every slot free: %v", err)
	}
}
