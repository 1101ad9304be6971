package retrieval

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/briefbot/briefbot/article"
)

// withChecksum returns data with its last four bytes replaced by the
// CRC-32C of the rest, as a crafted file would have.
func withChecksum(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	out := bytes.Clone(data)
	sum := crc32.Checksum(out[:len(out)-4], crc32.MakeTable(crc32.Castagnoli))
	binary.LittleEndian.PutUint32(out[len(out)-4:], sum)
	return out
}

// encodeIndex returns the base-segment encoding of ix.
func encodeIndex(tb testing.TB, ix *Index) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := newBinWriter(&buf)
	ix.encode(w, ix.current())
	if err := w.finish(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzDecode feeds crafted base segments with a valid checksum to the
// decoder: each is refused with an error or gives an index that answers
// searches; none panics or allocates far beyond its size.
func FuzzDecode(f *testing.F) {
	ix, _ := synthIndex(f, 4)
	f.Add(encodeIndex(f, ix))
	empty, err := New(context.Background(), Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeIndex(f, empty))
	f.Fuzz(func(t *testing.T, data []byte) {
		data = withChecksum(data)
		ix, err := New(context.Background(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := ix.decode(newBinReader(bytes.NewReader(data), int64(len(data))))
		if err != nil || st.reason != "" {
			return
		}
		if err := ix.install(st); err != nil {
			return
		}
		for _, a := range ix.Articles() {
			for _, c := range ix.Chunks(a.ID) {
				if c.Text != a.Text[c.Start:c.End] {
					t.Fatalf("chunk %s: text does not match its offsets", c.ID)
				}
			}
			for _, sp := range a.Body {
				_ = a.Text[sp.Start:sp.End]
			}
		}
		if _, err := ix.Search(context.Background(), Query{Text: "government election talks"}); err != nil {
			t.Fatalf("search of an accepted index: %v", err)
		}
	})
}

// FuzzLogRecord feeds crafted log records with a valid checksum to the
// decoder; accepted ones are indexed. None panics.
func FuzzLogRecord(f *testing.F) {
	ix, _ := synthIndex(f, 2)
	s := ix.current()
	var preps []*prepArticle
	for a, e := range s.arts {
		p := &prepArticle{art: e.art, hash: e.hash}
		for c := s.lex.artFirst[a]; c < s.lex.artFirst[a+1]; c++ {
			r := s.chunks[c]
			p.chunks = append(p.chunks, prepChunk{start: r.start, end: r.end, slot: r.slot})
		}
		preps = append(preps, p)
	}
	rec, err := ix.encodeAddRecord(preps)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	rm, err := encodeRemoveRecord([]string{"a", "b"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rm)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeRecord(withChecksum(data))
		if err != nil {
			return
		}
		ix, err := New(context.Background(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		ix.addMu.Lock()
		defer ix.addMu.Unlock()
		if _, err := ix.replay(context.Background(), []logRecord{rec}); err != nil {
			return
		}
	})
}

// TestDecodeMutations runs the FuzzDecode property over 150 deterministic
// mutations of a valid base segment (bytes changed, the checksum
// recomputed), so that CI exercises the structural checks every run.
func TestDecodeMutations(t *testing.T) {
	ix, _ := synthIndex(t, 3)
	good := encodeIndex(t, ix)
	rng := rand.New(rand.NewPCG(5, 6))
	accepted := 0
	for i := range 150 {
		data := bytes.Clone(good)
		for range 1 + rng.IntN(4) {
			data[rng.IntN(len(data)-4)] = byte(rng.IntN(256))
		}
		data = withChecksum(data)
		fresh, err := New(context.Background(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("mutation %d: panic: %v", i, r)
				}
			}()
			st, err := fresh.decode(newBinReader(bytes.NewReader(data), int64(len(data))))
			if err != nil || st.reason != "" {
				return
			}
			if err := fresh.install(st); err != nil {
				return
			}
			accepted++
			for _, a := range fresh.Articles() {
				for _, c := range fresh.Chunks(a.ID) {
					if c.Text != a.Text[c.Start:c.End] {
						t.Fatalf("mutation %d: chunk %s does not match its offsets", i, c.ID)
					}
				}
			}
			if _, err := fresh.Search(context.Background(), Query{Text: "government election talks"}); err != nil {
				t.Fatalf("mutation %d: search: %v", i, err)
			}
		}()
	}
	t.Logf("%d of 150 mutations accepted (bytes that change no structure: text, lengths, vectors)", accepted)
}

// TestSmallFileAllocatesLittle checks that a small file naming a vector of
// the largest dimension (a base segment, and a log record) makes the
// loader allocate about what the file holds, not a whole slab of such
// vectors (64 MiB).
func TestSmallFileAllocatesLittle(t *testing.T) {
	ctx := context.Background()
	local := LocalEmbedder()
	wide := func(ctx context.Context, text string) ([]float32, error) {
		v, err := local(ctx, text)
		if err != nil {
			return nil, err
		}
		return append(make([]float32, maxDim-len(v)), v...), nil
	}
	cfg := Config{Embed: wide, EmbedModel: "wide"}
	src, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := "One short sentence about the election."
	a := article.Article{ID: "wide", Title: "Wide", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	if _, err := src.Add(ctx, []article.Article{a}); err != nil {
		t.Fatal(err)
	}
	base := encodeIndex(t, src)
	s := src.current()
	p := &prepArticle{art: s.arts[0].art, hash: s.arts[0].hash}
	for c := range s.chunks {
		r := s.chunks[c]
		p.chunks = append(p.chunks, prepChunk{start: r.start, end: r.end, slot: r.slot})
	}
	rec, err := src.encodeAddRecord([]*prepArticle{p})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 8 << 20
	for _, tt := range []struct {
		name string
		size int
		load func(ix *Index) error
	}{
		{"base segment", len(base), func(ix *Index) error {
			st, err := ix.decode(newBinReader(bytes.NewReader(base), int64(len(base))))
			if err != nil {
				return err
			}
			return ix.install(st)
		}},
		{"log record", len(rec), func(ix *Index) error {
			r, err := decodeRecord(rec)
			if err != nil {
				return err
			}
			ix.addMu.Lock()
			defer ix.addMu.Unlock()
			_, err = ix.replay(ctx, []logRecord{r})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if err := tt.load(ix); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > limit {
				t.Errorf("loading %d bytes allocated %d MiB, want under %d MiB", tt.size, got>>20, limit>>20)
			}
			if ix.ChunkCount() != 1 {
				t.Errorf("loaded %d chunks, want 1", ix.ChunkCount())
			}
		})
	}
}

// TestDecodeByteOrderPaths reads one base segment both ways, straight into
// the arrays' memory (little-endian machines) and through the decoding
// loop (the others), and checks that each gives back an index that
// encodes to the very same bytes.
func TestDecodeByteOrderPaths(t *testing.T) {
	ix, _ := synthIndex(t, 3)
	want := encodeIndex(t, ix)
	saved := nativeLittle
	defer func() { nativeLittle = saved }()
	for _, direct := range []bool{true, false} {
		nativeLittle = direct && saved
		fresh, err := New(context.Background(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := fresh.decode(newBinReader(bytes.NewReader(want), int64(len(want))))
		if err != nil || st.reason != "" {
			t.Fatalf("direct %v: decode: %v %q", direct, err, st.reason)
		}
		if err := fresh.install(st); err != nil {
			t.Fatalf("direct %v: install: %v", direct, err)
		}
		if got := encodeIndex(t, fresh); !bytes.Equal(got, want) {
			t.Errorf("direct %v: the decoded index encodes to %d different bytes (of %d), want the same", direct, len(got), len(want))
		}
	}
}

// BenchmarkDecodeBase decodes a base segment of 2,000 synthetic articles
// held in memory, its arrays read straight into their memory ("direct", on
// little-endian machines) or through the decoding loop ("loop").
func BenchmarkDecodeBase(b *testing.B) {
	ix, _ := synthIndex(b, 2000)
	data := encodeIndex(b, ix)
	saved := nativeLittle
	defer func() { nativeLittle = saved }()
	for _, direct := range []bool{true, false} {
		name := map[bool]string{true: "direct", false: "loop"}[direct]
		b.Run(name, func(b *testing.B) {
			nativeLittle = direct && saved
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				fresh, err := New(context.Background(), Config{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fresh.decode(newBinReader(bytes.NewReader(data), int64(len(data)))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
