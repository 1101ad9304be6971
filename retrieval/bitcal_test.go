package retrieval

import (
	"bytes"
	"context"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
		c := d.view.bitRecalls(bitFractions(), bitConfirmQueries, bitCheckK, bitCheckSeed, 0, wallClock)
		for i, f := range c.fractions {
			real := questionRecall(&d.view, d.qs, 10, f)
			proxy := c.recalls[i]
			t.Logf("%s, %d chunks, 1/%d: proxy recall@10 %.4f (%d queries), questions %.4f (%d)", d.name, inUse, f, proxy, c.asked, real, len(d.qs))
			if proxy >= bitCheckRecall && real < 0.99 {
				t.Errorf("%s, 1/%d: proxy recall %.4f reaches %v, but the questions' recall@10 is %.4f, want at least 0.99", d.name, f, proxy, bitCheckRecall, real)
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

// costs returns a scanCost that runs each scan and says it took the
// given time for its fraction (the 4-bit scan alone at 0), whatever the
// clock says.
func costs(byFraction map[int]time.Duration) scanCost {
	return func(fraction int, scan func()) time.Duration {
		scan()
		return byFraction[fraction]
	}
}

// TestBitCheckInBackground checks when the index checks its 1-bit pass:
// not below bitMin chunks, once at bitMin, not again until the index has
// grown bitCheckGrowth-fold, and that searches then read the decision:
// on where the pass keeps recall and costs less than the 4-bit scan alone,
// off where it costs as much or more; never with the local embedder.
func TestBitCheckInBackground(t *testing.T) {
	type step struct {
		chunks int // add articles until the index holds at least this many chunks
		checks int // checks made by then
		on     bool
	}
	cheaper := costs(map[int]time.Duration{0: 10 * time.Millisecond, 8: 9 * time.Millisecond})
	dearer := costs(map[int]time.Duration{0: 10 * time.Millisecond, 8: 11 * time.Millisecond})
	same := costs(map[int]time.Duration{0: 10 * time.Millisecond, 8: 10 * time.Millisecond})
	for _, tt := range []struct {
		name  string
		embed func(context.Context, string) ([]float32, error)
		cost  scanCost
		steps []step
		log   string // in the log of the checks
	}{
		{"random embedder, 1-bit pass cheaper", randomEmbedder(64), cheaper, []step{
			{100, 0, false},
			{200, 1, true},  // reaches bitMin
			{390, 1, true},  // below twice the chunks of the last check
			{700, 2, true},  // past twice (400)
			{1200, 3, true}, // past twice again (800)
		}, "fraction=8 recall_at_10=1 query_4bit=10ms query_1bit=9ms sample=256"},
		{"random embedder, 1-bit pass dearer", randomEmbedder(64), dearer, []step{
			{100, 0, false},
			{200, 1, false},
			{700, 2, false},
		}, "fraction=0 recall_at_10=1 query_4bit=10ms query_1bit=11ms sample=64"},
		{"random embedder, 1-bit pass no cheaper", randomEmbedder(64), same, []step{
			{200, 1, false},
		}, "fraction=0 recall_at_10=1 query_4bit=10ms query_1bit=10ms sample=64"},
		{"local embedder", nil, cheaper, []step{{700, 0, false}}, ""},
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
			ix.bitMin, ix.bitCost = 200, tt.cost
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
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log %q: got no %q", logs.String(), tt.log)
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

// TestBitCheckChoose checks the decision of a check: the smallest share
// that reaches the recall bar, and only if its median query costs less
// than the 4-bit scan's alone.
func TestBitCheckChoose(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, tt := range []struct {
		name       string
		check      bitCheck
		want       int
		wantRecall float64
	}{
		{"first reaches, cheaper", bitCheck{fractions: []int{8}, recalls: []float64{0.996}, costs: []time.Duration{ms(9)}, base: ms(10)}, 8, 0.996},
		{"first reaches, dearer", bitCheck{fractions: []int{8}, recalls: []float64{0.996}, costs: []time.Duration{ms(11)}, base: ms(10)}, 0, 0.996},
		{"first reaches, as dear", bitCheck{fractions: []int{8}, recalls: []float64{1}, costs: []time.Duration{ms(10)}, base: ms(10)}, 0, 1},
		{"second reaches, cheaper", bitCheck{fractions: []int{8, 4}, recalls: []float64{0.98, 0.997}, costs: []time.Duration{ms(5), ms(7)}, base: ms(10)}, 4, 0.997},
		{"none reaches", bitCheck{fractions: []int{8, 4, 3}, recalls: []float64{0.9, 0.98, 0.97}, costs: []time.Duration{ms(5), ms(6), ms(7)}, base: ms(10)}, 0, 0.98},
		{"nothing asked", bitCheck{}, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, recall := tt.check.choose(bitCheckRecall)
			if f != tt.want || recall != tt.wantRecall {
				t.Errorf("got fraction %d, recall %v; want %d, %v", f, recall, tt.want, tt.wantRecall)
			}
		})
	}
}

// TestBitRecallsInterleaves checks that a check asks the 4-bit scan alone
// and the first fraction in turn, each first every other query (so that a
// slow spell of the machine weighs on both), and the later fractions after,
// and that it reports each one's median cost.
func TestBitRecallsInterleaves(t *testing.T) {
	v := viewOf(t, randomUnit(rand.New(rand.NewPCG(1, 2)), 1000, 64))
	var order []int
	cost := func(fraction int, scan func()) time.Duration {
		scan()
		order = append(order, fraction)
		// The n-th scan of a fraction costs fraction ms plus n µs.
		n := 0
		for _, f := range order {
			if f == fraction {
				n++
			}
		}
		return time.Duration(fraction)*time.Millisecond + time.Duration(n)*time.Microsecond
	}
	const queries = 6
	c := v.bitRecalls([]int{8, 4}, queries, 10, 1, 0, cost)
	want := []int{0, 8, 8, 0, 0, 8, 8, 0, 0, 8, 8, 0, 4, 4, 4, 4, 4, 4}
	if !slices.Equal(order, want) {
		t.Errorf("got scans in the order %v, want %v", order, want)
	}
	// The median (upper) of six scans is the fourth.
	if want := 4 * time.Microsecond; c.base != want {
		t.Errorf("got the 4-bit scan's median %v, want %v", c.base, want)
	}
	wantCosts := []time.Duration{8*time.Millisecond + 4*time.Microsecond, 4*time.Millisecond + 4*time.Microsecond}
	if !slices.Equal(c.costs, wantCosts) || !slices.Equal(c.fractions, []int{8, 4}) || c.asked != queries {
		t.Errorf("got fractions %v costs %v of %d queries, want %v, %v of %d", c.fractions, c.costs, c.asked, []int{8, 4}, wantCosts, queries)
	}
}
