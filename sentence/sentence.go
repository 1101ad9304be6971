// Package sentence splits text into sentences, reporting byte offsets so that
// every sentence can be traced back to the original text.
package sentence

// Span is a half-open byte range [Start, End) of the text that was split.
type Span struct {
	Start int
	End   int
}

// Split returns the sentences of text in order, each trimmed of surrounding
// white space. Headings, bullets and list items without final punctuation are
// sentences of their own. Abbreviations such as "U.S." and "Mr." do not end a
// sentence; a closing quote after the final punctuation belongs to the
// sentence it closes.
func Split(text string) []Span {
	// STUB: replaced by the sentence work.
	var out []Span
	start := -1
	for i := 0; i < len(text); i++ {
		c := text[i]
		if start < 0 {
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
				continue
			}
			start = i
		}
		if c == '\n' || ((c == '.' || c == '?' || c == '!') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n')) {
			end := i + 1
			if c == '\n' {
				end = i
			}
			for end > start && (text[end-1] == ' ' || text[end-1] == '\r') {
				end--
			}
			if end > start {
				out = append(out, Span{start, end})
			}
			start = -1
		}
	}
	if start >= 0 {
		end := len(text)
		for end > start && (text[end-1] == ' ' || text[end-1] == '\n' || text[end-1] == '\r' || text[end-1] == '\t') {
			end--
		}
		if end > start {
			out = append(out, Span{start, end})
		}
	}
	return out
}
