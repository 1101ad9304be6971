package retrieval

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/retrieval/topk"
	"github.com/briefbot/briefbot/retrieval/vecscan"
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
	// The 1-bit codes too: tests force the 1-bit pass over these vectors.
	ix, err := New(context.Background(), Config{oneBitCodes: true})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), arts); err != nil {
		tb.Fatal(err)
	}
	return ix, arts
}

// chromemOf returns a chromem-go collection of the snapshot's chunks with
// their vectors and article IDs: the reference the vector scan is tested
// against.
func chromemOf(tb testing.TB, s *snapshot) *chromem.Collection {
	tb.Helper()
	ctx := context.Background()
	fail := func(context.Context, string) ([]float32, error) {
		tb.Fatal("the reference collection embedded a text")
		return nil, nil
	}
	coll, err := chromem.NewDB().CreateCollection("chunks", nil, fail)
	if err != nil {
		tb.Fatal(err)
	}
	docs := make([]chromem.Document, len(s.chunks))
	for c := range s.chunks {
		r := &s.chunks[c]
		docs[c] = chromem.Document{ID: r.id, Embedding: slices.Clone(s.vecs.vec(r.slot)),
			Metadata: map[string]string{"article_id": s.arts[s.lex.chunkArt[c]].art.ID}, Content: s.chunk(int32(c)).Text}
	}
	if err := coll.AddDocuments(ctx, docs, 2); err != nil {
		tb.Fatal(err)
	}
	return coll
}

// TestScanMatchesChromem checks the vector scan (4-bit codes, then exact
// rescoring) against chromem-go's own Query over a collection of the same
// vectors: the same chunks, and similarities equal to the bit, with and
// without a filter.
func TestScanMatchesChromem(t *testing.T) {
	t.Parallel()
	ix, arts := synthIndex(t, 150)
	s := ix.current()
	coll := chromemOf(t, s)
	if n := s.vecs.slots; n <= minRescore {
		t.Fatalf("%d slots: the code scan runs only above %d", n, minRescore)
	}
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
			want, err := coll.QueryEmbedding(ctx, qv, k, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			compareWithChromem(t, s, got, want)
		}
		// A filter on one article, as chromem's where clause.
		id := arts[i*7%len(arts)].ID
		allowed, _ := s.allowed(Filter{ArticleIDs: []string{id}})
		got := s.vecs.scan(qv, 5, s.lex.chunkArt, allowed, s.selectiveSlots(allowed))
		want, err := coll.QueryEmbedding(ctx, qv, 5, map[string]string{"article_id": id}, nil)
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

// TestBitPassHonoursFiltersAndHoles checks the 1-bit pass on an index
// with removed chunks (free slots) and with a filter: passing every slot
// on (a fraction of 1) it must give exactly the int8 scan's hits, and
// passing half on, only chunks in the index that the filter admits.
func TestBitPassHonoursFiltersAndHoles(t *testing.T) {
	t.Parallel()
	ix, arts := synthIndex(t, 200)
	ctx := context.Background()
	var gone []string
	for i := 0; i < len(arts); i += 5 {
		gone = append(gone, arts[i].ID)
	}
	if _, err := ix.Remove(ctx, gone...); err != nil {
		t.Fatal(err)
	}
	s := ix.current()
	if n := s.vecs.slots; n <= 2*minRescore {
		t.Fatalf("%d slots: the 1-bit pass runs only above %d", n, 2*minRescore)
	}
	var ids []string
	for i := 1; i < len(arts); i += 3 {
		ids = append(ids, arts[i].ID)
	}
	allowed, _ := s.allowed(Filter{ArticleIDs: ids})
	g := synthetic.New(7)
	for i := 0; i < 10; i++ {
		qv, err := ix.embedQuery(ctx, g.Question(i, len(arts)))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name    string
			allowed []bool
		}{{"no filter", nil}, {"filter", allowed}} {
			want := s.vecs.scanWith(qv, 10, s.lex.chunkArt, tt.allowed, nil, 0)
			if got := s.vecs.scanWith(qv, 10, s.lex.chunkArt, tt.allowed, nil, 1); !slices.Equal(got, want) {
				t.Errorf("%s, question %d: got %v passing every slot on, want the int8 scan's %v", tt.name, i, got, want)
			}
			for _, h := range s.vecs.scanWith(qv, 10, s.lex.chunkArt, tt.allowed, nil, 2) {
				if tt.allowed != nil && !tt.allowed[s.lex.chunkArt[h.ID]] {
					t.Errorf("%s, question %d: got chunk %d of an article the filter leaves out", tt.name, i, h.ID)
				}
				if a := s.arts[s.lex.chunkArt[h.ID]].art.ID; slices.Contains(gone, a) {
					t.Errorf("%s, question %d: got chunk %d of removed article %s", tt.name, i, h.ID, a)
				}
			}
		}
	}
}

func compareWithChromem(tb testing.TB, s *snapshot, got []vecHit, want []chromem.Result) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d hits, chromem %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Score != want[i].Similarity {
			tb.Errorf("hit %d: similarity %v, chromem %v", i, got[i].Score, want[i].Similarity)
		}
		// Chunks of equal similarity may come in another order from
		// chromem, which breaks ties at random.
		if id := s.chunks[got[i].ID].id; id != want[i].ID && (i+1 >= len(want) || want[i+1].Similarity != want[i].Similarity) && (i == 0 || want[i-1].Similarity != want[i].Similarity) {
			tb.Errorf("hit %d: chunk %s, chromem %s", i, id, want[i].ID)
		}
	}
}

// TestVectorsAreEmbedderOutput checks that the index's vectors are what
// the local embedder gives for title and text, normalised, and that their
// codes are vecscan's.
func TestVectorsAreEmbedderOutput(t *testing.T) {
	t.Parallel()
	ix, arts := synthIndex(t, 30)
	ctx := context.Background()
	emb := LocalEmbedder()
	check := func(when string) {
		s := ix.current()
		for c := range s.chunks {
			if s.lex.isDead(uint32(s.lex.chunkArt[c])) {
				continue // its slot may hold another chunk's vector now
			}
			r := &s.chunks[c]
			ch := s.chunk(int32(c))
			a := s.arts[s.lex.chunkArt[c]].art
			want, _ := emb(ctx, a.Title+"\n\n"+ch.Text)
			v := s.vecs.vec(r.slot)
			if !slices.Equal(v, normalized(want)) {
				t.Errorf("%s: chunk %s: vector differs from the local embedder's", when, r.id)
			}
			codes := vecscan.Quantize(v, len(v))
			b, o := int(r.slot)/slabSlots, int(r.slot)%slabSlots
			st := vecscan.Stride(len(v))
			if got := s.vecs.codes[b][o*st : (o+1)*st]; !slices.Equal(got, codes.Codes) || s.vecs.scales[b][o] != codes.Scales[0] {
				t.Errorf("%s: chunk %s: codes differ from vecscan.Quantize's", when, r.id)
			}
		}
	}
	check("after the first add")
	// Freed slots are reused by the next add: their codes must be new.
	if _, err := ix.Remove(ctx, arts[0].ID, arts[5].ID, arts[9].ID); err != nil {
		t.Fatal(err)
	}
	g := synthetic.New(8)
	more := []article.Article{g.Article(100), g.Article(101), g.Article(102)}
	if _, err := ix.Add(ctx, more); err != nil {
		t.Fatal(err)
	}
	check("after a remove and an add")
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
	got := vecscan.Dot4(q, &v)
	for j := range v {
		var want float32
		for i := range q {
			want += q[i] * v[j][i]
		}
		if got[j] != want || vecscan.Dot(q, v[j]) != want {
			t.Errorf("vector %d: dot4 %v, dot %v, want %v", j, got[j], vecscan.Dot(q, v[j]), want)
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

// TestQuantisedRecall measures the vector side (int8 code scan, or 1-bit
// code scan then int8 codes, then exact rescoring) against the exact
// float32 scan of every chunk on the MultiHop-RAG corpus and dev
// questions: the share of the exact top 10 and top 100 it returns must be
// at least 0.99, and every similarity it returns must be the exact one.
// The 1-bit pass (which the index turns on by itself: bitcal.go) is forced, and held to
// the bar (recall@10 at least 0.99) only.
func TestQuantisedRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes MultiHop-RAG")
	}
	t.Parallel()
	all, _, err := article.Load(benchdata.Path(t, "multihop-rag", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Under the race detector, a quarter of the corpus (still well over
	// minRescore chunks) and every raceStride-th question.
	var arts []article.Article
	for i := 0; i < len(all); i += min(raceStride, 4) {
		arts = append(arts, all[i])
	}
	qs := benchdata.MultiHopQuestions(t)
	ctx := context.Background()
	ix, err := New(ctx, Config{oneBitCodes: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(ctx, arts); err != nil {
		t.Fatal(err)
	}
	s := ix.current()
	n := s.vecs.slots
	for _, c := range []struct {
		k        int
		fraction int
	}{{10, 0}, {100, 0}, {10, 4}, {100, 4}} {
		k, found, total := c.k, 0, 0
		for i := 0; i < len(qs); i += raceStride {
			q := qs[i]
			qv, err := ix.embedQuery(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			exact := topk.New[float32](k)
			s.vecs.scanRange(qv, 0, n, s.lex.chunkArt, nil, &exact)
			want := map[int32]float32{}
			for _, h := range exact.Items {
				want[h.ID] = h.Score
			}
			for _, h := range s.vecs.scanWith(qv, k, s.lex.chunkArt, nil, nil, c.fraction) {
				if w, ok := want[h.ID]; ok {
					found++
					if h.Score != w {
						t.Fatalf("%q: chunk %d scored %v, want the exact %v", q, h.ID, h.Score, w)
					}
				}
			}
			total += len(want)
		}
		recall := float64(found) / float64(total)
		t.Logf("recall@%d (1-bit pass keeping 1/%d) over %d questions and %d slots: %.4f", k, c.fraction, (len(qs)+raceStride-1)/raceStride, n, recall)
		// The 1-bit pass is held to the bar, recall@10; at this
		// size it needs 1/4 of the slots for that.
		if recall < 0.99 && (c.fraction == 0 || k == 10) {
			t.Errorf("recall@%d (1-bit pass keeping 1/%d): got %.4f, want at least 0.99", k, c.fraction, recall)
		}
	}
}

// TestLocalIndexKeepsNoBitCodes checks that an index on the local embedder,
// where the 1-bit pass is never turned on, stores no 1-bit codes, in memory
// and after a restart, while an index on another embedder does.
func TestLocalIndexKeepsNoBitCodes(t *testing.T) {
	ctx := context.Background()
	g := synthetic.New(3)
	arts := []article.Article{g.Article(0), g.Article(1)}
	local := LocalEmbedder()
	for _, tt := range []struct {
		name     string
		cfg      Config
		wantBits bool
	}{
		{"local embedder", Config{}, false},
		{"local embedder, persisted", Config{Dir: t.TempDir()}, false},
		{"another embedder", Config{Embed: local, EmbedModel: "other"}, true},
		{"another embedder, persisted", Config{Embed: local, EmbedModel: "other", Dir: t.TempDir()}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := New(ctx, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, arts); err != nil {
				t.Fatal(err)
			}
			if tt.cfg.Dir != "" {
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
				if ix, err = New(ctx, tt.cfg); err != nil {
					t.Fatal(err)
				}
				defer ix.Close()
			}
			v := ix.current().vecs
			if len(v.bits) == 0 {
				t.Fatal("no slabs")
			}
			if got := v.bits[0] != nil; got != tt.wantBits {
				t.Errorf("1-bit codes kept: got %v, want %v", got, tt.wantBits)
			}
			if got := len(ix.current().chunks); got == 0 {
				t.Error("no chunks")
			}
		})
	}
}
