package retrieval

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/seeds"
)

// TestHugeCandidatesKeepTheResults checks that a Tuning.Candidates far
// above the chunk count gives the results of a pool of every chunk: such a
// pool overflowed the vector scan's k+slack (the vector side dropped, a
// vector-only search found nothing) or its 4k candidates (a few hundred
// rescored instead of all).
func TestHugeCandidatesKeepTheResults(t *testing.T) {
	g := synthetic.New(5)
	arts := make([]article.Article, 150) // about 1,000 chunks: the shared scan
	for i := range arts {
		arts[i] = g.Article(i)
	}
	ix := newTestIndex(t, Config{}, arts)
	if ix.current().vecs.slots <= minRescore {
		t.Fatalf("%d vectors, want more than %d for the shared scan", ix.current().vecs.slots, minRescore)
	}
	search := func(candidates int, lexical float64) []Hit {
		t.Helper()
		tu := DefaultTuning()
		tu.Candidates = candidates
		tu.LexicalWeight = lexical
		ix.SetTuning(tu)
		hits, err := ix.Search(context.Background(), Query{Text: g.Question(3, 8), K: 10})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	for _, lexical := range []float64{-1, 0} { // vector side alone; both
		want := search(ix.ChunkCount(), lexical)
		if len(want) != 10 {
			t.Fatalf("lexical weight %v: %d hits with every chunk a candidate, want 10", lexical, len(want))
		}
		for _, c := range []int{math.MaxInt / 4, math.MaxInt - 10, math.MaxInt} {
			got := search(c, lexical)
			if !slices.EqualFunc(got, want, func(a, b Hit) bool {
				return a.Chunk.ID == b.Chunk.ID && a.Score == b.Score && a.Vector == b.Vector
			}) {
				t.Errorf("lexical weight %v, Candidates %d: got %v, want %v", lexical, c, hitSummary(got), hitSummary(want))
			}
		}
	}
}

// hitSummary gives the hits' chunks and scores, for messages.
func hitSummary(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Chunk.ID + "@" + strconv.FormatFloat(h.Score, 'g', 6, 64)
	}
	return out
}

// TestDamagedManifestNumberLosesNothing damages the manifest's next file
// number (one bit of "next":3 turns it into 2, the number of the log in
// use) and checks that a writer that opens the index, closes it and adds
// again loses no acknowledged article: the new log took the number of the
// one in use and truncated it.
func TestDamagedManifestNumberLosesNothing(t *testing.T) {
	seedArts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, next := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprintf("next %d", next), func(t *testing.T) {
			dir := t.TempDir()
			// A base of two articles, then a log of two records.
			ix := newTestIndex(t, Config{Dir: dir, MergeChunks: 1}, seedArts[:2])
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			ix = newTestIndex(t, Config{Dir: dir, MergeChunks: 1000}, nil)
			for _, a := range seedArts[2:4] {
				if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
					t.Fatal(err)
				}
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, manifestFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := bytes.Replace(b, []byte(`"next":3`), fmt.Appendf(nil, `"next":%d`, next), 1)
			if next != 3 && bytes.Equal(damaged, b) {
				t.Fatalf("manifest %s has no next number 3", b)
			}
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			ix = newTestIndex(t, Config{Dir: dir, MergeChunks: 1000}, nil)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, seedArts[4:5]); err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
			for _, a := range seedArts[:5] {
				if _, ok := re.Article(a.ID); !ok {
					t.Errorf("acknowledged article %s lost", a.ID)
				}
			}
		})
	}
}

// TestLastLogRecordFlipIsAnError checks that one flipped bit in the last
// record of a log (its bytes or its checksum) is an error naming the log,
// which is left as it is: the record is whole and was acknowledged, and
// reading it as a torn end dropped it, and truncated it away, in silence.
// A torn last record (a short one, or one whose end never reached the
// disk and reads as zeros) is still dropped, the records before it kept.
func TestLastLogRecordFlipIsAnError(t *testing.T) {
	ctx := context.Background()
	seedArts, dir, logName, good, offs := seedsInOneLog(t)
	path := filepath.Join(dir, logName)
	last := offs[len(offs)-1] // the offset of the last record's length field
	body := last + 4          // the last record's first byte
	tests := []struct {
		name   string
		damage func([]byte) []byte
		want   int // articles after a torn end; 0: an error
	}{
		{"first byte", flipAt(body, 0x01), 0},
		{"middle", flipAt((body+len(good))/2, 0x10), 0},
		{"last byte before the checksum", flipAt(len(good)-5, 0x80), 0},
		{"checksum", flipAt(len(good)-2, 0x04), 0},
		{"torn: short", func(b []byte) []byte { return b[:len(b)-100] }, len(seedArts) - 1},
		{"torn: end zeroed", func(b []byte) []byte { clear(b[len(b)-300:]); return b }, len(seedArts) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.damage(slices.Clone(good))
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			re, err := New(ctx, Config{Dir: dir, ReadOnly: true})
			switch {
			case tt.want == 0 && err == nil:
				n := re.Len()
				re.Close()
				t.Fatalf("New: got no error and %d articles, want an error", n)
			case tt.want == 0 && !strings.Contains(err.Error(), logName):
				t.Errorf("New: got %q, want an error naming %s", err, logName)
			case tt.want > 0 && err != nil:
				t.Fatalf("New: got %v, want the torn end dropped", err)
			case tt.want > 0:
				if got := re.Len(); got != tt.want {
					t.Errorf("got %d articles, want %d", got, tt.want)
				}
				re.Close()
			}
		})
	}
}

// flipAt returns a damage that flips the bits of mask in byte i.
func flipAt(i int, mask byte) func([]byte) []byte {
	return func(b []byte) []byte {
		b[i] ^= mask
		return b
	}
}

// seedsInOneLog adds the seed articles one at a time to a new index in a
// directory and closes it, and returns the articles, the directory, the
// name and content of its one log, and the offsets of the records' length
// fields in it.
func seedsInOneLog(t *testing.T) (arts []article.Article, dir, logName string, data []byte, offs []int) {
	t.Helper()
	ctx := context.Background()
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	ix := newTestIndex(t, Config{Dir: dir, MergeIdle: -1}, nil)
	for _, a := range arts {
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	m, _, err := readManifest(dir)
	if err != nil || len(m.Logs) != 1 {
		t.Fatalf("manifest: got %+v, %v; want one log", m, err)
	}
	if data, err = os.ReadFile(filepath.Join(dir, m.Logs[0])); err != nil {
		t.Fatal(err)
	}
	hdr, _, err := ix.readLogHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	for off := hdr; off+4 <= len(data); off += 4 + int(binary.LittleEndian.Uint32(data[off:])) {
		offs = append(offs, off)
	}
	if len(offs) != len(arts) {
		t.Fatalf("got %d records, want %d", len(offs), len(arts))
	}
	return arts, dir, m.Logs[0], data, offs
}

// TestMaxScoreOddArticleShapes checks the pruned lexical search against the
// exhaustive scorer on articles of odd shapes for the per-block article
// bound: one article of more than three blocks of 64 chunks (updated, then
// removed), one of a single short chunk, one of one character, among
// ordinary ones, in one segment and in several with removed articles, and
// an index of one chunk (no break found).
func TestMaxScoreOddArticleShapes(t *testing.T) {
	ctx := context.Background()
	g := synthetic.New(9)
	var arts []article.Article
	for i := 0; i < 40; i++ {
		arts = append(arts, g.Article(i))
	}
	// An article of 31 bodies: over 200 chunks.
	long := g.Article(100)
	for i := 101; i < 131; i++ {
		long.Text += "\n\n" + g.Article(i).Text
	}
	long.Body = []article.Span{{Start: 0, End: len(long.Text)}}
	arts = append(arts, long)
	short := g.Article(200)
	short.Text = "Putin ferry terminal bridge."
	short.Body = []article.Span{{Start: 0, End: len(short.Text)}}
	arts = append(arts, short)
	titleOnly := g.Article(201)
	titleOnly.Text = "x"
	titleOnly.Body = []article.Span{{Start: 0, End: 1}}
	arts = append(arts, titleOnly)
	var qs []string
	for i := 0; i < 40; i++ {
		qs = append(qs, g.Question(i, 8))
	}
	qs = append(qs, "Putin ferry terminal bridge", arts[40].Title, arts[3].Title)
	outlets := []string{arts[0].Outlet}
	ix := newTestIndex(t, Config{MergeIdle: -1, MergeChunks: 1 << 20}, arts)
	if n := len(ix.Chunks(long.ID)); n <= 3*64 {
		t.Fatalf("the long article has %d chunks, want more than three blocks of 64", n)
	}
	checkLex(t, "all", ix, qs, outlets)
	// Segments: adds one at a time, removals, the long article updated.
	for i := 40; i < 80; i++ {
		a := g.Article(i)
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := ix.Remove(ctx, arts[i-40].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	long2 := long
	long2.Title += " updated"
	if _, err := ix.Add(ctx, []article.Article{long2}); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "segments", ix, qs, outlets)
	if _, err := ix.Remove(ctx, long.ID); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "long removed", ix, qs, outlets)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "merged", ix, qs, outlets)

	one := newTestIndex(t, Config{}, []article.Article{short})
	checkLex(t, "one chunk", one, []string{"Putin ferry terminal bridge", "ferry"}, []string{short.Outlet})
}

// TestMaxScoreExtremeTermCounts checks the pruned lexical search against
// the exhaustive scorer where one term's counts range from none to 3,000
// in a chunk (bounds from the largest, long lists of near-equal scores),
// beside a rarer term and in titles, in one segment and in many with
// removals, and after the merge (no break found).
func TestMaxScoreExtremeTermCounts(t *testing.T) {
	g := synthetic.New(4)
	r := rand.New(rand.NewPCG(1, 1))
	var arts []article.Article
	for i := 0; i < 400; i++ {
		a := g.Article(i)
		var b strings.Builder
		b.WriteString(a.Text[:min(len(a.Text), 200+r.IntN(2000))])
		n := []int{0, 1, 2, 3, 50, 400, 3000}[r.IntN(7)]
		for j := 0; j < n; j++ {
			b.WriteString(" zorblat")
			if r.IntN(5) == 0 {
				b.WriteString(" quixel")
			}
		}
		a.Text = b.String()
		a.ID = fmt.Sprintf("x%d", i)
		a.Body = []article.Span{{Start: 0, End: len(a.Text)}}
		if i%3 == 0 {
			a.Title = "zorblat " + a.Title
		}
		arts = append(arts, a)
	}
	ix := newTestIndex(t, Config{MergeIdle: -1, MergeChunks: 1 << 20}, arts[:300])
	for i, a := range arts[300:] {
		if _, err := ix.Add(context.Background(), []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if _, err := ix.Remove(context.Background(), arts[i*3].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(ix.current().lex.segs); n < 2 {
		t.Fatalf("got %d segments, want several", n)
	}
	qs := []string{"zorblat", "zorblat quixel", "quixel", "zorblat " + g.Question(1, 400), g.Question(2, 400) + " quixel zorblat zorblat"}
	checkLex(t, "extreme tf", ix, qs, []string{arts[0].Outlet})
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "extreme tf merged", ix, qs, []string{arts[0].Outlet})
}
