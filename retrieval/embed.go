package retrieval

import (
	"context"
	"math"
	"slices"

	chromem "github.com/philippgille/chromem-go"
)

// LocalModel names the embedding model of LocalEmbedder; record it in
// Config.EmbedModel when using it. It changes whenever the embedder would
// produce different vectors.
const LocalModel = "local-hash-v1"

// LocalDim is the dimension of LocalEmbedder's vectors.
const LocalDim = 512

// Weights of the two feature families of the local embedder. (Word bigrams
// as a third family made retrieval slightly worse on MultiHop-RAG and
// SciFact.)
const (
	localWordWeight = 1.0
	localCharWeight = 0.25
)

// LocalEmbedder returns a deterministic embedding function that needs no
// network and no model weights: signed feature hashing of the analysed
// (stemmed) words and of the character 3- to 5-grams of each word into
// LocalDim dimensions, weighted by 1+ln(tf) and L2-normalised. It captures
// lexical and morphological similarity ("Zelensky" is close to "Zelenskyy"),
// not meaning. The function is safe for concurrent use.
func LocalEmbedder() chromem.EmbeddingFunc {
	an := analyzer{cache: newStemCache(1 << 17)}
	return func(ctx context.Context, text string) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return embedLocal(an, text, LocalDim), nil
	}
}

func embedLocal(an analyzer, text string, dim int) []float32 {
	v := make([]float32, dim)
	var sc embedScratch
	embedTokens(v, an.tokens(text, make([]token, 0, 64)), &sc, func() string { return text })
	return v
}

// embedScratch is reusable scratch space for embedTokens.
type embedScratch struct {
	words, chars, sorted []uint64
	buckets              []uint32
	start                []int32
}

// embedTokens writes into v (zeroed, of the embedding's dimension) the
// local embedding of a text whose tokens are toks; text returns the text,
// needed only when there is nothing to hash.
func embedTokens(v []float32, toks []token, sc *embedScratch, text func() string) {
	dim := len(v)
	words := sc.words[:0]
	chars := sc.chars[:0]
	for _, t := range toks {
		words = append(words, hashString(1, t.term))
		if t.extra {
			continue
		}
		// character n-grams of "^word$"
		s := t.surface
		padded := len(s) + 2
		for n := 3; n <= 5; n++ {
			for i := 0; i+n <= padded; i++ {
				chars = append(chars, hashPadded(3, s, i, n))
			}
		}
	}
	sc.words, sc.chars = words, chars
	addHashed(v, words, localWordWeight, sc)
	addHashed(v, chars, localCharWeight, sc)
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		// Nothing to hash: a fixed unit vector that depends only on the text.
		v[hashString(4, text())%uint64(dim)] = 1
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

// addHashed adds each distinct hash once, signed by its top bit, with
// weight w*(1+ln(count)), into v[hash mod len(v)]. Each component receives
// its hashes in increasing order, so that the float sums always run in the
// same order; the hashes are grouped by component with a counting sort
// and each (small) group is sorted, which gives the order a full sort
// would at a fraction of its cost.
func addHashed(v []float32, hs []uint64, w float32, sc *embedScratch) {
	dim := len(v)
	if cap(sc.start) < dim+1 {
		sc.start = make([]int32, dim+1)
	}
	start := sc.start[:dim+1]
	clear(start)
	if cap(sc.buckets) < len(hs) {
		sc.buckets = make([]uint32, len(hs))
	}
	buckets := sc.buckets[:len(hs)]
	if dim&(dim-1) == 0 { // a power of two: hash mod dim is a mask
		mask := uint64(dim - 1)
		for i, h := range hs {
			buckets[i] = uint32(h & mask)
		}
	} else {
		for i, h := range hs {
			buckets[i] = uint32(h % uint64(dim))
		}
	}
	for _, b := range buckets {
		start[b+1]++
	}
	for i := 1; i <= dim; i++ {
		start[i] += start[i-1]
	}
	if cap(sc.sorted) < len(hs) {
		sc.sorted = make([]uint64, len(hs))
	}
	sorted := sc.sorted[:len(hs)]
	for i, h := range hs {
		b := buckets[i]
		sorted[start[b]] = h
		start[b]++
	}
	// start[b] is now the end of component b's group.
	lo := 0
	for b := 0; b < dim; b++ {
		g := sorted[lo:start[b]]
		lo = int(start[b])
		if len(g) == 0 {
			continue
		}
		if len(g) > 32 {
			slices.Sort(g)
		} else {
			for i := 1; i < len(g); i++ { // insertion sort: groups are small
				for j := i; j > 0 && g[j] < g[j-1]; j-- {
					g[j], g[j-1] = g[j-1], g[j]
				}
			}
		}
		for i := 0; i < len(g); {
			j := i + 1
			for j < len(g) && g[j] == g[i] {
				j++
			}
			x := w
			if j-i > 1 {
				x = w * (1 + float32(math.Log(float64(j-i))))
			}
			if g[i]>>63 == 1 {
				x = -x
			}
			v[b] += x
			i = j
		}
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashString hashes a namespace byte and a string.
func hashString(ns byte, s string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(ns)) * fnvPrime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return mix(h)
}

// hashPadded hashes the n bytes at offset i of "^" + s + "$".
func hashPadded(ns byte, s string, i, n int) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(ns)) * fnvPrime
	for j := i; j < i+n; j++ {
		var c byte
		switch {
		case j == 0:
			c = '^'
		case j == len(s)+1:
			c = '$'
		default:
			c = s[j-1]
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return mix(h)
}

// mix is the splitmix64 finaliser, so that every bit of the hash depends on
// every input byte.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
