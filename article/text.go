package article

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkText reports why data cannot be read as the text of an article, or
// nil when it can.
func checkText(data []byte) error {
	if len(data) > MaxTextSize {
		return fmt.Errorf("%w: %s, the limit for a text file is %s", ErrTooLarge, sizeString(int64(len(data))), sizeString(MaxTextSize))
	}
	if len(data) == 0 {
		return ErrEmpty
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return fmt.Errorf("%w (it contains NUL bytes)", ErrBinary)
	}
	if !utf8.Valid(data) {
		return ErrNotUTF8
	}
	control, printable := 0, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v':
		case c < 0x20 || c == 0x7f:
			control++
		case c == 0xc2 && i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] < 0xa0:
			control++ // a C1 control character
		case c < 0x80 || c >= 0xc0:
			if c != ' ' {
				printable++
			}
		}
	}
	if control*10 > control+printable {
		return fmt.Errorf("%w (it is mostly control characters)", ErrBinary)
	}
	if len(bytes.TrimFunc(data, isSpace)) == 0 {
		return fmt.Errorf("%w: it holds only white space", ErrEmpty)
	}
	return nil
}

func sizeString(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", (n+1023)>>10)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// isSpace reports white space, including the no-break space, the byte-order
// mark and the zero-width space.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B'
}

// trimRange returns [start, end) with white space trimmed from both ends.
func trimRange(text string, start, end int) (int, int) {
	for start < end {
		r, n := utf8.DecodeRuneInString(text[start:end])
		if !isSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(text[start:end])
		if !isSpace(r) {
			break
		}
		end -= n
	}
	return start, end
}

// normalize returns s in lower case with curly quotes made straight and
// white space collapsed to single spaces, for matching phrases.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case isSpace(r):
			space = b.Len() > 0
			continue
		case r == '’' || r == '‘' || r == '´' || r == '`':
			r = '\''
		case r == '“' || r == '”' || r == '„':
			r = '"'
		default:
			r = unicode.ToLower(r)
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// trimPunct strips trailing punctuation, spaces and arrows from a
// normalised line, so that "Read more »" matches "read more".
func trimPunct(norm string) string {
	return strings.TrimRight(norm, " .:!|›»>…-–—")
}

// collapse returns s with runs of white space made single spaces.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

// longer reports whether s has more than n runes, without counting them
// all when the length in bytes decides.
func longer(s string, n int) bool {
	switch {
	case len(s) <= n:
		return false
	case len(s) > n*utf8.UTFMax:
		return true
	}
	return utf8.RuneCountInString(s) > n
}

// wordCount counts the white-space separated words of s.
func wordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		if isSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// hasWordChar reports whether s has a letter or digit.
func hasWordChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
}
