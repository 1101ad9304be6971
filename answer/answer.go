// Package answer composes cited answers: it retrieves passages for a
// question, writes the answer (with a model when one is configured, else by
// extracting the best sentences), and checks every quote verbatim against the
// stored articles before it is shown.
package answer

import (
	"strconv"
	"strings"

	"github.com/briefbot/briefbot/citation"
)

// Answer is the bot's reply to one question. Its JSON form is the shape
// `bot ask --json` prints.
type Answer struct {
	Question string `json:"question"`
	// Answer is the answer as text; every claim ends with citation markers
	// such as [1] or [1][2] that refer to Citations by N.
	Answer string `json:"answer"`
	// Grounded is false when the articles do not support an answer; the
	// Answer then says so and Citations is empty.
	Grounded bool `json:"grounded"`
	// Support is the answerability score (0..1) that was compared with the
	// grounding cut-off (Options.MinCoverage): how well the chosen evidence
	// covers the question. 0 when nothing was found or a hard rule declined.
	Support float64 `json:"support"`
	// Sentences is Answer split into its claims, each with its citations.
	Sentences []Sentence          `json:"sentences,omitempty"`
	Citations []citation.Citation `json:"citations"`
	Passages  []Passage           `json:"passages"`
	// Disagreements lists facts the outlets report differently.
	Disagreements []Disagreement `json:"disagreements,omitempty"`
	// Mode is "extractive" or "model".
	Mode string `json:"mode"`
	// Notes are remarks the user should see, such as a question that was cut
	// or a model that was unavailable.
	Notes []string `json:"notes,omitempty"`
}

// Sentence is one claim of an answer and the citations that back it.
type Sentence struct {
	Text      string `json:"text"`
	Citations []int  `json:"citations"`
}

// Marks returns the citation markers of s not already written in its text,
// such as " [1][2]" ("" when there are none left).
func (s Sentence) Marks() string {
	var b strings.Builder
	for _, n := range s.Citations {
		m := "[" + strconv.Itoa(n) + "]"
		if !strings.Contains(s.Text, m) {
			b.WriteString(m)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return " " + b.String()
}

// Shows reports whether the text of a already shows c's quote word for word
// (white space folded), as an extractive answer does; a reply then names
// c's source under the answer instead of repeating the quote.
func Shows(a Answer, c citation.Citation) bool {
	q := foldQuoteMarks(collapse(c.Quote))
	return q != "" && strings.Contains(foldQuoteMarks(collapse(a.Answer)), q)
}

// Passage is one retrieved chunk, in rank order.
type Passage struct {
	Rank        int     `json:"rank"`
	Source      string  `json:"source"`
	Title       string  `json:"title"`
	Outlet      string  `json:"outlet"`
	URL         string  `json:"url"`
	PublishedAt string  `json:"published_at"`
	Text        string  `json:"text"`
	Score       float64 `json:"score"`
}

// Disagreement is a fact that outlets report differently: each side names
// what it says and the citation that backs it.
type Disagreement struct {
	// Kind is "figure", "title", "name" or "timing".
	Kind  string `json:"kind"`
	About string `json:"about"`
	Sides []Side `json:"sides"`
}

// Side is one version of a disputed fact.
type Side struct {
	Says     string `json:"says"`
	Citation int    `json:"citation"`
}

// Turn is one message of a conversation, for follow-up questions.
type Turn struct {
	Role string `json:"role"` // "user" or "assistant"
	Text string `json:"text"`
}

// SourceResult is the result of a source lookup: where a piece of text
// appears in the articles.
type SourceResult struct {
	Text    string        `json:"text"`
	Matches []SourceMatch `json:"matches"`
	Notes   []string      `json:"notes,omitempty"`
}

// SourceMatch is one place a looked-up text appears.
type SourceMatch struct {
	citation.Citation
	// Exact is true when the text was found verbatim; otherwise this is the
	// closest near-match and Similarity says how close (0..1).
	Exact      bool    `json:"exact"`
	Similarity float64 `json:"similarity"`
	// Sentence is the sentence around the match, verbatim.
	Sentence string `json:"sentence"`
	// Altered describes how the looked-up text differs from the article's:
	// "trimmed" (cut from a longer sentence), "altered" (words differ), or ""
	// when it is the whole sentence.
	Altered string `json:"altered,omitempty"`
	// Speaker is who the article says said it, when it says so.
	Speaker string `json:"speaker,omitempty"`
}
