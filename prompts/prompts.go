// Package prompts holds what briefbot says to the model: the prompts, as
// text/template files embedded in the binary (answer, briefing, source,
// rewrite), the JSON schemas of the replies, and lenient parsers that turn
// a model's reply into Go values.
//
// Each prompt is split in two: the system message holds every instruction,
// the user message holds the data (passages, question, pasted text,
// conversation), each piece inside a tag such as <passage n="1"> whose
// content is escaped so that it cannot close the tag or open another. The
// prompts tell the model that the data is not instructions.
package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var templates embed.FS

// Prompt is a rendered prompt: the system and user messages, and the
// schema the reply must match.
type Prompt struct {
	System string
	User   string
	// SchemaName and Schema describe the reply's JSON (for an OpenAI
	// json_schema response_format).
	SchemaName string
	Schema     json.RawMessage
}

// Passage is a numbered passage of an article, as the model sees it.
type Passage struct {
	N      int    // citation number, from 1
	Source string // article ID
	Title  string
	Outlet string
	Date   string // YYYY-MM-DD, "" when unknown
	Text   string
}

// AnswerData is the data of the answer prompt.
type AnswerData struct {
	Question string
	// Kind is what the question asks for, as the composer reads it: "fact",
	// "yes/no", "list", "overview", "disagreement" or "quote lookup"; ""
	// leaves it out.
	Kind string
	// Want is the type of answer a fact or list question expects ("person",
	// "place", "organisation", "date or time", "duration", "number or
	// amount"); "" when none in particular.
	Want     string
	Passages []Passage
}

// BriefingData is the data of the briefing prompt.
type BriefingData struct {
	Date    string // the day covered, YYYY-MM-DD, or ""
	Topic   string // "" for all news
	Stories []Story
}

// Story is a group of passages about one event, numbered from 1.
// Passage numbers run across the whole briefing.
type Story struct {
	N        int
	Passages []Passage
}

// SourceData is the data of the source lookup prompt.
type SourceData struct {
	Text     string // the text the user pasted
	Passages []Passage
}

// RewriteData is the data of the follow-up rewrite prompt.
type RewriteData struct {
	History  []Turn // oldest first
	Question string
}

// Turn is one message of a conversation.
type Turn struct {
	Role string // "user" or "assistant"
	Text string
}

// Answer renders the prompt that answers a question from numbered
// passages, with citations and verbatim quotes (reply: AnswerReply).
func Answer(d AnswerData) (Prompt, error) {
	if strings.TrimSpace(d.Question) == "" {
		return Prompt{}, fmt.Errorf("answer prompt: empty question")
	}
	if err := checkPassages(d.Passages, map[int]bool{}); err != nil {
		return Prompt{}, fmt.Errorf("answer prompt: %w", err)
	}
	return render("answer", d, answerSchema())
}

// Briefing renders the prompt that summarises stories into headlines and
// cited points (reply: BriefingReply).
func Briefing(d BriefingData) (Prompt, error) {
	if len(d.Stories) == 0 {
		return Prompt{}, fmt.Errorf("briefing prompt: no stories")
	}
	seen := map[int]bool{}
	stories := map[int]bool{}
	for _, s := range d.Stories {
		if s.N < 1 || stories[s.N] {
			return Prompt{}, fmt.Errorf("briefing prompt: story number %d is not positive or not unique", s.N)
		}
		stories[s.N] = true
		if len(s.Passages) == 0 {
			return Prompt{}, fmt.Errorf("briefing prompt: story %d has no passages", s.N)
		}
		if err := checkPassages(s.Passages, seen); err != nil {
			return Prompt{}, fmt.Errorf("briefing prompt: story %d: %w", s.N, err)
		}
	}
	return render("briefing", d, briefingSchema())
}

// Source renders the prompt that finds which passages contain a pasted
// text and who said it (reply: SourceReply).
func Source(d SourceData) (Prompt, error) {
	if strings.TrimSpace(d.Text) == "" {
		return Prompt{}, fmt.Errorf("source prompt: empty text")
	}
	if err := checkPassages(d.Passages, map[int]bool{}); err != nil {
		return Prompt{}, fmt.Errorf("source prompt: %w", err)
	}
	return render("source", d, sourceSchema())
}

// Rewrite renders the prompt that turns a follow-up question into a
// standalone one (reply: RewriteReply).
func Rewrite(d RewriteData) (Prompt, error) {
	if strings.TrimSpace(d.Question) == "" {
		return Prompt{}, fmt.Errorf("rewrite prompt: empty question")
	}
	for i, t := range d.History {
		if t.Role != "user" && t.Role != "assistant" {
			return Prompt{}, fmt.Errorf("rewrite prompt: turn %d has role %q, want user or assistant", i, t.Role)
		}
	}
	return render("rewrite", d, rewriteSchema())
}

// checkPassages checks that passage numbers are positive and not in seen,
// and adds them to it.
func checkPassages(ps []Passage, seen map[int]bool) error {
	for _, p := range ps {
		if p.N < 1 || seen[p.N] {
			return fmt.Errorf("passage number %d is not positive or not unique", p.N)
		}
		seen[p.N] = true
	}
	return nil
}

// render executes the "system" and "user" templates of name.tmpl.
func render(name string, data any, s *schema) (Prompt, error) {
	t, err := template.New(name).Funcs(template.FuncMap{"attr": escapeAttr, "data": escapeData}).
		ParseFS(templates, name+".tmpl")
	if err != nil {
		return Prompt{}, fmt.Errorf("%s prompt: parse template: %w", name, err)
	}
	var sys, user bytes.Buffer
	if err := t.ExecuteTemplate(&sys, "system", data); err != nil {
		return Prompt{}, fmt.Errorf("%s prompt: system: %w", name, err)
	}
	if err := t.ExecuteTemplate(&user, "user", data); err != nil {
		return Prompt{}, fmt.Errorf("%s prompt: user: %w", name, err)
	}
	return Prompt{
		System:     strings.TrimSpace(sys.String()) + "\n",
		User:       strings.TrimSpace(user.String()) + "\n",
		SchemaName: name,
		Schema:     mustJSON(s),
	}, nil
}

// dataTag matches what would open or close one of the prompts' tags inside
// data: "<passage", "</question", "< /story" and so on, in any case.
var dataTag = regexp.MustCompile(`(?i)<(\s*/?\s*)(passage|question|story|text|history|turn)\b`)

// escapeData makes text safe to put between the prompts' tags: a "<" that
// would start one of them becomes "&lt;". Nothing else changes, so quotes
// copied from ordinary text stay verbatim.
func escapeData(s string) string {
	return dataTag.ReplaceAllString(s, "&lt;$1$2")
}

// escapeAttr makes s safe inside a double-quoted attribute, on one line.
func escapeAttr(s string) string {
	r := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;", "\n", " ", "\r", " ")
	return r.Replace(s)
}
