package retrieval

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// analyzerVersion changes whenever Analyze would turn some text into
// different terms; a persisted index built by another version is rebuilt.
const analyzerVersion = 2

// maxTermLen is the longest word, in bytes, that is indexed; longer runs are
// URLs, hashes and the like.
const maxTermLen = 64

// Analyze turns text into the lexical index's terms, in text order:
// lower-cased, folded (curly quotes and apostrophes, dashes, Latin accents),
// stop words removed, Snowball-stemmed. A possessive 's is dropped;
// "U.S." becomes "us"; a hyphenated word yields its parts and, right before
// them, the whole word run together ("co-ordinate" gives "coordin", "co",
// "ordin"); numbers are kept, with their unit suffix and without
// ("$100bn" gives "100bn" and "100"; "1,000" gives "1000").
func Analyze(text string) []string {
	an := analyzer{}
	toks := an.tokens(text, nil)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.term
	}
	return out
}

// token is one analysed term of a text.
type token struct {
	term string
	// surface is the folded, lower-case word the term came from, before
	// stemming.
	surface string
	// extra marks the additional terms of a hyphenated word or a number
	// with a suffix; they share the position of the word and are not part
	// of the word sequence that bigrams are made from.
	extra bool
}

// analyzer holds an optional stem cache; the zero value stems every word
// afresh. It is safe for concurrent use.
type analyzer struct {
	cache *stemCache
}

// stemCache remembers stems of words seen before, up to max entries.
type stemCache struct {
	mu  sync.RWMutex
	m   map[string]string
	max int
}

func newStemCache(max int) *stemCache {
	return &stemCache{m: make(map[string]string, 1024), max: max}
}

func (an analyzer) stem(w string) string {
	if !isASCIILetters(w) {
		return w
	}
	c := an.cache
	if c == nil {
		return english.Stem(w, true)
	}
	c.mu.RLock()
	s, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(w, true)
	c.mu.Lock()
	if len(c.m) < c.max {
		c.m[strings.Clone(w)] = s
	}
	c.mu.Unlock()
	return s
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return w != ""
}

// tokens appends the analysed tokens of text to out.
//
// Text splits into runs of letters, digits, combining marks and connectors
// (' - . , &); each run, with its combining marks and leading connectors
// dropped and folded, is a raw word for rawWord. A run of ASCII letters and
// digits alone, the common case, skips the general path: it is its own
// word, lower-cased, with no copy when it is lower-case already.
func (an analyzer) tokens(text string, out []token) []token {
	var raw []byte
	for i := 0; i < len(text); {
		if isASCIIAlnum(text[i]) {
			j, upper := i, false
			for ; j < len(text) && isASCIIAlnum(text[j]); j++ {
				upper = upper || text[j] >= 'A' && text[j] <= 'Z'
			}
			if j == len(text) || endsASCIIWord(text[j]) {
				w := text[i:j]
				if upper {
					w = strings.ToLower(w)
				}
				out = an.word(w, out, false)
				i = j
				continue
			}
		}
		// General path: one run, up to and including the character that
		// ends it.
		raw = raw[:0]
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			i += size
			r = fold(r)
			if r == '\'' || r == '-' || r == '.' || r == ',' || r == '&' {
				if len(raw) > 0 {
					raw = utf8.AppendRune(raw, r)
				}
				continue
			}
			if unicode.Is(unicode.Mn, r) {
				continue // combining mark: drop it, keep the word together
			}
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				raw = utf8.AppendRune(raw, r)
				continue
			}
			break
		}
		if len(raw) > 0 {
			out = an.rawWord(string(raw), out)
		}
	}
	return out
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// endsASCIIWord reports whether c is an ASCII character that ends a run:
// neither a letter, a digit nor a connector (nor '`', which folds to one).
func endsASCIIWord(c byte) bool {
	if c >= 0x80 || isASCIIAlnum(c) {
		return false
	}
	switch c {
	case '\'', '-', '.', ',', '&', '`':
		return false
	}
	return true
}

// rawWord analyses a run of letters, digits and connectors (' - . , &).
func (an analyzer) rawWord(w string, out []token) []token {
	w = strings.TrimRight(w, "'-.,&")
	w = strings.TrimSuffix(w, "'s")
	w = strings.TrimRight(w, "'-.,&")
	if w == "" {
		return out
	}
	parts := strings.Split(w, "-")
	var subs [][]string
	n := 0
	for _, p := range parts {
		s := splitDots(p)
		if len(s) > 0 {
			subs = append(subs, s)
			n++
		}
	}
	if n > 1 {
		var whole strings.Builder
		for _, s := range subs {
			for _, x := range s {
				whole.WriteString(x)
			}
		}
		if ws := whole.String(); len(ws) <= maxTermLen {
			out = an.word(ws, out, true)
		}
	}
	for _, s := range subs {
		for _, x := range s {
			out = an.word(x, out, false)
		}
	}
	return out
}

// splitDots splits a hyphen-free word on full stops and commas, except
// within numbers ("3.5" stays, "1,000" becomes "1000") and dotted
// abbreviations ("u.s" becomes "us"). Apostrophes and ampersands inside a
// word are dropped ("don't" becomes "dont", "at&t" becomes "att").
func splitDots(w string) []string {
	w = strings.Trim(w, "'.,&")
	if w == "" {
		return nil
	}
	if !strings.ContainsAny(w, "'.,&") {
		return []string{w}
	}
	if isDottedAbbrev(w) {
		return []string{strings.ReplaceAll(w, ".", "")}
	}
	var out []string
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch c {
		case '\'', '&':
			continue
		case '.', ',':
			if i > 0 && i+1 < len(w) && isDigit(w[i-1]) && isDigit(w[i+1]) {
				if c == '.' {
					b.WriteByte(c)
				}
				continue
			}
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// isDottedAbbrev reports whether w is single letters joined by full stops,
// such as "u.s" or "p.m".
func isDottedAbbrev(w string) bool {
	if len(w) < 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if i%2 == 1 {
			if w[i] != '.' {
				return false
			}
		} else if !unicode.IsLetter(rune(w[i])) || w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return len(w)%2 == 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// word turns one word (no connectors left) into its term(s).
func (an analyzer) word(w string, out []token, extra bool) []token {
	if w == "" || len(w) > maxTermLen || isStopWord(w) {
		return out
	}
	lead := 0
	for lead < len(w) && isDigit(w[lead]) || lead > 0 && lead < len(w) && w[lead] == '.' {
		lead++
	}
	hasDigit := strings.IndexFunc(w, unicode.IsDigit) >= 0
	if !hasDigit {
		return append(out, token{term: an.stem(w), surface: w, extra: extra})
	}
	out = append(out, token{term: w, surface: w, extra: extra})
	if lead > 0 && lead < len(w) && !extra {
		num := strings.TrimRight(w[:lead], ".")
		if num != "" && num != w {
			out = append(out, token{term: num, surface: num, extra: true})
		}
	}
	return out
}

// fold maps typographic variants to their plain forms and Latin letters with
// diacritics to the base letter, and lower-cases.
func fold(r rune) rune {
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		if r == '`' {
			return '\''
		}
		return r
	}
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u2032', '\u00B4':
		return '\''
	case '\u201C', '\u201D', '\u201E', '\u2033', '\u00AB', '\u00BB':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '\u00AD':
		return '-'
	case '\u2014', '\u2015':
		return ' '
	}
	r = unicode.ToLower(r)
	if r < 0xC0 || r > 0x17F {
		return r
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return 'a'
	case 'ç', 'ć', 'ĉ', 'ċ', 'č':
		return 'c'
	case 'ď', 'đ', 'ð':
		return 'd'
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě':
		return 'e'
	case 'ĝ', 'ğ', 'ġ', 'ģ':
		return 'g'
	case 'ĥ', 'ħ':
		return 'h'
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı':
		return 'i'
	case 'ĵ':
		return 'j'
	case 'ķ':
		return 'k'
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł':
		return 'l'
	case 'ñ', 'ń', 'ņ', 'ň':
		return 'n'
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő':
		return 'o'
	case 'ŕ', 'ŗ', 'ř':
		return 'r'
	case 'ś', 'ŝ', 'ş', 'š':
		return 's'
	case 'ţ', 'ť', 'ŧ':
		return 't'
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų':
		return 'u'
	case 'ŵ':
		return 'w'
	case 'ý', 'ÿ', 'ŷ':
		return 'y'
	case 'ź', 'ż', 'ž':
		return 'z'
	}
	return r
}

// isStopWord reports whether a folded word (apostrophes removed) carries
// too little meaning to index: the Snowball English list, contractions, a
// few more function words, and "say" in its forms, which news reports use in
// nearly every paragraph and questions ask with ("what did X say").
func isStopWord(w string) bool {
	if english.IsStopWord(w) {
		return true
	}
	switch w {
	case "would", "could", "might", "must", "shall", "also", "upon",
		"whose", "whether", "yet", "via", "ie", "eg", "etc",
		"im", "ive", "youre", "youve", "youd", "youll", "hes", "shes",
		"theyre", "theyve", "theyd", "theyll", "weve", "wed", "well", "id",
		"dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
		"wont", "cant", "cannot", "couldnt", "shouldnt", "wouldnt",
		"hasnt", "havent", "hadnt", "thats", "theres", "whats", "lets",
		"say", "says", "said", "saying":
		return true
	}
	return false
}
