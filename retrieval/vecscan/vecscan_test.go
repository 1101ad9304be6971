package vecscan

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// randomVectors returns n random unit vectors of dims dimensions, with
// coordinates from a normal distribution, as model embeddings roughly
// have.
func randomVectors(r *rand.Rand, n, dims int) []float32 {
	v := make([]float32, n*dims)
	for i := 0; i < n; i++ {
		x := v[i*dims : (i+1)*dims]
		var s float64
		for j := range x {
			x[j] = float32(r.NormFloat64())
			s += float64(x[j]) * float64(x[j])
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range x {
			x[j] *= inv
		}
	}
	return v
}

func TestKernelMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dimsList := []int{1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 127, 128, 129, 192, 384, 511, 512, 513, 1536, MaxDims}
	for _, dims := range dimsList {
		st := Stride(dims)
		for _, n := range []int{1, 2, 5} {
			codes := make([]byte, n*st)
			q := make([]int8, 2*st)
			for i := range codes {
				codes[i] = byte(r.IntN(256))
			}
			for i := range q {
				q[i] = int8(r.IntN(2*queryMax+1) - queryMax)
			}
			// Extremes at both ends catch sign and overflow slips.
			codes[0], q[0], q[blockDims/2] = 0xff, -queryMax, -queryMax
			codes[len(codes)-1], q[len(q)-1] = 0xff, queryMax
			got := make([]int32, n)
			want := make([]int32, n)
			dotsNibble(codes, q, widen(q), st, got)
			avx2 := make([]int32, n) // the AVX2 kernel where VNNI would run
			dotsNibble(codes, q, nil, st, avx2)
			for i := range want {
				var s int64
				for j := 0; j < 2*st; j++ {
					// Dimension j of the vector: block j/64, the low
					// nibble of its byte j%64 for the first 32, the
					// high one of byte j%64-32 for the last.
					b, k := j/blockDims*(blockDims/2), j%blockDims
					x := int64(codes[i*st+b+k%(blockDims/2)])
					if k < blockDims/2 {
						x &= 0xf
					} else {
						x >>= 4
					}
					s += x * int64(q[j])
				}
				want[i] = int32(s)
			}
			gen := make([]int32, n)
			dotsGeneric(codes, q, st, gen)
			for i := range want {
				if got[i] != want[i] || gen[i] != want[i] || avx2[i] != want[i] {
					t.Fatalf("dims %d, n %d, vector %d: kernel %s got %d, without the wide query %d, generic %d, want %d", dims, n, i, Kernel(), got[i], avx2[i], gen[i], want[i])
				}
			}
		}
	}
}

// unpack returns the codes of the first dims dimensions of one vector's
// 4-bit codes.
func unpack(codes []byte, dims int) []byte {
	out := make([]byte, dims)
	for j := range out {
		x := codes[j/blockDims*(blockDims/2)+j%(blockDims/2)]
		if j%blockDims < blockDims/2 {
			out[j] = x & 0xf
		} else {
			out[j] = x >> 4
		}
	}
	return out
}

func TestQuantize(t *testing.T) {
	// 66 dimensions: two blocks, the second mostly padding.
	long := make([]float32, 66)
	long[0], long[33], long[64], long[65] = -1, 1, 0.5, -0.2
	longCodes := make([]byte, 66)
	for i := range longCodes {
		longCodes[i] = 8 // round(7.5), the code of 0
	}
	longCodes[0], longCodes[33], longCodes[64], longCodes[65] = 0, 15, 11, 6
	tests := []struct {
		name      string
		vec       []float32
		wantCodes []byte
		wantScale float32
	}{
		{"max maps to 15", []float32{0.5, -0.25, 0, 0.125}, []byte{15, 4, 8, 9}, 0.5 / 15},
		{"negative max maps to 0", []float32{-1, 0.5}, []byte{0, 11}, 1.0 / 15},
		{"both halves of a block and a second block", long, longCodes, 1.0 / 15},
		{"zero vector", []float32{0, 0, 0}, []byte{0, 0, 0}, 0},
		{"NaN matches nothing", []float32{float32(math.NaN()), 1}, []byte{0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Quantize(tt.vec, len(tt.vec))
			if c.Len() != 1 {
				t.Fatalf("got %d vectors, want 1", c.Len())
			}
			if got, want := len(c.Codes), Stride(len(tt.vec)); got != want {
				t.Fatalf("got %d bytes of codes, want %d", got, want)
			}
			if got := unpack(c.Codes, len(tt.vec)); !bytes.Equal(got, tt.wantCodes) {
				t.Fatalf("got codes %v, want %v", got, tt.wantCodes)
			}
			for i, x := range unpack(c.Codes, 2*Stride(len(tt.vec)))[len(tt.vec):] {
				if x != 0 {
					t.Fatalf("padding code %d: got %d, want 0", i, x)
				}
			}
			if c.Scales[0] != tt.wantScale {
				t.Fatalf("got scale %v, want %v", c.Scales[0], tt.wantScale)
			}
		})
	}
}

// TestDotsApproximate checks Dots against the float32 dot product of the
// query with the vectors the codes stand for, and DotCodes against Dots.
func TestDotsApproximate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, dims := range []int{3, 64, 100, 512} {
		vecs := randomVectors(r, 20, dims)
		c := Quantize(vecs, dims)
		q := NewQuery(vecs[:dims])
		got := make([]float32, c.Len())
		Dots(c.Codes, c.Scales, q, got)
		st := Stride(dims)
		for i := range got {
			var want float64
			for j, u := range unpack(c.Codes[i*st:], dims) {
				want += float64(2*int(u)-codeLevels) * float64(c.Scales[i]) * float64(q.codes[j]) * float64(q.scale)
			}
			if math.Abs(float64(got[i])-want) > 1e-5 {
				t.Fatalf("dims %d, vector %d: got %v, want %v", dims, i, got[i], want)
			}
			if one := DotCodes(c.Codes[i*st:(i+1)*st], c.Scales[i], q); one != got[i] {
				t.Fatalf("dims %d, vector %d: DotCodes got %v, Dots %v", dims, i, one, got[i])
			}
			// The codes' own error: a quarter of a code step per
			// coordinate at most, far less on average.
			if exact := Dot(vecs[:dims], vecs[i*dims:(i+1)*dims]); math.Abs(float64(got[i]-exact)) > 0.25 {
				t.Fatalf("dims %d, vector %d: got %v, exact %v", dims, i, got[i], exact)
			}
		}
	}
}

func TestAppendEqualsQuantize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	v := randomVectors(r, 50, 33)
	whole := Quantize(v, 33)
	parts := Codes{Dims: 33}
	parts.Append(v[:20*33])
	parts.Append(v[20*33:])
	if len(parts.Codes) != len(whole.Codes) || parts.Len() != whole.Len() {
		t.Fatalf("got %d codes and %d scales, want %d and %d", len(parts.Codes), parts.Len(), len(whole.Codes), whole.Len())
	}
	for i := range whole.Codes {
		if parts.Codes[i] != whole.Codes[i] {
			t.Fatalf("code %d: got %d, want %d", i, parts.Codes[i], whole.Codes[i])
		}
	}
}

// overlap returns the share of want's indexes that got also holds.
func overlap(got, want []Result) float64 {
	in := map[int32]bool{}
	for _, r := range got {
		in[r.ID] = true
	}
	n := 0
	for _, r := range want {
		if in[r.ID] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// checkRecall runs queries against vecs and checks the top-10 recall of
// Search at 100 candidates (after bitCands candidates of the 1-bit scan,
// 0 for none) against Exact, and that every score Search returns is the
// exact one.
func checkRecall(t *testing.T, vecs []float32, dims int, queries [][]float32, bitCands int) {
	t.Helper()
	c := Quantize(vecs, dims)
	var sum float64
	for qi, q := range queries {
		want := Exact(vecs, dims, q, 10)
		got := SearchWith(&c, vecs, q, Options{K: 10, Candidates: 100, BitCandidates: bitCands})
		if len(got) != len(want) {
			t.Fatalf("query %d: got %d results, want %d", qi, len(got), len(want))
		}
		for _, r := range got {
			if e := Dot(q, vecs[int(r.ID)*dims:(int(r.ID)+1)*dims]); r.Score != e {
				t.Fatalf("query %d: vector %d scored %v, want the exact %v", qi, r.ID, r.Score, e)
			}
		}
		sum += overlap(got, want)
	}
	if recall := sum / float64(len(queries)); recall < 0.99 {
		t.Errorf("got recall@10 %.4f at 100 candidates, want at least 0.99", recall)
	} else {
		t.Logf("recall@10 at 100 candidates after %d 1-bit candidates: %.4f over %d queries (kernel %s)", bitCands, recall, len(queries), Kernel())
	}
}

func TestRecallRandom1536(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const dims = 1536
	n := 8000 / raceStride
	vecs := randomVectors(r, n, dims)
	// Queries near stored vectors, as a question is near its answer; pure
	// random queries would have no neighbours to find.
	var qs [][]float32
	for i := 0; i < 40; i++ {
		base := vecs[r.IntN(n)*dims:][:dims]
		noise := randomVectors(r, 1, dims)
		q := make([]float32, dims)
		for j := range q {
			q[j] = base[j] + noise[j]
		}
		qs = append(qs, q)
	}
	// At this size the 1-bit pass needs a larger share than BitFraction's
	// (measured for 64k vectors and more: see BitFraction).
	for _, bitCands := range []int{0, n / 4} {
		t.Run(fmt.Sprintf("bits=%d", bitCands), func(t *testing.T) { checkRecall(t, vecs, dims, qs, bitCands) })
	}
}

func TestSearchWithKeepAndWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const dims, n = 64, 3000
	vecs := randomVectors(r, n, dims)
	c := Quantize(vecs, dims)
	q := vecs[17*dims : 18*dims]
	keep := func(i int) bool { return i%3 != 0 }
	// With every vector a candidate of the 4-bit scan, or all but one of
	// the 1-bit scan and half of them of the 4-bit scan, the result is the
	// exact top 5 of the kept ones.
	var want []Result
	for _, e := range Exact(vecs, dims, q, n) {
		if keep(int(e.ID)) && len(want) < 5 {
			want = append(want, e)
		}
	}
	for _, o := range []Options{{Candidates: n}, {Candidates: n / 2, BitCandidates: n - 1}} {
		for _, workers := range []int{1, 2, 7} {
			o.K, o.Keep, o.Workers = 5, keep, workers
			got := SearchWith(&c, vecs, q, o)
			if len(got) != 5 {
				t.Fatalf("%d 1-bit candidates, workers %d: got %d results, want 5", o.BitCandidates, workers, len(got))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%d 1-bit candidates, workers %d: got %v, want %v", o.BitCandidates, workers, got, want)
				}
			}
			if got[0].ID != 17 {
				t.Fatalf("%d 1-bit candidates, workers %d: got best %d, want the query's own vector 17", o.BitCandidates, workers, got[0].ID)
			}
		}
	}
}

// TestRoundMatchesMathRound checks round on halves and ordinary values.
// (The float32 just below a half, 0.49999997, rounds to 1: adding the half
// rounds up first. Codes need only be deterministic, not exact.)
func TestRoundMatchesMathRound(t *testing.T) {
	for _, f := range []float32{0, 0.4999, 0.5, 1.5, 2.5, -0.5, -1.5, -63.5, 126.5, -127, 127, 2046.5, -2047, 3.2, -3.7} {
		if got, want := round(f), int32(math.Round(float64(f))); got != want {
			t.Errorf("round(%v): got %d, want %d", f, got, want)
		}
	}
}

func TestRangesCoverOnce(t *testing.T) {
	for _, tc := range []struct{ n, w int }{{0, 1}, {1, 1}, {10, 3}, {7, 7}, {100, 2}} {
		var mu sync.Mutex
		seen := make([]int, tc.n)
		parts := 0
		Ranges(tc.n, tc.w, func(p, lo, hi int) {
			mu.Lock()
			defer mu.Unlock()
			parts++
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		if parts != tc.w {
			t.Errorf("n=%d w=%d: got %d ranges, want %d", tc.n, tc.w, parts, tc.w)
		}
		for i, c := range seen {
			if c != 1 {
				t.Errorf("n=%d w=%d: index %d covered %d times, want once", tc.n, tc.w, i, c)
			}
		}
	}
}

// maxAbsReference is the plain definition maxAbs must agree with.
func maxAbsReference(v []float32) float32 {
	var m float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0
		}
		m = math.Max(m, math.Abs(float64(x)))
	}
	return float32(m)
}

func TestMaxAbsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	inf := float32(math.Inf(1))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, math.MaxFloat32, -math.MaxFloat32, inf, -inf, float32(math.NaN())}
	for n := range 40 {
		for trial := range 50 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64())
				if trial%5 == 0 && r.IntN(8) == 0 {
					v[i] = special[r.IntN(len(special))]
				}
			}
			if got, want := maxAbs(v), maxAbsReference(v); got != want {
				t.Fatalf("maxAbs(%v) = %v, want %v", v, got, want)
			}
		}
	}
}

func BenchmarkQuantize512(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	v := randomVectors(r, 1, 512)
	dst := make([]byte, Stride(512))
	for b.Loop() {
		QuantizeInto(dst, v)
	}
}
