package topk

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHeapKeepsBestK(t *testing.T) {
	tests := []struct {
		name    string
		n, k    int
		levels  int  // distinct scores, few to force ties
		reverse bool // ties by ID, the higher first (Heap.Order)
	}{
		{"empty", 0, 5, 10, false},
		{"fewer than k", 3, 5, 10, false},
		{"ties", 500, 20, 4, false},
		{"many", 2000, 50, 1000, false},
		{"k zero", 100, 0, 10, false},
		{"k one", 100, 1, 7, false},
		{"ties in reverse order", 500, 20, 4, true},
		{"k one in reverse order", 100, 1, 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tc.n)))
			h := New[float32](tc.k)
			order := Compare[float32]
			if tc.reverse {
				h.Order = func(a, b int32) int { return cmp.Compare(b, a) }
				order = func(a, b Item[float32]) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.ID, a.ID)) }
			}
			var all []Item[float32]
			for i := 0; i < tc.n; i++ {
				x := Item[float32]{ID: int32(r.IntN(tc.n + 1)), Score: float32(r.IntN(tc.levels))}
				all = append(all, x)
				h.Push(x)
			}
			slices.SortFunc(all, order)
			want := all[:min(tc.k, len(all))]
			if got := h.Sorted(); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	h := New[float64](2)
	if got := h.Threshold(); got > -1e300 {
		t.Errorf("empty heap: got threshold %v, want -Inf", got)
	}
	for _, s := range []float64{3, 1, 2} {
		h.Push(Item[float64]{ID: int32(s), Score: s})
	}
	if got, want := h.Threshold(), 2.0; got != want {
		t.Errorf("got threshold %v, want %v", got, want)
	}
}

func TestMerge(t *testing.T) {
	a := []Item[float32]{{1, 5}, {2, 3}}
	b := []Item[float32]{{3, 4}, {0, 3}}
	got := Merge(3, a, b)
	want := []Item[float32]{{1, 5}, {3, 4}, {0, 3}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestBufferKeepsTheHeapsItems checks that a Buffer keeps exactly the
// items a Heap of the same K keeps, over streams with ties, rising and
// falling scores and fewer items than K.
func TestBufferKeepsTheHeapsItems(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		name  string
		n, k  int
		score func(i int) float32
	}{
		{"random", 5000, 100, func(int) float32 { return r.Float32() }},
		{"few distinct scores", 3000, 50, func(int) float32 { return float32(r.IntN(7)) }},
		{"rising", 2000, 30, func(i int) float32 { return float32(i) }},
		{"falling", 2000, 30, func(i int) float32 { return -float32(i) }},
		{"fewer than k", 40, 100, func(int) float32 { return r.Float32() }},
		{"k of one", 500, 1, func(int) float32 { return r.Float32() }},
		{"k of zero", 10, 0, func(int) float32 { return r.Float32() }},
		// A k far past the items (a caller's "all of them") reserves no
		// room for k: it panicked making a slice of 2k.
		{"huge k", 300, math.MaxInt, func(int) float32 { return r.Float32() }},
		{"k past half of MaxInt", 300, math.MaxInt/2 + 1, func(int) float32 { return r.Float32() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, b := New[float32](tc.k), NewBuffer[float32](tc.k)
			for _, i := range r.Perm(tc.n) {
				x := Item[float32]{ID: int32(i), Score: tc.score(i)}
				h.Push(x)
				b.Push(x)
			}
			got := slices.Clone(b.Items())
			slices.SortFunc(got, Compare[float32])
			want := h.Sorted()
			if !slices.Equal(got, want) {
				t.Fatalf("got %d items %v, want %d %v", len(got), got, len(want), want)
			}
		})
	}
}
