package retrieval

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMsCursorWalk walks MaxScore's cursors over the blocks of every
// segment as runSeg does, moving them at random between blocks (seeks
// into the block, runs through it, or no move, as the essential and the
// other terms do), and checks at each step, against what is computed
// from scratch: the cursor's docs (the union of its text postings and
// its title articles' docs), windowBound against windowBoundAll on a
// copy that knows nothing from before, and stableTo's promise that
// windowBound does not grow while the cursor stays. The index has
// several segments, dead articles and short, long and title-only terms,
// at both levels, so the walk meets posting lists ending inside a run
// of blocks and segments ending inside a block.
func TestMsCursorWalk(t *testing.T) {
	ctx := context.Background()
	arts := synthCorpus(3000)
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:len(arts)/2])
	for i := len(arts) / 2; i < len(arts); i += len(arts) / 8 {
		if _, err := ix.Add(ctx, arts[i:min(i+len(arts)/8, len(arts))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Remove(ctx, arts[3].ID, arts[len(arts)/2+1].ID, arts[len(arts)-2].ID); err != nil {
		t.Fatal(err)
	}
	s := ix.current()
	if len(s.lex.segs) < 3 || s.lex.nDead == 0 {
		t.Fatalf("got %d segments and %d dead articles, want several and some", len(s.lex.segs), s.lex.nDead)
	}
	tu := DefaultTuning()
	rng := rand.New(rand.NewPCG(1, 2))
	var checks, promises int
	for qi := 0; qi < 12; qi++ {
		// A question of a title, a sentence of another article and
		// words of a third: long lists, short ones and title terms.
		a, b, c := &arts[rng.IntN(len(arts))], &arts[rng.IntN(len(arts))], &arts[rng.IntN(len(arts))]
		text := a.Title + " " + b.Text[:min(len(b.Text), 200)] + " " + c.Title
		terms := ix.queryTerms(s, ix.an.tokens(text, nil), tu)
		if len(terms) == 0 {
			t.Fatalf("%q: no query terms", text)
		}
		q := newLexQuery(s, terms, tu, nil, 10)
		cl, al := s.lex.levels(&q)
		for _, lv := range []*msLevel{&cl, &al} {
			for _, g := range s.lex.segs {
				n, p := walkCursors(t, lv, g, terms, rng)
				checks += n
				promises += p
			}
		}
	}
	if checks < 1000 || promises < 1000 {
		t.Fatalf("got %d window bounds and %d promises checked, want at least 1000 each", checks, promises)
	}
}

// walkCursors walks one segment at one level (see TestMsCursorWalk) and
// returns how many window bounds and promises it checked.
func walkCursors(t *testing.T, lv *msLevel, g *lexSeg, q []qterm, rng *rand.Rand) (checks, promises int) {
	t.Helper()
	lv.setSeg(g)
	lo, hi := lv.segRange()
	sb := g.bounds(lv.lx, lv.bp[0], lv.bp[1])
	cs := make([]msCursor, len(q))
	docs := make([][]int32, len(q))
	// promise: windowBound stays at most w for blocks ending by e while
	// the cursor stays.
	type promise struct {
		e int32
		w float64
	}
	prom := make([][]promise, len(q))
	for i, tm := range q {
		lv.newCursor(&cs[i], i, tm, lv.bound(sb, tm.id))
		docs[i] = cursorDocs(lv, tm.id)
		checkDoc(t, &cs[i], docs[i], lo, "start")
	}
	for wlo := lo; wlo < hi; {
		whi := min((wlo/msBlock+1)*msBlock, hi)
		for i := range cs {
			c := &cs[i]
			ref := 0.0
			if c.doc < whi {
				fresh := *c
				fresh.blkAt, fresh.tAt, fresh.cLast, fresh.tEnd = 0, 0, -1, 0
				ref = fresh.windowBoundAll(lv, wlo, whi)
				if got := c.windowBound(lv, wlo, whi); got != ref {
					t.Fatalf("term %d, block %d..%d: windowBound got %v, want %v (from scratch)", i, wlo, whi, got, ref)
				}
				checks++
			}
			c.wub = ref
			live := prom[i][:0]
			for _, p := range prom[i] {
				if whi <= p.e {
					if ref > p.w {
						t.Fatalf("term %d, block %d..%d: windowBound got %v, above %v that stableTo promised up to %d", i, wlo, whi, ref, p.w, p.e)
					}
					promises++
					live = append(live, p)
				}
			}
			prom[i] = append(live, promise{c.stableTo(wlo, whi), ref})
		}
		// Move some cursors, as the essential terms (through the block)
		// and the others (to some docs of it) move.
		for i := range cs {
			c := &cs[i]
			switch rng.IntN(4) {
			case 0:
				for c.doc < whi {
					d := c.doc
					c.next(lv)
					checkDoc(t, c, docs[i], d+1, "next")
				}
			case 1:
				d := wlo + rng.Int32N(whi-wlo)
				if c.doc < d {
					c.seek(lv, d)
					checkDoc(t, c, docs[i], d, "seek")
				}
			default:
				continue
			}
			prom[i] = prom[i][:0]
		}
		// Sometimes a jump of several blocks, as coast makes.
		wlo = whi
		if rng.IntN(8) == 0 {
			wlo = min(hi, wlo+msBlock*rng.Int32N(6))
		}
	}
	return checks, promises
}

// cursorDocs returns the docs of term t in the current segment at lv's
// level, from its postings: its text postings' docs and its title
// articles' docs, in order.
func cursorDocs(lv *msLevel, t uint32) []int32 {
	var out []int32
	lo, hi := lv.text.span(t)
	for pos := lo; pos < hi; pos++ {
		out = append(out, int32(lv.text.doc[pos]))
	}
	if lv.p.titleW > 0 {
		lo, hi = lv.g.titlePost.span(t)
		for pos := lo; pos < hi; pos++ {
			for d := lv.titleStart(pos); d < lv.titleEnd(pos); d++ {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkDoc fails unless the cursor is at its first doc at or after d.
func checkDoc(t *testing.T, c *msCursor, docs []int32, d int32, op string) {
	t.Helper()
	want := int32(docEnd)
	if i, _ := slices.BinarySearch(docs, d); i < len(docs) {
		want = docs[i]
	}
	if c.doc != want {
		t.Fatalf("term %d after %s to %d: got doc %d, want %d", c.term, op, d, c.doc, want)
	}
	if c.doc != min(c.aDoc, c.bDoc) {
		t.Fatalf("term %d after %s to %d: got doc %d, aDoc %d, bDoc %d, want doc = min(aDoc, bDoc)", c.term, op, d, c.doc, c.aDoc, c.bDoc)
	}
}

// TestCoast checks where the walk goes on after a skipped block: past
// the blocks up to the least doc where a term's bound may grow, unless
// a block's extra lifts it to the threshold, and never past the range.
func TestCoast(t *testing.T) {
	// at returns a cursor whose first doc is d: its bound is 0, and stays
	// so, before d.
	at := func(d int32) *msCursor { return &msCursor{doc: d, aDoc: d, bDoc: docEnd} }
	// The extras of 40 blocks: 0, but 0.5 in block 10.
	extras := make([]float64, 40)
	extras[10] = 0.5
	for _, c := range []struct {
		name          string
		docs          []int32 // the cursors' first docs
		hi, end       int32   // the skipped block's end, the range's end
		terms         float64
		extras        []float64
		want, coasted int32
	}{
		{"no extras: to the block of the first doc", []int32{1000, 700}, 128, 2560, 0.5, nil, 640, 8},
		{"no extras: a doc at a block's start", []int32{704}, 128, 2560, 0.5, nil, 704, 9},
		{"no extras: a doc in the next block", []int32{150}, 128, 2560, 0.5, nil, 128, 0},
		{"no extras: a doc at hi", []int32{128}, 128, 2560, 0.5, nil, 128, 0},
		{"no extras: no doc before the range's end", []int32{docEnd}, 128, 2500, 0.5, nil, 2500, 38},
		{"no extras: the first doc in the range's last block", []int32{2490}, 128, 2500, 0.5, nil, 2432, 36},
		{"extras: up to the block whose extra reaches theta", []int32{docEnd}, 128, 2560, 0.5, extras, 640, 8},
		{"extras: just below theta", []int32{docEnd}, 128, 2560, 0.49, extras, 2560, 38},
		{"extras: to the block of the first doc", []int32{500}, 128, 2560, 0.49, extras, 448, 5},
		{"extras: a range ending inside a block", []int32{docEnd}, 704, 2500, 0.49, extras, 2500, 29},
		{"extras: the first doc at the range's end", []int32{2500}, 704, 2500, 0.49, extras, 2500, 29},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cs []*msCursor
			for _, d := range c.docs {
				cs = append(cs, at(d))
			}
			var wk lexWork
			if got := coast(cs, c.hi-msBlock, c.hi, c.end, c.terms, c.extras, 1, &wk); got != c.want || wk.coasted != int64(c.coasted) {
				t.Errorf("got %d after %d blocks, want %d after %d", got, wk.coasted, c.want, c.coasted)
			}
		})
	}
}
