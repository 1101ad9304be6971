package citation

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
