package retrieval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/seeds"
)

// hostileQuestions are questions a careless or hostile user might send:
// very long, one term repeated thousands of times, numbers, and words the
// index does not know beside ones it does.
func hostileQuestions(arts []article.Article) []string {
	// 10,000 words taken from the articles themselves, so that most are
	// known terms.
	var long []string
	for _, a := range arts {
		for _, w := range strings.Fields(a.Text) {
			long = append(long, w)
			if len(long) == 10000 {
				break
			}
		}
		if len(long) == 10000 {
			break
		}
	}
	return []string{
		strings.Repeat("Ukraine ", 5000),
		strings.Repeat("Trump Putin ", 2500),
		strings.Join(long, " "),
		"Ukraine zzzqqqxx qqqzzzyy Trump",
		"2023 2024 100 1,000,000 $5bn",
		strings.Repeat("the Ukraine of and ", 1000) + "Zelenskyy",
	}
}

// TestHostileQuestionsMatchOracle checks the pruned lexical search against
// the exhaustive scorer on hostile questions, and that Search answers them
// with finite scores and at most K hits.
func TestHostileQuestionsMatchOracle(t *testing.T) {
	arts, _ := multiHop(t)
	arts = arts[:200/min(raceStride, 2)]
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:len(arts)*3/4])
	for _, a := range arts[len(arts)*3/4:] {
		if _, err := ix.Add(context.Background(), []article.Article{a}); err != nil {
			t.Fatal(err)
		}
	}
	qs := hostileQuestions(arts)
	checkLex(t, "hostile", ix, qs, []string{arts[0].Outlet})
	ks := []int{-1, 0, 1, 7, math.MaxInt32, math.MaxInt}
	if raceStride > 1 {
		ks = []int{0, 7, math.MaxInt} // the race detector makes long questions slow
	}
	for _, q := range qs {
		for _, k := range ks {
			hits, err := ix.Search(context.Background(), Query{Text: q, K: k, Diverse: k == 7})
			if err != nil {
				t.Fatalf("K=%d, %.40q: got error %v, want none", k, q, err)
			}
			want := k
			if k <= 0 {
				want = 10
			}
			if len(hits) == 0 || len(hits) > want {
				t.Errorf("K=%d, %.40q: got %d hits, want 1 to %d", k, q, len(hits), want)
			}
			for _, h := range hits {
				for _, x := range []float64{h.Score, h.Lexical, h.Vector} {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Errorf("K=%d, %.40q: hit %s has scores %v, %v, %v, want finite", k, q, h.Chunk.ID, h.Score, h.Lexical, h.Vector)
					}
				}
			}
		}
	}
}

// TestFiltersThatAdmitNothing checks that filters excluding every article
// give no hits and no error.
func TestFiltersThatAdmitNothing(t *testing.T) {
	arts, _ := multiHop(t)
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:100])
	day := time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []Filter{
		{Outlets: []string{"no such outlet"}},
		{ArticleIDs: []string{"no such article"}},
		{From: day, To: day.AddDate(0, 0, -1)},
		{From: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{To: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		hits, err := ix.Search(context.Background(), Query{Text: "Ukraine Trump company", Filter: f, Diverse: true})
		if err != nil || len(hits) != 0 {
			t.Errorf("filter %+v: got %d hits and error %v, want none", f, len(hits), err)
		}
	}
}

// oddEmbedder embeds with the local embedder, except texts containing a
// marker, which get the marker's vector instead.
func oddEmbedder(odd map[string]func(dim int) []float32) func(ctx context.Context, text string) ([]float32, error) {
	local := LocalEmbedder()
	return func(ctx context.Context, text string) ([]float32, error) {
		for mark, f := range odd {
			if strings.Contains(text, mark) {
				return f(LocalDim), nil
			}
		}
		return local(ctx, text)
	}
}

func filled(x float32) func(dim int) []float32 {
	return func(dim int) []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = x
		}
		return v
	}
}

// TestOddEmbeddings checks what an index does with vectors a careless model
// server returns: tiny (subnormal) components, NaN, infinities, zero, the
// wrong length. A chunk's odd vector fails its Add and changes nothing; a
// question's leaves the lexical side to answer alone; a tiny but non-zero
// vector is a direction like any other and must give finite scores.
func TestOddEmbeddings(t *testing.T) {
	ctx := context.Background()
	seedArts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	odd := map[string]func(int) []float32{
		"TINYVEC": filled(1e-45),
		"NANVEC":  filled(float32(math.NaN())),
		"INFVEC":  filled(float32(math.Inf(1))),
		"ZEROVEC": filled(0),
		"SHORTVEC": func(dim int) []float32 {
			return filled(0.1)(dim / 2)
		},
	}
	ix := newTestIndex(t, Config{Embed: oddEmbedder(odd), EmbedModel: "odd"}, seedArts)
	chunks := ix.ChunkCount()
	for mark := range odd {
		t.Run(mark, func(t *testing.T) {
			a := article.Article{ID: "odd-" + mark, Text: "Ukraine " + mark + " talks went on."}
			a.Body = []article.Span{{Start: 0, End: len(a.Text)}}
			_, err := ix.Add(ctx, []article.Article{a})
			if mark == "TINYVEC" {
				if err != nil {
					t.Fatalf("Add: got error %v, want none", err)
				}
				defer func() {
					if _, err := ix.Remove(ctx, a.ID); err != nil {
						t.Fatal(err)
					}
				}()
				chunks++
			} else if err == nil {
				t.Errorf("Add: got no error, want one")
			}
			if got := ix.ChunkCount(); got != chunks {
				t.Errorf("got %d chunks, want %d", got, chunks)
			}
			if mark == "TINYVEC" {
				chunks--
			}
			hits, err := ix.Search(ctx, Query{Text: "Ukraine talks security guarantees " + mark, K: 5})
			if err != nil || len(hits) == 0 {
				t.Fatalf("Search: got %d hits and error %v, want some and none", len(hits), err)
			}
			for _, h := range hits {
				for _, x := range []float64{h.Score, h.Lexical, h.Vector} {
					if math.IsNaN(x) || math.IsInf(x, 0) {
						t.Errorf("hit %s has scores %v, %v, %v, want finite", h.Chunk.ID, h.Score, h.Lexical, h.Vector)
					}
				}
			}
		})
	}
}

// TestLogLengthDamageIsAnError checks that a damaged length in front of a
// log record that is not the last is an error naming the file: only the
// last record can be torn by a crash (each is written and fsynced alone),
// so reading the damage as a torn end would drop, and truncate away, the
// acknowledged articles after it.
func TestLogLengthDamageIsAnError(t *testing.T) {
	ctx := context.Background()
	seedArts, dir, logName, good, offs := seedsInOneLog(t)
	path := filepath.Join(dir, logName)
	for _, tt := range []struct {
		name string
		at   int // byte flipped
		mask byte
	}{
		{"first record, high byte", offs[0] + 3, 0x01},
		{"second record, high byte", offs[1] + 3, 0x40},
		{"fourth record, third byte", offs[3] + 2, 0x80},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := slices.Clone(good)
			bad[tt.at] ^= tt.mask
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			re, err := New(ctx, Config{Dir: dir, MergeIdle: -1})
			if err == nil {
				n := re.Len()
				re.Close()
				t.Fatalf("New: got no error and %d articles, want an error", n)
			}
			if !strings.Contains(err.Error(), logName) {
				t.Errorf("New: got %q, want an error naming %s", err, logName)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(after, bad) {
				t.Errorf("the damaged log was changed (%d bytes, was %d): want it left as it is", len(after), len(bad))
			}
		})
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if re := newTestIndex(t, Config{Dir: dir, MergeIdle: -1}, nil); re.Len() != len(seedArts) {
		t.Errorf("the intact log gives %d articles, want %d", re.Len(), len(seedArts))
	}
}

// TestHugeKKeepsTheVectorSide checks that a huge K (a careless --k) still
// gets the vector side's hits: K plus the scan's slack, or four times it
// for the candidates to rescore, must not overflow.
func TestHugeKKeepsTheVectorSide(t *testing.T) {
	seedArts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	ix := newTestIndex(t, Config{}, seedArts)
	tu := DefaultTuning()
	tu.LexicalWeight = -1
	ix.SetTuning(tu)
	for _, k := range []int{10, math.MaxInt32, math.MaxInt - 10, math.MaxInt} {
		hits, err := ix.Search(context.Background(), Query{Text: "Ukraine security guarantees", K: k})
		if err != nil {
			t.Fatal(err)
		}
		want := min(k, ix.ChunkCount())
		if len(hits) != want {
			t.Errorf("K=%d: got %d hits, want %d", k, len(hits), want)
		}
	}
}

// TestMaxScoreExtremeTunings checks the pruned lexical search against the
// exhaustive scorer with the tuning at the edges of its ranges (no and
// full length normalisation, saturation almost at once or hardly at all,
// a title or bigram weight far above the chunk's), on a segmented index
// with removed and updated articles.
func TestMaxScoreExtremeTunings(t *testing.T) {
	ix, qs := tuningIndex(t)
	qs = every(qs, 3*raceStride)
	d := DefaultTuning()
	tunings := map[string]func(*Tuning){
		"b=1":                 func(t *Tuning) { t.B, t.TitleB, t.ArticleB = 1, 1, 1 },
		"b tiny":              func(t *Tuning) { t.B, t.TitleB, t.ArticleB = 1e-9, 1e-9, 1e-9 },
		"k1 tiny":             func(t *Tuning) { t.K1, t.ArticleK1 = 1e-6, 1e-6 },
		"chunk k1 tiny":       func(t *Tuning) { t.K1 = 1e-6 },
		"article k1 tiny":     func(t *Tuning) { t.ArticleK1 = 1e-6 },
		"k1 tiny no art":      func(t *Tuning) { t.K1, t.ArticleWeight = 1e-6, -1 },
		"k1 0.01":             func(t *Tuning) { t.K1, t.ArticleK1 = 0.01, 0.01 },
		"k1 huge":             func(t *Tuning) { t.K1, t.ArticleK1 = 1e4, 1e4 },
		"title weight huge":   func(t *Tuning) { t.TitleWeight = 1e3 },
		"title weight tiny":   func(t *Tuning) { t.TitleWeight = 1e-6 },
		"bigram weight huge":  func(t *Tuning) { t.BigramWeight = 50 },
		"article weight huge": func(t *Tuning) { t.ArticleWeight = 1e3 },
	}
	for name, set := range tunings {
		t.Run(name, func(t *testing.T) {
			tu := d
			set(&tu)
			ks := []int{1, 10, 100}
			if raceStride > 1 {
				ks = ks[1:2]
			}
			checkTuning(t, ix, qs, tu, ks)
		})
	}
}

// tuningIndex returns a segmented index of 240 MultiHop-RAG articles,
// some removed and updated, and the first 300 questions.
func tuningIndex(t *testing.T) (*Index, []string) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	arts = arts[:240]
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:180])
	for i, a := range arts[180:] {
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if _, err := ix.Remove(ctx, arts[i].ID); err != nil {
				t.Fatal(err)
			}
			u := arts[i+100]
			u.Title += " update"
			if _, err := ix.Add(ctx, []article.Article{u}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ix, qs[:min(len(qs), 300)]
}

// checkTuning checks the pruned lexical search against the exhaustive
// scorer with the tuning tu, for the questions qs and each k of ks.
func checkTuning(t *testing.T, ix *Index, qs []string, tu Tuning, ks []int) {
	t.Helper()
	s := ix.current()
	matched := 0
	for _, k := range ks {
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, k)
			want := ix.exhaustive(s, q, 0, tu)
			got := s.lex.search(&q)
			matched += len(want)
			if !slices.Equal(got, want) {
				t.Errorf("k=%d, %q: got %s, want %s", k, text, itemsText(got), itemsText(want))
			}
		}
	}
	if matched == 0 {
		t.Fatal("no question matched anything")
	}
}

// TestSearchesRacingChangesMatchOracle runs pruned lexical searches on
// whatever snapshot is current while another goroutine adds, updates and
// removes articles, with background merges compacting the index
// meanwhile, and checks each against the exhaustive scorer on the same
// snapshot (and, under -race, that nothing races).
func TestSearchesRacingChangesMatchOracle(t *testing.T) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	arts = arts[:160]
	qs = every(qs[:min(len(qs), 400)], 8*raceStride)
	ix := newTestIndex(t, Config{MergeChunks: 60, MergeIdle: time.Millisecond}, arts[:100])
	done := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		defer close(done)
		for i, a := range arts[100:] {
			if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
				writeErr <- err
				return
			}
			if i%3 == 2 {
				u := arts[i]
				u.Title += " revised"
				if _, err := ix.Add(ctx, []article.Article{u}); err != nil {
					writeErr <- err
					return
				}
			}
			if i%4 == 3 {
				if _, err := ix.Remove(ctx, arts[i+40].ID); err != nil {
					writeErr <- err
					return
				}
			}
		}
	}()
	tu := DefaultTuning()
	checked, snaps := 0, map[*snapshot]bool{}
	untilClosed(done, func() {
		s := ix.current()
		snaps[s] = true
		for _, text := range qs {
			terms := ix.queryTerms(s, ix.an.tokens(text, nil), tu)
			q := newLexQuery(s, terms, tu, nil, 10)
			want := ix.exhaustive(s, q, 0, tu)
			if got := s.lex.search(&q); !slices.Equal(got, want) {
				t.Fatalf("%q on a snapshot of %d chunks: got %s, want %s", text, s.lex.liveChunks, itemsText(got), itemsText(want))
			}
			if _, err := ix.Search(ctx, Query{Text: text, Diverse: true}); err != nil {
				t.Fatal(err)
			}
			checked++
		}
	})
	select {
	case err := <-writeErr:
		t.Fatal(err)
	default:
	}
	if len(snaps) < 3 {
		t.Errorf("searched %d snapshots, want several", len(snaps))
	}
	t.Logf("%d searches over %d snapshots", checked, len(snaps))
}

// TestMaxScoreEmptyFields checks the identity where the title field is
// empty everywhere (zero lengths, a zero average), and then as articles
// with titles arrive one at a time and move that average from zero.
func TestMaxScoreEmptyFields(t *testing.T) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	arts = slices.Clone(arts[:140])
	qs = every(qs[:min(len(qs), 300)], 4*raceStride)
	for i := range arts[:120] {
		arts[i].Title, arts[i].Outlet, arts[i].PublishedAt = "", "", time.Time{}
	}
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:120])
	checkLex(t, "no titles", ix, qs, nil)
	for _, a := range arts[120:] {
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
	}
	checkLex(t, "titles added", ix, qs, nil)
}

// blockingWriter blocks each write that contains block until release is
// closed.
type blockingWriter struct {
	block   string
	started chan struct{} // closed at the first blocked write
	release chan struct{}
	once    sync.Once
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.block) {
		w.once.Do(func() { close(w.started) })
		<-w.release
	}
	return len(p), nil
}

// TestCloseWaitsForTheVectorCheck checks that Close waits for a running
// background check of the 1-bit pass, as it waits for merges: no goroutine
// of the index outlives it.
func TestCloseWaitsForTheVectorCheck(t *testing.T) {
	ctx := context.Background()
	w := &blockingWriter{block: "checked the 1-bit vector pass", started: make(chan struct{}), release: make(chan struct{})}
	ix, err := New(ctx, Config{Embed: randomEmbedder(64), Logger: slog.New(slog.NewTextHandler(w, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ix.bitMin = 50
	g := synthetic.New(7)
	for i := 0; len(ix.current().chunks) < ix.bitMin; i++ {
		if _, err := ix.Add(ctx, []article.Article{g.Article(i)}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-w.started: // the check is running, held in its last log line
	case <-time.After(10 * time.Second):
		t.Fatal("no check of the 1-bit pass started")
	}
	closed := make(chan error, 1)
	go func() { closed <- ix.Close() }()
	select {
	case err := <-closed:
		close(w.release)
		t.Fatalf("Close returned (error %v) while the check was running, want it to wait", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(w.release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// TestOverloadLeavesNothingBehind runs many concurrent searches on an
// index of 10,000 chunks (fewer under -race), some with contexts that end
// before or during them, while articles are added and removed, and checks
// that each either answers or returns its context's error, and that no
// goroutine of theirs is left once they have returned.
func TestOverloadLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an index of 10,000 chunks")
	}
	ctx := context.Background()
	n := 10000
	if raceStride > 1 {
		n = 3000
	}
	arts := synthCorpus(n)
	g := synthetic.New(1)
	qs := make([]string, 64)
	for i := range qs {
		qs[i] = g.Question(i, len(arts))
	}
	// A slow embedder, so that contexts end while questions are embedded.
	local := LocalEmbedder()
	embed := func(ctx context.Context, text string) ([]float32, error) {
		if strings.HasPrefix(text, "q:") {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return local(ctx, text)
	}
	ix := newTestIndex(t, Config{Embed: embed, EmbedModel: "slow-local", MergeChunks: 200, MergeIdle: 5 * time.Millisecond}, arts[:len(arts)-20])
	ix.SetTuning(DefaultTuning())
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	wg.Go(func() {
		for i, a := range arts[len(arts)-20:] {
			if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
				errs <- err
			}
			if _, err := ix.Remove(ctx, arts[i].ID); err != nil {
				errs <- err
			}
		}
	})
	for w := range 32 {
		wg.Go(func() {
			for i := range 8 {
				q := Query{Text: "q: " + qs[(w*8+i)%len(qs)], Diverse: i%2 == 0, K: 10 + i}
				qctx, cancel := context.WithCancel(ctx)
				switch i % 4 {
				case 1:
					cancel()
				case 2:
					qctx, cancel = context.WithTimeout(ctx, time.Duration(w%4)*200*time.Microsecond)
				}
				hits, err := ix.Search(qctx, q)
				cancel()
				switch {
				case err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
					errs <- fmt.Errorf("%q: %w", q.Text, err)
				case err == nil && len(hits) == 0:
					errs <- fmt.Errorf("%q: no hits", q.Text)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// Goroutines of the runtime and of timers may take a moment to go.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		buf := make([]byte, 1<<16)
		t.Errorf("got %d goroutines after the searches, want at most the %d before:\n%s", got, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestReadOnlyOpensBesideABusyWriter opens the directory read-only again
// and again (as `bot status` does) while the writer adds articles one at
// a time and merges often, and checks that each open succeeds with the
// articles acknowledged before it began, at least.
func TestReadOnlyOpensBesideABusyWriter(t *testing.T) {
	ctx := context.Background()
	g := synthetic.New(11)
	dir := t.TempDir()
	ix := newTestIndex(t, Config{Dir: dir, MergeChunks: 40, MergeIdle: time.Millisecond}, nil)
	var acked atomicInt
	done := make(chan error, 1)
	go func() {
		for i := range 120 / min(raceStride, 2) {
			if _, err := ix.Add(ctx, []article.Article{g.Article(i)}); err != nil {
				done <- err
				return
			}
			acked.set(i + 1)
		}
		done <- nil
	}()
	opens := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		before := acked.get()
		ro, err := New(ctx, Config{Dir: dir, ReadOnly: true, MergeIdle: -1})
		if err != nil {
			t.Fatalf("read-only open %d, after %d acknowledged articles: %v", opens, before, err)
		}
		if ro.Len() < before {
			t.Errorf("read-only open %d: got %d articles, want at least the %d acknowledged", opens, ro.Len(), before)
		}
		opens++
	}
	t.Logf("%d read-only opens", opens)
}

// atomicInt is an int read and written under a lock.
type atomicInt struct {
	mu sync.Mutex
	n  int
}

func (a *atomicInt) set(n int) { a.mu.Lock(); a.n = n; a.mu.Unlock() }
func (a *atomicInt) get() int  { a.mu.Lock(); defer a.mu.Unlock(); return a.n }

// TestMissingManifestLosesNothing checks an index directory whose MANIFEST
// is gone (deleted by hand, left out of a backup) while its segment files
// remain. It used to open as an empty index, whose next start deleted the
// files as unnamed. A lone first base segment (which a crash before the
// first MANIFEST also leaves) is read as the base; anything more is an
// error naming the MANIFEST, the files left as they are.
func TestMissingManifestLosesNothing(t *testing.T) {
	ctx := context.Background()
	seedArts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	// A read-only open of a directory the writer has not made yet is an
	// empty index.
	ro, err := New(ctx, Config{Dir: filepath.Join(t.TempDir(), "not yet"), ReadOnly: true})
	if err != nil || ro.Len() != 0 {
		t.Fatalf("read-only open of a missing directory: got error %v, want an empty index", err)
	}
	for _, tt := range []struct {
		name    string
		base    bool // the seeds go to a base segment, else to a log
		more    bool // then one more article goes to a log
		wantErr bool
	}{
		{"first base alone", true, false, false},
		{"first log", false, false, true},
		{"base and log", true, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{Dir: dir, MergeIdle: -1}
			if tt.base {
				cfg.MergeChunks = 1
			}
			ix := newTestIndex(t, cfg, seedArts[:4])
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			want := 4
			if tt.more {
				ix := newTestIndex(t, Config{Dir: dir, MergeIdle: -1}, seedArts[4:])
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
				want++
			}
			before, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, manifestFile)); err != nil {
				t.Fatal(err)
			}
			for _, readOnly := range []bool{true, false} {
				re, err := New(ctx, Config{Dir: dir, ReadOnly: readOnly, MergeIdle: -1})
				switch {
				case tt.wantErr && err == nil:
					n := re.Len()
					re.Close()
					t.Fatalf("read-only %v: got an index of %d articles and no error, want an error", readOnly, n)
				case tt.wantErr && !strings.Contains(err.Error(), manifestFile):
					t.Errorf("read-only %v: got %q, want an error naming %s", readOnly, err, manifestFile)
				case !tt.wantErr && err != nil:
					t.Fatalf("read-only %v: got error %v, want none", readOnly, err)
				case !tt.wantErr:
					if re.Len() != want {
						t.Errorf("read-only %v: got %d articles, want %d", readOnly, re.Len(), want)
					}
					re.Close()
				}
			}
			after, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before)-1 {
				t.Errorf("got %d files after the opens, want the %d segment files left as they were", len(after), len(before)-1)
			}
		})
	}
}

// untilClosed runs pass again and again until done is closed, and once
// more after that: the last pass sees the state the writers left.
func untilClosed(done <-chan struct{}, pass func()) {
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		pass()
	}
}
