package prompts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// AnswerReply is the model's reply to the answer prompt.
type AnswerReply struct {
	Grounded      bool                `json:"grounded"`
	Sentences     []ReplySentence     `json:"sentences"`
	Disagreements []ReplyDisagreement `json:"disagreements"`
}

// ReplySentence is a claim with the passages it rests on and the verbatim
// quotes that support it.
type ReplySentence struct {
	Text      string       `json:"text"`
	Citations []int        `json:"citations"`
	Quotes    []ReplyQuote `json:"quotes"`
}

// ReplyQuote is a quote the model says it copied from passage Citation.
// It is not verified: callers must find it in the article.
type ReplyQuote struct {
	Citation int    `json:"citation"`
	Text     string `json:"text"`
}

// ReplyDisagreement is a fact the outlets report differently.
type ReplyDisagreement struct {
	Kind  string      `json:"kind"` // "figure", "name", "title" or "timing"
	About string      `json:"about"`
	Sides []ReplySide `json:"sides"`
}

// ReplySide is one version of a disputed fact.
type ReplySide struct {
	Says     string `json:"says"`
	Citation int    `json:"citation"`
	Quote    string `json:"quote"`
}

// BriefingReply is the model's reply to the briefing prompt.
type BriefingReply struct {
	Stories []ReplyStory `json:"stories"`
}

// ReplyStory is one story of a briefing: Story is the number it was given.
type ReplyStory struct {
	Story         int                 `json:"story"`
	Headline      string              `json:"headline"`
	Points        []ReplySentence     `json:"points"`
	Disagreements []ReplyDisagreement `json:"disagreements"`
}

// SourceReply is the model's reply to the source lookup prompt.
type SourceReply struct {
	Found   bool         `json:"found"`
	Matches []ReplyMatch `json:"matches"`
}

// ReplyMatch is a passage that contains the looked-up text.
type ReplyMatch struct {
	Citation    int    `json:"citation"`
	Quote       string `json:"quote"`
	Speaker     string `json:"speaker"`     // "" when unknown
	Attribution string `json:"attribution"` // verbatim words naming the speaker, or ""
}

// RewriteReply is the model's reply to the rewrite prompt.
type RewriteReply struct {
	Question string `json:"question"`
}

// ParseAnswerReply parses a reply to the answer prompt. Like every parser
// here it is lenient about the wrapping: it takes the JSON object out of a
// ```json fence or from between prose, and ignores properties it does not
// know. It is strict about the content: a missing property, a wrong type,
// an empty text or a citation below 1 is an error naming the place, and so
// is a grounded answer without sentences, or a disagreement with fewer
// than two sides.
func ParseAnswerReply(s string) (AnswerReply, error) {
	var r AnswerReply
	if err := parseReply(s, answerSchema(), &r); err != nil {
		return AnswerReply{}, fmt.Errorf("parse answer reply: %w", err)
	}
	if r.Grounded && len(r.Sentences) == 0 {
		return AnswerReply{}, errors.New("parse answer reply: grounded, but no sentences")
	}
	if err := checkSides(r.Disagreements, "disagreements"); err != nil {
		return AnswerReply{}, fmt.Errorf("parse answer reply: %w", err)
	}
	return r, nil
}

// ParseBriefingReply parses a reply to the briefing prompt (see
// ParseAnswerReply). A story number given twice is an error.
func ParseBriefingReply(s string) (BriefingReply, error) {
	var r BriefingReply
	if err := parseReply(s, briefingSchema(), &r); err != nil {
		return BriefingReply{}, fmt.Errorf("parse briefing reply: %w", err)
	}
	seen := map[int]bool{}
	for i, st := range r.Stories {
		if seen[st.Story] {
			return BriefingReply{}, fmt.Errorf("parse briefing reply: stories[%d].story: %d given twice", i, st.Story)
		}
		seen[st.Story] = true
		if err := checkSides(st.Disagreements, fmt.Sprintf("stories[%d].disagreements", i)); err != nil {
			return BriefingReply{}, fmt.Errorf("parse briefing reply: %w", err)
		}
	}
	return r, nil
}

// ParseSourceReply parses a reply to the source prompt (see
// ParseAnswerReply). Found with no matches is an error.
func ParseSourceReply(s string) (SourceReply, error) {
	var r SourceReply
	if err := parseReply(s, sourceSchema(), &r); err != nil {
		return SourceReply{}, fmt.Errorf("parse source reply: %w", err)
	}
	if r.Found && len(r.Matches) == 0 {
		return SourceReply{}, errors.New("parse source reply: found, but no matches")
	}
	return r, nil
}

// ParseRewriteReply parses a reply to the rewrite prompt: the JSON object
// (see ParseAnswerReply), or, from a model that ignored the format, a
// reply without braces whose first non-blank line is the question.
func ParseRewriteReply(s string) (RewriteReply, error) {
	if !strings.Contains(s, "{") {
		for line := range strings.Lines(stripFences(s)) {
			q := strings.Trim(strings.TrimSpace(line), "\"“”")
			if q != "" {
				return RewriteReply{Question: q}, nil
			}
		}
		return RewriteReply{}, errors.New("parse rewrite reply: empty reply")
	}
	var r RewriteReply
	if err := parseReply(s, rewriteSchema(), &r); err != nil {
		return RewriteReply{}, fmt.Errorf("parse rewrite reply: %w", err)
	}
	r.Question = strings.TrimSpace(r.Question)
	return r, nil
}

// checkSides checks that every disagreement has two sides or more.
func checkSides(ds []ReplyDisagreement, path string) error {
	for i, d := range ds {
		if len(d.Sides) < 2 {
			return fmt.Errorf("%s[%d].sides: got %d, want 2 or more", path, i, len(d.Sides))
		}
	}
	return nil
}

// parseReply finds the JSON object in s, checks it against sch and
// decodes it into v.
func parseReply(s string, sch *schema, v any) error {
	raw, err := findObject(s)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if err := sch.check(generic, ""); err != nil {
		return fmt.Errorf("does not match the schema: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// fence matches a Markdown code fence and captures its content.
var fence = regexp.MustCompile("(?s)```[A-Za-z]*[ \t]*\r?\n(.*?)\r?\n?```")

// stripFences returns the content of the first code fence in s, or s.
func stripFences(s string) string {
	if m := fence.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// findObject returns the JSON object that starts at the first "{" of s
// (inside a code fence if there is one), skipping prose around it. A reply
// that is a JSON array is returned whole, for the schema to refuse.
func findObject(s string) ([]byte, error) {
	s = strings.TrimSpace(stripFences(s))
	start := strings.IndexByte(s, '{')
	if strings.HasPrefix(s, "[") {
		start = 0
	}
	if start < 0 {
		if s == "" {
			return nil, errors.New("empty reply")
		}
		return nil, fmt.Errorf("no JSON object in the reply %s", describe(s))
	}
	var raw json.RawMessage
	if err := json.NewDecoder(strings.NewReader(s[start:])).Decode(&raw); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	return raw, nil
}
