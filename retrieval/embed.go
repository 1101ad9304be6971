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
	toks := an.tokens(text, make([]token, 0, 64))
	words := make([]uint64, 0, len(toks))
	chars := make([]uint64, 0, len(toks)*12)
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
	v := make([]float32, dim)
	addHashed(v, words, localWordWeight)
	addHashed(v, chars, localCharWeight)
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		// Nothing to hash: a fixed unit vector that depends only on the text.
		v[hashString(4, text)%uint64(dim)] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// addHashed adds each distinct hash once, signed by its top bit, with
// weight w*(1+ln(count)), into v[hash mod len(v)]. The hashes are sorted
// first so that the float sums always run in the same order.
func addHashed(v []float32, hs []uint64, w float32) {
	slices.Sort(hs)
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && hs[j] == hs[i] {
			j++
		}
		x := w * (1 + float32(math.Log(float64(j-i))))
		if hs[i]>>63 == 1 {
			x = -x
		}
		v[hs[i]%uint64(len(v))] += x
		i = j
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
