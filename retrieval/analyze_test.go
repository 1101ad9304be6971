package retrieval

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/seeds"
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"stemming", "running runs meetings leaders", []string{"run", "run", "meet", "leader"}},
		{"stop words only", "The and of it was to be", nil},
		{"empty", "", nil},
		{"stop words dropped", "the summit in Alaska", []string{"summit", "alaska"}},
		{"case folded", "NATO Nato nato", []string{"nato", "nato", "nato"}},
		{"possessive straight", "Trump's pledge", []string{"trump", "pledg"}},
		{"possessive curly", "Trump’s pledge", []string{"trump", "pledg"}},
		{"plural possessive", "the leaders' meetings", []string{"leader", "meet"}},
		{"contraction curly", "They don’t want peace", []string{"want", "peac"}},
		{"curly quotes", "“game-changer”", []string{"gamechang", "game", "changer"}},
		{"money with unit", "$100bn worth", []string{"100bn", "100", "worth"}},
		{"thousands separator", "1,000 troops", []string{"1000", "troop"}},
		{"decimal and percent", "3.5% growth", []string{"3.5", "growth"}},
		{"decade", "the 1990s", []string{"1990s", "1990"}},
		{"dotted abbreviation", "U.S. boots on the ground", []string{"us", "boot", "ground"}},
		{"hyphenated", "Putin-Zelenskyy meeting", []string{"putinzelenskyy", "putin", "zelenskyy", "meet"}},
		{"hyphen variant joins", "co-ordinate", []string{"coordin", "co", "ordin"}},
		{"hyphen number", "Article 5-like", []string{"articl", "5like", "5", "like"}},
		{"en dash joins like a hyphen", "Putin–Zelenskyy", []string{"putinzelenskyy", "putin", "zelenskyy"}},
		{"em dash separates", "Ukraine—security", []string{"ukrain", "secur"}},
		{"accents folded", "Orbán Zaporizhia Zürich", []string{"orban", "zaporizhia", "zurich"}},
		{"trailing punctuation", "Kyiv. Moscow, (Geneva)", []string{"kyiv", "moscow", "geneva"}},
		{"ampersand word", "AT&T", []string{"att"}},
		{"non-breaking space separates", "Donbas\u00a0region", []string{"donba", "region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Analyze(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Analyze(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestAnalyzeVariantsMatch checks that spelling variants share a term, which
// is what lets a query match the text.
func TestAnalyzeVariantsMatch(t *testing.T) {
	tests := []struct{ a, b string }{
		{"coordinate", "co-ordinate"},
		{"email", "e-mail"},
		{"100bn", "$100bn"},
		{"100", "$100bn"},
		{"Zelenskyy’s", "Zelenskyy"},
		{"guarantees", "guaranteed"},
		{"U.S.", "US"},
	}
	for _, tt := range tests {
		t.Run(tt.a+"~"+tt.b, func(t *testing.T) {
			a, b := Analyze(tt.a), Analyze(tt.b)
			shared := false
			for _, x := range a {
				shared = shared || slices.Contains(b, x)
			}
			if !shared {
				t.Errorf("Analyze(%q) = %q and Analyze(%q) = %q share no term", tt.a, a, tt.b, b)
			}
		})
	}
}

func TestAnalyzerCacheAgrees(t *testing.T) {
	text := "Leavitt reiterates that Donald Trump has “definitively” ruled out American boots on the ground; running, runs."
	cached := analyzer{cache: newStemCache(4)} // tiny: exercises the full cache too
	for i := 0; i < 3; i++ {
		var got []string
		for _, tk := range cached.tokens(text, nil) {
			got = append(got, tk.term)
		}
		if want := Analyze(text); !slices.Equal(got, want) {
			t.Fatalf("round %d: cached analyser gave %q, want %q", i, got, want)
		}
	}
}

// referenceTokens is the plain rune-by-rune tokenizer that tokens
// reproduces faster; the two must agree on every text.
func (an analyzer) referenceTokens(text string, out []token) []token {
	var raw strings.Builder
	flush := func() {
		if raw.Len() > 0 {
			out = an.rawWord(raw.String(), out)
			raw.Reset()
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		r = fold(r)
		switch {
		case r == '\'' || r == '-' || r == '.' || r == ',' || r == '&':
			if raw.Len() > 0 {
				raw.WriteRune(r)
			}
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			raw.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func TestTokensMatchReference(t *testing.T) {
	texts := []string{
		"", " ", "a", "A", "Hello, World!", "U.S. boots", "co-ordinate", "$100bn 3.5% 1,000",
		"Trump's pledge", "don’t", "e\u0301tude", "\u0301abc", "-abc", "abc-", "abc`s", "`abc",
		"x&y", "AT&T", "naïve café", "Zürich—Geneva", "a\xffb", "12ab-CD.ef", "word.\nNext",
		"ÀÉÎ mixed ascii", "tab\there", "end.", "...", "a.b.c.", "'quoted'", "k-12", "ﬁne ligature",
	}
	texts = append(texts, loadSeedsInternal(t)...)
	an := analyzer{cache: newStemCache(1 << 10)}
	for _, text := range texts {
		got := an.tokens(text, nil)
		want := an.referenceTokens(text, nil)
		if !slices.Equal(got, want) {
			t.Errorf("tokens(%.60q):\n got %v\nwant %v", text, got, want)
		}
	}
}

func FuzzTokensMatchReference(f *testing.F) {
	for _, s := range []string{"Hello, World!", "U.S.-led co-op's 1,000.5 naïve", "a\u0301b-c.d,e&f'g"} {
		f.Add(s)
	}
	an := analyzer{}
	f.Fuzz(func(t *testing.T, text string) {
		got := an.tokens(text, nil)
		want := an.referenceTokens(text, nil)
		if !slices.Equal(got, want) {
			t.Errorf("tokens(%q) = %v, want %v", text, got, want)
		}
	})
}

// loadSeedsInternal returns the texts of the seed articles.
func loadSeedsInternal(tb testing.TB) []string {
	tb.Helper()
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, a := range arts {
		out = append(out, a.Title, a.Text)
	}
	return out
}
