package llmtest

import (
	"hash/fnv"
	"math"
	"strings"
	"unicode"
)

// Vector returns the fake server's embedding of text: a feature-hashing
// bag of words. Each lower-cased word (a run of letters and digits) adds
// ±1 to one of dim coordinates chosen by its FNV-1a hash, and the result is
// scaled to length 1. Texts that share words have a positive cosine
// similarity, texts that share none are near 0, and the same text always
// gives the same vector. A text without words is hashed whole.
func Vector(text string, dim int) []float32 {
	v := make([]float64, dim)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		words = []string{text}
	}
	for _, w := range words {
		sum := hash(w)
		sign := 1.0
		if sum>>63 == 1 {
			sign = -1
		}
		v[sum%uint64(dim)] += sign
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	if norm == 0 { // the words cancelled out
		v[hash(text)%uint64(dim)], norm = 1, 1
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dim)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

// hash returns the 64-bit FNV-1a hash of s.
func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
