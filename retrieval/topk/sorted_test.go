package topk

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKeysRankAsCompare checks that ascending keys order items as Compare
// does, ties by ID, and that FromKey gives each item back, over scores
// with ties, zeros of both signs, infinities, subnormals and negative IDs.
func TestKeysRankAsCompare(t *testing.T) {
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	scores := []float32{0, negZero, 1, -1, 0.5, -0.5, inf, -inf, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0.25}
	ids := []int32{0, 1, 7, -1, -3, math.MaxInt32, math.MinInt32}
	var items []Item[float32]
	for _, s := range scores {
		for _, id := range ids {
			items = append(items, Item[float32]{ID: id, Score: s})
		}
	}
	for i, a := range items {
		back := FromKey(Key(a))
		if back.ID != a.ID || back.Score != a.Score {
			t.Errorf("item %v: got %v back from its key, want it", a, back)
		}
		for _, b := range items[i+1:] {
			want := Compare(a, b)
			got := 0
			switch ka, kb := Key(a), Key(b); {
			case ka < kb:
				got = -1
			case ka > kb:
				got = 1
			}
			if a.ID != b.ID && got != want {
				t.Errorf("%v against %v: got key order %d, want %d (Compare)", a, b, got, want)
			}
		}
	}
	nan := Item[float32]{ID: 3, Score: float32(math.NaN())}
	if back := FromKey(Key(nan)); back.ID != 3 || back.Score == back.Score {
		t.Errorf("got %v back from a NaN's key, want ID 3 and a NaN", back)
	}
	for _, x := range items {
		if Key(nan) < Key(x) {
			t.Errorf("a NaN's key ranks before %v's, want after", x)
		}
	}
}

// TestMergeKeys checks that MergeKeys keeps the k least of two sorted
// lists, sorted, as sorting all of them and cutting at k does, for lists
// shorter and longer than k and either one empty.
func TestMergeKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	list := func(n int) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = Key(Item[float32]{ID: int32(r.IntN(1 << 20)), Score: float32(r.IntN(50))})
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, tc := range []struct {
		name      string
		na, nb, k int
	}{
		{"both empty", 0, 0, 5},
		{"a empty", 0, 30, 10},
		{"b empty", 30, 0, 10},
		{"fewer than k", 4, 5, 20},
		{"more than k", 300, 200, 64},
		{"k of zero", 10, 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := list(tc.na), list(tc.nb)
			b = slices.DeleteFunc(b, func(x uint64) bool { _, found := slices.BinarySearch(a, x); return found })
			want := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
			want = want[:min(len(want), tc.k)]
			got := MergeKeys(make([]uint64, 0, tc.k), tc.k, a, b)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
