package briefing

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/retrieval"
)

// Timing conflicts: two outlets giving the same coming event different
// timings ("within two weeks" against "before month’s end").

const (
	quantity = `(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|a\s+few|few|a\s+couple\s+of|couple\s+of|\d+)`
	unit     = `(?:hours?|days?|weeks?|months?|years?)`
)

var timingRE = regexp.MustCompile(`(?i)\b(?:` +
	`within\s+(?:the\s+)?(?:next\s+|coming\s+)?(?:` + quantity + `\s+)?` + unit +
	`|in\s+the\s+(?:next|coming)\s+(?:` + quantity + `\s+)?` + unit +
	`|in\s+` + quantity + `\s+` + unit +
	`|(?:before|by)\s+(?:the\s+)?(?:week|month|year)['’]s\s+end` +
	`|(?:before|by)\s+the\s+end\s+of\s+(?:the|this|next)\s+(?:week|month|year)` +
	`|next\s+(?:week|month)` +
	`)\b`)

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "twelve": 12, "couple": 2,
}

var unitDays = map[string]int{"hour": 0, "day": 1, "week": 7, "month": 30, "year": 365}

// timingWords are the analysed forms of the words timing phrases are made
// of; they are left out of a timing's context. Read only.
var timingWords = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range retrieval.Analyze("within next coming before by end the week weeks month months year years day days hour hours few several couple") {
		m[t] = true
	}
	return m
}()

// timing is a timing phrase in a sentence.
type timing struct {
	says    string // verbatim
	value   string // normalised: "14d", "end:month", "next:week"
	context map[string]string
}

// timingValue normalises a timing phrase.
func timingValue(phrase string) string {
	p := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(phrase, "’", "'")), " "))
	switch {
	case strings.HasPrefix(p, "next "):
		return "next:" + strings.TrimPrefix(p, "next ")
	case strings.Contains(p, "end"):
		for _, u := range []string{"week", "month", "year"} {
			if strings.Contains(p, u) {
				if strings.Contains(p, "next "+u) {
					return "end:next-" + u
				}
				return "end:" + u
			}
		}
	}
	words := strings.Fields(p)
	u := strings.TrimSuffix(words[len(words)-1], "s")
	n := -1
	for _, w := range words[:len(words)-1] {
		if v, ok := numberWords[w]; ok {
			n = v
		} else if v, err := strconv.Atoi(w); err == nil {
			n = v
		} else if w == "few" || w == "several" {
			return "few:" + u
		}
	}
	if n < 0 {
		return "some:" + u
	}
	if u == "hour" {
		return strconv.Itoa(n) + "h"
	}
	return strconv.Itoa(n*unitDays[u]) + "d"
}

// timings finds the timing phrases of a sentence with their context: the
// analysed words around them (eight either side), time words left out.
func timings(s string) []timing {
	var out []timing
	for _, loc := range timingRE.FindAllStringIndex(s, -1) {
		t := timing{says: s[loc[0]:loc[1]], value: timingValue(s[loc[0]:loc[1]]), context: map[string]string{}}
		for _, w := range append(lastWords(s[:loc[0]], 8), firstWords(s[loc[1]:], 8)...) {
			for _, term := range retrieval.Analyze(w) {
				if !timingWords[term] {
					t.context[term] = strings.Trim(w, ".,;:!?()“”\"'‘’")
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// timingConflicts finds pairs of sentences from different outlets of a story
// that give the same coming event different timings: the sentences overlap
// and at least two words around the timings are shared.
func timingConflicts(st *story) []answer.Conflict {
	type found struct {
		s *sent
		t timing
	}
	var all []found
	for _, d := range st.docs {
		for _, s := range d.sents {
			if s.words < 5 {
				continue
			}
			for _, t := range timings(s.text()) {
				all = append(all, found{s, t})
			}
		}
	}
	var out []answer.Conflict
	seen := map[string]int{}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.s.d.source == b.s.d.source || a.t.value == b.t.value {
				continue
			}
			if hasTiming(b.s, a.t.value) || hasTiming(a.s, b.t.value) {
				continue // each side also gives the other's timing
			}
			sim := jaccard(a.s.set, b.s.set)
			if sim < 0.15 {
				continue
			}
			var shared []string
			for term, w := range a.t.context {
				if _, ok := b.t.context[term]; ok {
					shared = append(shared, strings.ToLower(w))
				}
			}
			if len(shared) < 2 {
				continue
			}
			slices.Sort(shared)
			shared = slices.Compact(shared)
			if len(shared) > 4 {
				shared = shared[:4]
			}
			c := answer.Conflict{
				Kind:       "timing",
				About:      strings.Join(shared, ", "),
				Similarity: sim,
				Sides: []answer.ConflictSide{
					{Sentence: answer.ArticleSentence{Article: a.s.d.art, Start: a.s.start, End: a.s.end}, Says: a.t.says},
					{Sentence: answer.ArticleSentence{Article: b.s.d.art, Start: b.s.start, End: b.s.end}, Says: b.t.says},
				},
			}
			key := a.t.value + "|" + b.t.value
			if a.t.value > b.t.value {
				key = b.t.value + "|" + a.t.value
			}
			if k, ok := seen[key]; ok {
				if sim > out[k].Similarity {
					out[k] = c
				}
				continue
			}
			seen[key] = len(out)
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y answer.Conflict) int { return cmp.Compare(y.Similarity, x.Similarity) })
	return out
}

func hasTiming(s *sent, value string) bool {
	for _, t := range timings(s.text()) {
		if t.value == value {
			return true
		}
	}
	return false
}

func lastWords(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[len(f)-n:]
	}
	return f
}

func firstWords(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return f
}
