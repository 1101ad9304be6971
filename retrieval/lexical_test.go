package retrieval

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestDict(t *testing.T) {
	t.Parallel()
	d := newDict()
	var terms []string
	for i := 0; i < 5000; i++ { // several table growths
		terms = append(terms, fmt.Sprintf("term%d", i*7919%5000), fmt.Sprintf("bi %d", i))
	}
	ids, err := d.intern(terms, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.len() != 10000 {
		t.Fatalf("got %d terms, want 10000", d.len())
	}
	seen := map[uint32]string{}
	for i, id := range ids {
		if prev, ok := seen[id]; ok && prev != terms[i] {
			t.Fatalf("ID %d for both %q and %q", id, prev, terms[i])
		}
		seen[id] = terms[i]
		if got, ok := d.lookup(terms[i]); !ok || got != id {
			t.Errorf("lookup(%q) = %d, %v; want %d", terms[i], got, ok, id)
		}
		if got := d.term(id); got != terms[i] {
			t.Errorf("term(%d) = %q, want %q", id, got, terms[i])
		}
	}
	again, _ := d.intern(terms[:10], nil)
	if !slices.Equal(again, ids[:10]) || d.len() != 10000 {
		t.Errorf("interning known terms again: got %v (len %d), want %v", again, d.len(), ids[:10])
	}
	if _, ok := d.lookup("absent"); ok {
		t.Error("lookup(absent): found")
	}
	if got := d.lookupAll([]string{"absent", terms[3]}, nil); got[0] != math.MaxUint32 || got[1] != ids[3] {
		t.Errorf("lookupAll: got %v", got)
	}
	// A dictionary loaded from another's terms finds the same IDs.
	// With its saved hash table, or without one (rebuilt).
	data, lens := d.appendTerms(d.len(), nil, nil)
	for _, table := range [][]uint32{d.hashTable(d.len()), nil, make([]uint32, 1<<15)} {
		e := newDict()
		if err := e.load(data, lens, table); err != nil {
			t.Fatal(err)
		}
		for i, term := range terms {
			if got, ok := e.lookup(term); !ok || got != ids[i] {
				t.Fatalf("loaded dictionary: lookup(%q) = %d, %v; want %d", term, got, ok, ids[i])
			}
		}
		if _, ok := e.lookup("absent"); ok {
			t.Error("loaded dictionary: lookup(absent): found")
		}
	}
	if err := newDict().load([]byte("ab"), []uint8{3}, nil); err == nil {
		t.Error("loading lengths past the bytes: got no error")
	}
	// Terms spread over several blocks.
	f := newDict()
	long := strings.Repeat("x", 200)
	for i := 0; i < 2*termBlockSize/200; i++ {
		if _, err := f.intern([]string{fmt.Sprint(i, long)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.blocks) < 2 {
		t.Fatalf("got %d blocks, want several", len(f.blocks))
	}
	for i := 0; i < 2*termBlockSize/200; i += 97 {
		if id, ok := f.lookup(fmt.Sprint(i, long)); !ok || f.term(id) != fmt.Sprint(i, long) {
			t.Fatalf("term %d not found across blocks", i)
		}
	}
	if _, err := f.intern([]string{strings.Repeat("y", 300)}, nil); err == nil {
		t.Error("interning a 300-byte term: got no error")
	}
}

// naivePostings is a reference: term -> doc -> tf.
type naivePostings map[uint32]map[uint32]uint32

func (n naivePostings) check(tb testing.TB, p *postings, nTerms int) {
	tb.Helper()
	for t := 0; t < nTerms; t++ {
		lo, hi := p.span(uint32(t))
		want := n[uint32(t)]
		if int(hi-lo) != len(want) {
			tb.Fatalf("term %d: %d postings, want %d", t, hi-lo, len(want))
		}
		for pos := lo; pos < hi; pos++ {
			d := p.doc[pos]
			if pos > lo && d <= p.doc[pos-1] {
				tb.Fatalf("term %d: docs out of order", t)
			}
			if got := p.freq(pos); got != want[d] {
				tb.Fatalf("term %d doc %d: tf %d, want %d", t, d, got, want[d])
			}
		}
	}
}

// packed returns b packed.
func (b *bag) packed() packedBag {
	pb, _ := appendPacked(nil, b.IDs, b.TFs, nil)
	return pb
}

// TestPackedBag packs bags and reads them back: every term with its
// count, in increasing order of ID, whatever the order given.
func TestPackedBag(t *testing.T) {
	tests := []struct {
		name string
		in   bag
		want [][2]uint32 // id, tf
	}{
		{"empty", bag{}, nil},
		{"one", bag{[]uint32{0}, []uint32{1}}, [][2]uint32{{0, 1}}},
		{"unsorted", bag{[]uint32{9, 3, 200, 4}, []uint32{1, 2, 3, 4}}, [][2]uint32{{3, 2}, {4, 4}, {9, 1}, {200, 3}}},
		{"extremes", bag{[]uint32{math.MaxUint32, 1 << 28, 127, 128}, []uint32{70000, math.MaxUint32, 128, 1}},
			[][2]uint32{{127, 128}, {128, 1}, {1 << 28, math.MaxUint32}, {math.MaxUint32, 70000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb := tt.in.packed()
			var got [][2]uint32
			for id, tf := range pb.all() {
				got = append(got, [2]uint32{id, tf})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if n := pb.terms(); n != len(tt.want) {
				t.Errorf("terms() got %d, want %d", n, len(tt.want))
			}
		})
	}
}

// TestPostingsMerge builds postings from bags, renumbers and merges them
// with more bags, dense and sparse, against a map-based reference, with
// term frequencies past what a uint16 holds.
func TestPostingsMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const nTerms, nDocs = 60, 300
	randBag := func() bag {
		var b bag
		for _, id := range r.Perm(nTerms)[:r.IntN(12)] {
			tf := uint32(1 + r.IntN(3))
			if r.IntN(50) == 0 {
				tf = 70000 + uint32(r.IntN(5))
			}
			b.IDs, b.TFs = append(b.IDs, uint32(id)), append(b.TFs, tf)
		}
		return b
	}
	old := make([]bag, nDocs)
	var oldBags []docBag
	for d := range old {
		old[d] = randBag()
		oldBags = append(oldBags, docBag{uint32(d), old[d].packed()})
	}
	// Keep two thirds of the docs, renumbered, and interleave new ones.
	remap := make([]int32, nDocs)
	var addBags []docBag
	var addRemap []int32
	added := map[uint32]*bag{}
	next := int32(0)
	for d := range old {
		if r.IntN(3) == 0 {
			remap[d] = -1
		} else {
			remap[d] = next
			next++
		}
		if r.IntN(4) == 0 {
			b := randBag()
			// Added docs come after the old ones, and remap interleaves them.
			addBags = append(addBags, docBag{uint32(nDocs + len(addBags)), b.packed()})
			addRemap = append(addRemap, next)
			added[uint32(next)] = &b
			next++
		}
	}
	put := func(want naivePostings, doc uint32, b *bag) {
		for k, id := range b.IDs {
			if want[id] == nil {
				want[id] = map[uint32]uint32{}
			}
			want[id][doc] = b.TFs[k]
		}
	}
	// The old docs' dense postings, straight from their packed bags.
	wantOld := naivePostings{}
	for d := range old {
		put(wantOld, uint32(d), &old[d])
	}
	direct, err := postingsFromBags(nTerms+5, oldBags)
	if err != nil {
		t.Fatal(err)
	}
	wantOld.check(t, &direct, nTerms+5)

	want := naivePostings{}
	for d := range old {
		if remap[d] >= 0 {
			put(want, uint32(remap[d]), &old[d])
		}
	}
	for d, b := range added {
		put(want, d, b)
	}

	oldSparse, err := sparsePostings(appendBags(nil, oldBags))
	if err != nil {
		t.Fatal(err)
	}
	add, err := sparsePostings(appendBags(nil, addBags))
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(remap, addRemap)
	merged, err := densePostings(nTerms+5, []*postings{&oldSparse, &add}, all, nil)
	if err != nil {
		t.Fatal(err)
	}
	want.check(t, &merged, nTerms+5)

	sparse, err := sparsePostings(appendPostings(appendPostings(nil, &oldSparse, all), &add, all))
	if err != nil {
		t.Fatal(err)
	}
	want.check(t, &sparse, nTerms+5)
	if err := checkPostings(&sparse, nTerms+5, int(next)); err != nil {
		t.Errorf("checkPostings(sparse): %v", err)
	}
	if err := checkPostings(&merged, nTerms+5, int(next)); err != nil {
		t.Errorf("checkPostings(dense): %v", err)
	}
	if err := checkPostings(&merged, nTerms+5, int(next)/2); err == nil {
		t.Error("checkPostings with a doc out of range: got no error")
	}
}

// TestDictWriteTerms checks that writeTerms writes what decode reads: the
// terms appendTerms gives and the table hashTable gives, for all terms and
// for the first of them, from one block of terms and from several.
func TestDictWriteTerms(t *testing.T) {
	t.Parallel()
	small, multi := newDict(), newDict()
	var terms, long []string
	for i := 0; i < 3000; i++ {
		terms = append(terms, fmt.Sprintf("term%d", i), fmt.Sprintf("bi %d", i))
	}
	for i := 0; i < 3*termBlockSize/200; i++ {
		long = append(long, fmt.Sprint(i, strings.Repeat("y", 190+i%10)))
	}
	if _, err := small.intern(terms, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := multi.intern(long, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    *dict
		n    int
	}{
		{"all", small, small.len()},
		{"first", small, 1001},
		{"none", small, 0},
		{"blocks, all", multi, multi.len()},
		{"blocks, first", multi, multi.len() - termBlockSize/200 - 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := newBinWriter(&buf)
			tt.d.writeTerms(w, tt.n)
			if err := w.finish(); err != nil {
				t.Fatal(err)
			}
			r := newBinReader(&buf, int64(buf.Len()))
			data, lens := r.bytes(), r.raw(tt.n)
			table := r.u32s(r.count(4))
			if err := r.verify(); err != nil {
				t.Fatal(err)
			}
			wantData, wantLens := tt.d.appendTerms(tt.n, nil, nil)
			if !bytes.Equal(data, wantData) || !bytes.Equal(lens, wantLens) {
				t.Errorf("got %d term bytes and %d lengths, want %d and %d, the same", len(data), len(lens), len(wantData), len(wantLens))
			}
			if want := tt.d.hashTable(tt.n); !slices.Equal(table, want) {
				t.Errorf("got a table of %d entries, want the %d of hashTable", len(table), len(want))
			}
		})
	}
}
