package answer

import (
	"strings"
	"testing"
)

func TestCitationNames(t *testing.T) {
	tests := []struct {
		name      string
		c         Citation
		wantName  string
		wantShort string
	}{
		{"outlet", Citation{Source: "a.txt", Outlet: "The Guardian", Title: "Talks go on", PublishedAt: "2025-08-19"},
			"The Guardian", "The Guardian · “Talks go on” · 2025-08-19"},
		{"title without outlet, inner quotes made single", Citation{Source: "b.txt", Title: `Trump to help “co-ordinate” guarantees`},
			"“Trump to help ‘co-ordinate’ guarantees”", "“Trump to help ‘co-ordinate’ guarantees”"},
		{"site when only the URL is known", Citation{Source: "c.txt", Title: "c.txt", URL: "https://www.example.org/news/1"},
			"example.org", "example.org"},
		{"nothing known", Citation{Source: "d.txt", Title: "d.txt"}, "an article", "an article"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Name(); got != tc.wantName {
				t.Errorf("Name() = %q, want %q", got, tc.wantName)
			}
			if got := tc.c.ShortLine(); got != tc.wantShort {
				t.Errorf("ShortLine() = %q, want %q", got, tc.wantShort)
			}
			if line := tc.c.SourceLine(); strings.Contains(line, tc.c.Source) {
				t.Errorf("SourceLine() = %q names the file %q", line, tc.c.Source)
			}
		})
	}
}

func TestShows(t *testing.T) {
	c := Citation{Quote: "The council approved\n the budget."}
	tests := []struct {
		answer string
		want   bool
	}{
		{"The council approved the budget. [1]", true},
		{"The council approved a budget [1].", false},
	}
	for _, tc := range tests {
		if got := Shows(Answer{Answer: tc.answer}, c); got != tc.want {
			t.Errorf("Shows(%q) = %v, want %v", tc.answer, got, tc.want)
		}
	}
}
