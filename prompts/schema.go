package prompts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// schema is the subset of JSON Schema the replies use, in the form OpenAI's
// strict structured outputs accept: every object lists all its properties
// in required and forbids others. The unexported fields are checked by the
// parsers but not sent, since not every server accepts minimum or
// minLength.
type schema struct {
	Type                 string   `json:"type"`
	Description          string   `json:"description,omitempty"`
	Required             []string `json:"required,omitempty"`
	AdditionalProperties *bool    `json:"additionalProperties,omitempty"`
	Items                *schema  `json:"items,omitempty"`
	Enum                 []string `json:"enum,omitempty"`

	// fields are the properties, in the order the model should write them
	// (OpenAI generates them in the schema's order).
	fields   []field
	positive bool // integer: at least 1
	nonEmpty bool // string: not blank
}

// MarshalJSON writes s with its properties in order.
func (s *schema) MarshalJSON() ([]byte, error) {
	type plain schema // no MarshalJSON method
	return json.Marshal(struct {
		*plain
		Properties properties `json:"properties,omitempty"`
	}{(*plain)(s), s.fields})
}

// properties are an object schema's fields, marshalled in order.
type properties []field

// MarshalJSON writes ps as a JSON object, in order.
func (ps properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(f.name)
		if err != nil {
			return nil, err
		}
		sub, err := json.Marshal(f.s)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(sub)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// prop returns the property called name, or nil.
func (s *schema) prop(name string) *schema {
	for _, f := range s.fields {
		if f.name == name {
			return f.s
		}
	}
	return nil
}

// field is a named property of an object schema.
type field struct {
	name string
	s    *schema
}

func object(desc string, fields ...field) *schema {
	no := false
	s := &schema{Type: "object", Description: desc, AdditionalProperties: &no, fields: fields}
	for _, f := range fields {
		s.Required = append(s.Required, f.name)
	}
	return s
}

func array(desc string, items *schema) *schema {
	return &schema{Type: "array", Description: desc, Items: items}
}

func text(desc string) *schema    { return &schema{Type: "string", Description: desc, nonEmpty: true} }
func optText(desc string) *schema { return &schema{Type: "string", Description: desc} }
func boolean(desc string) *schema { return &schema{Type: "boolean", Description: desc} }
func citation(desc string) *schema {
	return &schema{Type: "integer", Description: desc, positive: true}
}

func enum(desc string, values ...string) *schema {
	return &schema{Type: "string", Description: desc, Enum: values, nonEmpty: true}
}

// sentenceSchema is a claim with its citations and verbatim quotes.
func sentenceSchema(desc string) *schema {
	return object(desc,
		field{"text", text("The sentence, in plain words.")},
		field{"citations", array("Numbers of the passages the sentence rests on.", citation(""))},
		field{"quotes", array("The exact words from the passages that support the sentence.",
			object("",
				field{"citation", citation("Number of the passage the quote is copied from.")},
				field{"text", text("Words copied character for character from that passage.")},
			))},
	)
}

// disagreementsSchema lists facts outlets report differently.
func disagreementsSchema() *schema {
	return array("Facts that the outlets report differently; empty when they agree.",
		object("",
			field{"kind", enum("What differs.", "figure", "name", "title", "timing")},
			field{"about", text("The fact in question, e.g. \"number of troops\".")},
			field{"sides", array("Each version, with its source; at least two.",
				object("",
					field{"says", text("What this version says.")},
					field{"citation", citation("Number of the passage that says it.")},
					field{"quote", text("Words copied character for character from that passage.")},
				))},
		))
}

func answerSchema() *schema {
	return object("",
		field{"grounded", boolean("False when the passages do not answer the question.")},
		field{"sentences", array("The answer, one claim per sentence.", sentenceSchema(""))},
		field{"disagreements", disagreementsSchema()},
	)
}

func briefingSchema() *schema {
	return object("",
		field{"stories", array("One entry per story given, in the order given.",
			object("",
				field{"story", citation("The story's number.")},
				field{"headline", text("A one-line, factual headline.")},
				field{"points", array("Two to four key points.", sentenceSchema(""))},
				field{"disagreements", disagreementsSchema()},
			))},
	)
}

func sourceSchema() *schema {
	return object("",
		field{"found", boolean("True when at least one passage contains the text.")},
		field{"matches", array("The passages that contain the text.",
			object("",
				field{"citation", citation("Number of the passage.")},
				field{"quote", text("The words of the passage that match the pasted text, copied character for character.")},
				field{"speaker", optText("Who said or wrote the words: a person, an organisation, or the outlet itself for its own narration; \"\" when unknown.")},
				field{"attribution", optText("Words copied from the passage that name the speaker, e.g. \"Zelensky said\"; \"\" when there are none.")},
			))},
	)
}

func rewriteSchema() *schema {
	return object("", field{"question", text("The standalone question.")})
}

// AnswerSchema returns the JSON schema of AnswerReply.
func AnswerSchema() json.RawMessage { return mustJSON(answerSchema()) }

// BriefingSchema returns the JSON schema of BriefingReply.
func BriefingSchema() json.RawMessage { return mustJSON(briefingSchema()) }

// SourceSchema returns the JSON schema of SourceReply.
func SourceSchema() json.RawMessage { return mustJSON(sourceSchema()) }

// RewriteSchema returns the JSON schema of RewriteReply.
func RewriteSchema() json.RawMessage { return mustJSON(rewriteSchema()) }

func mustJSON(s *schema) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("prompts: marshal schema: %v", err)) // cannot happen: plain types only
	}
	return b
}

// check reports the first way v (decoded with UseNumber) breaks s, naming
// its path, e.g. `sentences[1].citations[0]: got "2", want an integer`.
// Properties s does not know are allowed: a model without strict mode may
// add some, and they do no harm.
func (s *schema) check(v any, path string) error {
	at := path
	if at == "" {
		at = "the reply"
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %s, want an object", at, describe(v))
		}
		for _, name := range s.Required {
			child := name
			if path != "" {
				child = path + "." + name
			}
			fv, ok := m[name]
			if !ok {
				return fmt.Errorf("%s: missing", child)
			}
			if err := s.prop(name).check(fv, child); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: got %s, want an array", at, describe(v))
		}
		for i, item := range a {
			if err := s.Items.check(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		switch {
		case !ok:
			return fmt.Errorf("%s: got %s, want a string", at, describe(v))
		case s.nonEmpty && strings.TrimSpace(str) == "":
			return fmt.Errorf("%s: empty", at)
		case s.Enum != nil && !slices.Contains(s.Enum, str):
			return fmt.Errorf("%s: got %q, want one of %s", at, str, strings.Join(s.Enum, ", "))
		}
	case "integer":
		n, ok := v.(json.Number)
		i, err := n.Int64()
		switch {
		case !ok || err != nil:
			return fmt.Errorf("%s: got %s, want an integer", at, describe(v))
		case s.positive && i < 1:
			return fmt.Errorf("%s: got %s, want 1 or more", at, n)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: got %s, want true or false", at, describe(v))
		}
	}
	return nil
}

// describe shows a JSON value briefly.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(v)
}
