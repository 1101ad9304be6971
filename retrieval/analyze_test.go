package retrieval

import (
	"slices"
	"testing"
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
