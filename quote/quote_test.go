package quote

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
)

func TestFind(t *testing.T) {
	const text = "Leavitt said: “U.S. boots will not be on the ground in Ukraine,”\u00a0she added —  firmly.\nNext  line’s here."
	tests := []struct {
		name, q string
		want    string // the article text found; "" for no match
	}{
		{"exact", "U.S. boots will not be on the ground", "U.S. boots will not be on the ground"},
		{"straight quotes for curly", `"U.S. boots will not be on the ground in Ukraine,"`, "“U.S. boots will not be on the ground in Ukraine,”"},
		{"collapsed white space and nbsp", "Ukraine,” she added - firmly.", "Ukraine,”\u00a0she added —  firmly."},
		{"across a line break", "firmly. Next line's here.", "firmly.\nNext  line’s here."},
		{"leading and trailing space ignored", "   said:  ", "said:"},
		{"case matters", "u.s. boots", ""},
		{"a changed word fails", "U.S. troops will not be on the ground", ""},
		{"punctuation matters", "U.S. boots will not be on the ground in Ukraine.", ""},
		{"empty", "   ", ""},
		{"starts inside a word", "he added", ""},
		{"ends inside a word", "boots will no", ""},
		{"word inside a word", "no", ""},
		{"part of a word after an apostrophe", "s here", ""},
		{"whole word after a mark", "firmly", "firmly"},
		{"ends before punctuation", "in Ukraine", "in Ukraine"},
		{"starts after a hyphen-like dash", "firmly. Next", "firmly.\nNext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok := Find(text, tt.q)
			if tt.want == "" {
				if ok {
					t.Fatalf("Find(%q) = %q, want no match", tt.q, text[s:e])
				}
				return
			}
			if !ok {
				t.Fatalf("Find(%q): no match, want %q", tt.q, tt.want)
			}
			if got := text[s:e]; got != tt.want {
				t.Errorf("Find(%q) = %q, want %q", tt.q, got, tt.want)
			}
		})
	}
}

type store []*article.Article

func (s store) Article(id string) (*article.Article, bool) {
	for _, a := range s {
		if a.ID == id {
			return a, true
		}
	}
	return nil, false
}
func (s store) Articles() []*article.Article { return s }

func TestVerifyOnlyInBody(t *testing.T) {
	text := "Sign up to read this article\nThe body says “hello there.”\nRelated Stories"
	bodyStart := strings.Index(text, "The body")
	bodyEnd := strings.Index(text, "\nRelated")
	a := &article.Article{ID: "a.txt", Text: text, Body: []article.Span{{Start: bodyStart, End: bodyEnd}}}
	b := &article.Article{ID: "b.txt", Text: "Other text. hello there.", Body: []article.Span{{Start: 0, End: 24}}}
	st := store{a, b}

	tests := []struct {
		name    string
		q       string
		ids     []string
		wantID  string
		wantErr error
	}{
		{"in body", `The body says "hello`, nil, "a.txt", nil},
		{"chrome is never a match", "Sign up to read", nil, "", ErrNotFound},
		{"restricted to named article", "hello there.", []string{"b.txt"}, "b.txt", nil},
		{"first article wins without ids", "hello there", nil, "a.txt", nil},
		{"unknown id", "hello there", []string{"zzz"}, "", ErrNotFound},
		{"empty", "", nil, "", ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Verify(st, tt.q, tt.ids...)
			if err != tt.wantErr {
				t.Fatalf("Verify(%q) error = %v, want %v", tt.q, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if m.ArticleID != tt.wantID {
				t.Errorf("Verify(%q) article = %q, want %q", tt.q, m.ArticleID, tt.wantID)
			}
			art, _ := st.Article(m.ArticleID)
			if art.Text[m.Start:m.End] != m.Text {
				t.Errorf("match text %q is not the article's text at [%d:%d]", m.Text, m.Start, m.End)
			}
			if !Equal(m.Text, tt.q) {
				t.Errorf("match %q does not equal quote %q after normalising", m.Text, tt.q)
			}
		})
	}
}

func TestFindWordBoundaries(t *testing.T) {
	tests := []struct {
		name, text, q string
		want          string // "" for no match
	}{
		{"he inside she", "she had not agreed to the plan", "he had not agreed to the plan", ""},
		{"he after she", "she had not agreed, but he had not agreed to the plan", "he had not agreed to the plan", "he had not agreed to the plan"},
		{"no inside not", "he had not agreed", "no", ""},
		{"no as a word", "he said no.", "no", "no"},
		{"digits inside a figure", "a $190bn plan", "90bn plan", ""},
		{"figure after a currency sign", "a $90bn plan", "90bn plan", "90bn plan"},
		{"possessive cut", "Trump's plan", "Trump", ""},
		{"closing single quote", "he called it 'fake' twice", "called it 'fake", "called it 'fake"},
		{"accented letters", "café société", "société", "société"},
		{"inside accented word", "cafétéria", "téria", ""},
		{"pasted from Slack with joiners around marks", "he said *not* so", "said \u200d*\u200dnot\u200d*\u200d so", "said *not* so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok := Find(tt.text, tt.q)
			got := ""
			if ok {
				got = tt.text[s:e]
			}
			if got != tt.want {
				t.Errorf("Find(%q, %q) = %q (found %v), want %q", tt.text, tt.q, got, ok, tt.want)
			}
			a := &article.Article{ID: "x", Text: tt.text, Body: []article.Span{{Start: 0, End: len(tt.text)}}}
			all := FindAllIn(a, tt.q)
			if (len(all) > 0) != (tt.want != "") {
				t.Errorf("FindAllIn(%q, %q) = %d matches, want a match %v", tt.text, tt.q, len(all), tt.want != "")
			}
		})
	}
}

func TestFindAllIn(t *testing.T) {
	text := "A said “yes.” B said \"yes.\" C said no."
	a := &article.Article{ID: "x", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	got := FindAllIn(a, `said "yes."`)
	if len(got) != 2 {
		t.Fatalf("FindAllIn found %d matches, want 2: %+v", len(got), got)
	}
	for _, m := range got {
		if text[m.Start:m.End] != m.Text || !Equal(m.Text, `said "yes."`) {
			t.Errorf("bad match %+v", m)
		}
	}
	if got[0].Start >= got[1].Start {
		t.Errorf("matches out of order: %+v", got)
	}
}

func TestNearest(t *testing.T) {
	const text = "We got to an agreement that the United States and other European nations could effectively offer Article 5-like language to cover a security guarantee, Witkoff said."
	tests := []struct {
		name    string
		q       string
		want    string
		minSim  float64
		maxSim  float64
		wantAny bool
	}{
		{"same words", "offer Article 5-like language", "offer Article 5-like language", 1, 1, true},
		{"one word changed", "the United States and other Western nations could effectively offer", "the United States and other European nations could effectively offer", 0.85, 0.95, true},
		{"a word left out", "United States and European nations could offer Article 5-like language", "United States and other European nations could effectively offer Article 5-like language", 0.75, 0.95, true},
		{"misspelt name", "Witkof said", "Witkoff said", 0.7, 0.8, true},
		{"unrelated", "football match result tonight", "", 0, 0.3, true},
		{"no words", "...", "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := Nearest(text, tt.q)
			if ok != tt.wantAny {
				t.Fatalf("Nearest(%q) ok = %v, want %v", tt.q, ok, tt.wantAny)
			}
			if !ok {
				return
			}
			if tt.want != "" && text[n.Start:n.End] != tt.want {
				t.Errorf("Nearest(%q) = %q, want %q", tt.q, text[n.Start:n.End], tt.want)
			}
			if n.Similarity < tt.minSim || n.Similarity > tt.maxSim {
				t.Errorf("Nearest(%q) similarity = %.3f, want in [%.2f, %.2f]", tt.q, n.Similarity, tt.minSim, tt.maxSim)
			}
		})
	}
}

// FuzzFind checks that a match is always real: the offsets lie on rune
// boundaries inside the text, the text there equals the quote after
// normalising, and the match starts and ends on word boundaries of the
// text. A quote cut verbatim from the text on word boundaries is always
// found. A near-match starts at the beginning of a word and ends at the end
// of one.
func FuzzFind(f *testing.F) {
	f.Add("Leavitt said: “U.S. boots will not be on the ground,” she said.", 3, 20)
	f.Add("a\u00a0 b—c ‘d’", 0, 5)
	f.Add("\xff\xfe bad bytes “x”", 1, 9)
	f.Add("a\u200db *c\u200d* d", 1, 7)
	f.Fuzz(func(t *testing.T, text string, i, j int) {
		if i < 0 {
			i = -i
		}
		if j < 0 {
			j = -j
		}
		if len(text) > 0 {
			i %= len(text) + 1
			j %= len(text) + 1
		} else {
			i, j = 0, 0
		}
		if i > j {
			i, j = j, i
		}
		q := text[i:j]
		s, e, ok := Find(text, q)
		if ok {
			if s < 0 || e > len(text) || s > e {
				t.Fatalf("Find(%q, %q) = [%d:%d] outside the text", text, q, s, e)
			}
			if utf8.ValidString(text) && (!utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e]))) {
				t.Fatalf("Find(%q, %q) = [%d:%d] not on rune boundaries", text, q, s, e)
			}
			if !Equal(text[s:e], q) {
				t.Fatalf("Find(%q, %q) = %q, not equal to the quote", text, q, text[s:e])
			}
			if utf8.ValidString(text) && (!cutOnWords(text, s) || !cutOnWords(text, e)) {
				t.Fatalf("Find(%q, %q) = [%d:%d] %q starts or ends inside a word", text, q, s, e, text[s:e])
			}
		}
		if utf8.ValidString(text) && normalize(q).s != "" && cutOnWords(text, i) && cutOnWords(text, j) && !ok {
			t.Fatalf("Find(%q, %q): a slice of the text cut on word boundaries was not found", text, q)
		}
		all := FindAllIn(&article.Article{ID: "x", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}, q)
		if ok != (len(all) > 0) {
			t.Fatalf("Find(%q, %q) found %v, FindAllIn found %d matches", text, q, ok, len(all))
		}
		if ok && (all[0].Start != s || all[0].End != e) {
			t.Fatalf("Find(%q, %q) = [%d:%d], FindAllIn's first = [%d:%d]", text, q, s, e, all[0].Start, all[0].End)
		}
		if n, ok := Nearest(text, q); ok && utf8.ValidString(text) {
			if n.Start > 0 && isWordChar(text, n.Start-1) || n.End < len(text) && isWordChar(text, n.End) && isWordChar(text, n.End-1) {
				t.Fatalf("Nearest(%q, %q) = [%d:%d] %q starts or ends inside a word", text, q, n.Start, n.End, text[n.Start:n.End])
			}
		}
	})
}

// cutOnWords reports whether text may be cut at byte i without cutting a
// word, judged on the original text: the runes on either side, typographic
// marks folded, are not both part of one word. It is the test's own
// statement of the property, independent of normalize.
func cutOnWords(text string, i int) bool {
	if i <= 0 || i >= len(text) {
		return true
	}
	if !utf8.RuneStart(text[i]) {
		return false
	}
	// Zero-width joiners are invisible: look past them.
	bi, ai := i, i
	for bi > 0 && (strings.HasSuffix(text[:bi], "\u200d") || strings.HasSuffix(text[:bi], "\u2060")) {
		bi -= 3
	}
	for ai < len(text) && (strings.HasPrefix(text[ai:], "\u200d") || strings.HasPrefix(text[ai:], "\u2060")) {
		ai += 3
	}
	if bi == 0 || ai == len(text) {
		return true
	}
	b, bs := utf8.DecodeLastRuneInString(text[:bi])
	a, as := utf8.DecodeRuneInString(text[ai:])
	word := func(r rune) bool {
		return fold(r) != '\'' && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))
	}
	switch {
	case word(b) && word(a):
		return false
	case fold(b) == '\'' && word(a):
		r, _ := utf8.DecodeLastRuneInString(text[:bi-bs])
		return !unicode.IsLetter(r)
	case fold(a) == '\'' && word(b):
		r, _ := utf8.DecodeRuneInString(text[ai+as:])
		return !unicode.IsLetter(r)
	}
	return true
}

// isWordChar reports whether the rune that holds byte i of text is a letter
// or a digit.
func isWordChar(text string, i int) bool {
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
