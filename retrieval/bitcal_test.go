package retrieval

import (
	"bytes"
	"context"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/retrieval/topk"
)

// viewOf returns a view of a store holding the given unit vectors, one per
// chunk, chunk i in slot i.
func viewOf(tb testing.TB, vecs [][]float32) vecView {
	tb.Helper()
	s := &vecStore{}
	if err := s.setDim(len(vecs[0])); err != nil {
		tb.Fatal(err)
	}
	slots := s.reserve(len(vecs), nil)
	set := map[int32]int32{}
	for i, slot := range slots {
		copy(s.vec(slot), vecs[i])
		set[slot] = int32(i)
	}
	s.encode(slots)
	return vecView{}.setChunks(s.view(), set)
}

// randomUnit returns n random unit vectors of dims dimensions.
func randomUnit(r *rand.Rand, n, dims int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		out[i] = normalized(v)
	}
	return out
}

// questionRecall returns the recall@k of the vector side with the 1-bit
// pass at fraction against the exact float32 scan, over the query vectors.
func questionRecall(v *vecView, qs [][]float32, k, fraction int) float64 {
	found, total := 0, 0
	for _, q := range qs {
		exact := topk.New[float32](k)
		v.scanRange(q, 0, v.slots, nil, nil, &exact)
		want := map[int32]bool{}
		for _, h := range exact.Items {
			want[h.ID] = true
		}
		for _, h := range v.scanWith(q, k, nil, nil, nil, fraction) {
			if want[h.ID] {
				found++
			}
		}
		total += len(want)
	}
	return float64(found) / float64(total)
}

// TestBitCheckProxy validates the background check's proxy (stored
// vectors as queries, against the 4-bit scan) against real questions
// (against the exact scan): wherever the proxy reaches bitCheckRecall, the
// questions' recall@10 must reach the 0.99. On the MultiHop-RAG
// corpus and dev questions (local embedder) the proxy must keep the pass
// off at the share where the questions fall short of 0.99. (It holds
// here, but not on the synthetic 100k index, so the index does not check
// with the local embedder: see maybeCheckBits.)
func TestBitCheckProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes MultiHop-RAG")
	}
	if raceStride > 1 {
		// The claim is measured over all the questions, on thousands of
		// chunks; thinned to run under the race detector, it measured
		// noise (random 1536-d, 6000
		// vectors, 25 questions: proxy 0.9984, questions 0.9880 at 1/4).
		t.Skip("a measurement at full size: too slow under the race detector")
	}
	ctx := context.Background()
	type dataset struct {
		name string
		view vecView
		qs   [][]float32
	}
	var sets []dataset

	all, _, err := article.Load(benchdata.Path(t, "multihop-rag", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := New(ctx, Config{oneBitCodes: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(ctx, all); err != nil {
		t.Fatal(err)
	}
	mh := dataset{name: "MultiHop-RAG, local embedder", view: ix.current().vecs}
	qs := benchdata.MultiHopQuestions(t)
	for _, q := range qs {
		qv, err := ix.embedQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		mh.qs = append(mh.qs, qv)
	}
	sets = append(sets, mh)

	// Random 1536-d vectors; questions near a stored vector, as a
	// question is near its answer.
	r := rand.New(rand.NewPCG(3, 4))
	const dims = 1536
	vecs := randomUnit(r, 24000, dims)
	rnd := dataset{name: "random 1536-d", view: viewOf(t, vecs)}
	for _, noise := range randomUnit(r, 200, dims) {
		base := vecs[r.IntN(len(vecs))]
		q := make([]float32, dims)
		for j := range q {
			q[j] = base[j] + noise[j]
		}
		rnd.qs = append(rnd.qs, normalized(q))
	}
	sets = append(sets, rnd)

	for _, d := range sets {
		inUse := 0
		for slot := range d.view.slots {
			if d.view.chunkOf(slot) >= 0 {
				inUse++
			}
		}
		fractions := bitFractions()
		proxy, asked := d.view.bitRecalls(fractions, bitCheckQueries, bitCheckK, bitCheckSeed, 0)
		for i, f := range fractions {
			real := questionRecall(&d.view, d.qs, 10, f)
			t.Logf("%s, %d chunks, 1/%d: proxy recall@10 %.4f (%d queries), questions %.4f (%d)", d.name, inUse, f, proxy[i], asked, real, len(d.qs))
			if proxy[i] >= bitCheckRecall && real < 0.99 {
				t.Errorf("%s, 1/%d: proxy recall %.4f reaches %v, but the questions' recall@10 is %.4f, want at least 0.99", d.name, f, proxy[i], bitCheckRecall, real)
			}
		}
	}
}

// randomEmbedder returns an embedding function that gives each text a
// random unit vector of dims dimensions, seeded by the text.
func randomEmbedder(dims int) func(context.Context, string) ([]float32, error) {
	return func(_ context.Context, text string) ([]float32, error) {
		h := fnv.New64a()
		h.Write([]byte(text))
		return randomUnit(rand.New(rand.NewPCG(h.Sum64(), 1)), 1, dims)[0], nil
	}
}

// TestBitCheckInBackground checks when the index checks its 1-bit pass:
// not below bitMin chunks, once at bitMin, not again until the index has
// grown bitCheckGrowth-fold, and that searches then read the decision;
// never with the local embedder.
func TestBitCheckInBackground(t *testing.T) {
	type step struct {
		chunks int // add articles until the index holds at least this many chunks
		checks int // checks made by then
		on     bool
	}
	for _, tt := range []struct {
		name  string
		embed func(context.Context, string) ([]float32, error)
		steps []step
	}{
		{"random embedder", randomEmbedder(64), []step{
			{100, 0, false},
			{200, 1, true},  // reaches bitMin
			{390, 1, true},  // below twice the chunks of the last check
			{700, 2, true},  // past twice (400)
			{1200, 3, true}, // past twice again (800)
		}},
		{"local embedder", nil, []step{{700, 0, false}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var logs bytes.Buffer
			var logMu sync.Mutex
			ix, err := New(ctx, Config{Embed: tt.embed, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))})
			if err != nil {
				t.Fatal(err)
			}
			ix.bitMin = 200
			g := synthetic.New(7)
			added := 0
			checks := func() int {
				logMu.Lock()
				defer logMu.Unlock()
				return strings.Count(logs.String(), "checked the 1-bit vector pass")
			}
			for _, st := range tt.steps {
				for len(ix.current().chunks) < st.chunks {
					if _, err := ix.Add(ctx, []article.Article{g.Article(added)}); err != nil {
						t.Fatal(err)
					}
					added++
					ix.WaitVectorCheck() // each check ends before the next Add
				}
				n, frac := len(ix.current().chunks), ix.BitFraction()
				if got := checks(); got != st.checks {
					t.Errorf("at %d chunks: got %d checks, want %d", n, got, st.checks)
				}
				// At this size the 1-bit pass keeps every neighbour: it is
				// on at the smallest share.
				if on := frac > 0; on != st.on || on && frac != bitFractions()[0] {
					t.Errorf("at %d chunks: got fraction 1/%d, want on %v at 1/%d", n, frac, st.on, bitFractions()[0])
				}
			}
			if checks() == 0 {
				return
			}
			logMu.Lock()
			defer logMu.Unlock()
			for _, key := range []string{"fraction=8", "recall_at_10=1", "sample=64"} {
				if !strings.Contains(logs.String(), key) {
					t.Errorf("log %q: got no %s", logs.String(), key)
				}
			}
		})
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
