package answer

import (
	_ "embed"
	"strings"

	"github.com/briefbot/briefbot/retrieval"
)

// commonWordsText is a list of 1,000 common English words (see the file's
// header for its source).
//
//go:embed common_words.txt
var commonWordsText string

// commonWords are the analysed terms of the common English words: general
// English, not the few articles at hand, says which words are ordinary. A
// common word is never taken for a misspelling, and weighs less than a
// rare one when measuring how much of a question the evidence covers.
var commonWords = buildCommonWords(commonWordsText)

func buildCommonWords(text string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, t := range retrieval.Analyze(line) {
			out[t] = true
		}
	}
	return out
}

// isCommonWord reports whether w is a common English word.
func isCommonWord(w string) bool {
	for _, t := range retrieval.Analyze(w) {
		if !commonWords[t] {
			return false
		}
	}
	return true
}
