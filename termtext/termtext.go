// Package termtext lays out plain text for a terminal.
package termtext

import "strings"

// Wrap folds s at width columns (counted in runes), collapsing its white
// space, and starts every continuation line with indent.
func Wrap(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		if i > 0 {
			if col+1+n > width {
				b.WriteString("\n" + indent)
				col = len([]rune(indent))
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += n
	}
	return b.String()
}
