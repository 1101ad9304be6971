package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name, in, indent string
		width            int
		want             string
	}{
		{"fits", "a short line", "", 20, "a short line"},
		{"folds with indent", "one two three four five", "  ", 9, "one two\n  three\n  four\n  five"},
		{"collapses white space", "a \n\t b", "", 10, "a b"},
		{"counts runes, not bytes", "“quoted” ‘words’ here", "", 16, "“quoted” ‘words’\nhere"},
		{"long word stays whole", "supercalifragilistic x", "", 5, "supercalifragilistic\nx"},
		{"empty", "  ", "", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wrap(tt.in, tt.width, tt.indent)
			if got != tt.want {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
			for _, line := range strings.Split(got, "\n") {
				if n := utf8.RuneCountInString(line); n > tt.width && len(strings.Fields(line)) > 1 {
					t.Errorf("line %q is %d runes, over %d", line, n, tt.width)
				}
			}
		})
	}
}
