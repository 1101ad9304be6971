package prompts

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const goodAnswer = `{"grounded":true,"sentences":[{"text":"About 30 countries would take part, Trump said, though officials put it at 26.","citations":[2,3],"quotes":[{"citation":2,"text":"about 30 European countries would take part"},{"citation":3,"text":"Officials put the number of countries ready to help at 26."}]}],"disagreements":[{"kind":"figure","about":"countries taking part","sides":[{"says":"about 30","citation":2,"quote":"about 30 European countries"},{"says":"26","citation":3,"quote":"at 26"}]}]}`

func wantGoodAnswer() AnswerReply {
	return AnswerReply{
		Grounded: true,
		Sentences: []ReplySentence{{
			Text:      "About 30 countries would take part, Trump said, though officials put it at 26.",
			Citations: []int{2, 3},
			Quotes: []ReplyQuote{
				{Citation: 2, Text: "about 30 European countries would take part"},
				{Citation: 3, Text: "Officials put the number of countries ready to help at 26."},
			},
		}},
		Disagreements: []ReplyDisagreement{{Kind: "figure", About: "countries taking part", Sides: []ReplySide{
			{Says: "about 30", Citation: 2, Quote: "about 30 European countries"},
			{Says: "26", Citation: 3, Quote: "at 26"},
		}}},
	}
}

func TestParseAnswerReply(t *testing.T) {
	notGrounded := AnswerReply{Grounded: false, Sentences: []ReplySentence{{Text: "The articles do not say.", Citations: []int{}, Quotes: []ReplyQuote{}}},
		Disagreements: []ReplyDisagreement{}}
	tests := []struct {
		name    string
		in      string
		want    AnswerReply
		wantErr string // "" for success
	}{
		{name: "plain", in: goodAnswer, want: wantGoodAnswer()},
		{name: "fenced", in: "```json\n" + goodAnswer + "\n```", want: wantGoodAnswer()},
		{name: "fenced without language", in: "```\n" + goodAnswer + "\n```\n", want: wantGoodAnswer()},
		{name: "prose around", in: "Sure! Here is the answer:\n\n" + goodAnswer + "\n\nLet me know if you need more.", want: wantGoodAnswer()},
		{name: "prose and fence", in: "Here you go:\n```json\n" + goodAnswer + "\n```\nHope this helps {really}.", want: wantGoodAnswer()},
		{name: "extra properties ignored", in: strings.Replace(goodAnswer, `"grounded":true`, `"grounded":true,"confidence":0.9`, 1), want: wantGoodAnswer()},
		{
			name: "not grounded",
			in:   `{"grounded":false,"sentences":[{"text":"The articles do not say.","citations":[],"quotes":[]}],"disagreements":[]}`,
			want: notGrounded,
		},
		{name: "empty", in: "  ", wantErr: "parse answer reply: empty reply"},
		{name: "no JSON", in: "I cannot answer that.", wantErr: `parse answer reply: no JSON object in the reply "I cannot answer that."`},
		{name: "truncated", in: goodAnswer[:60], wantErr: "parse answer reply: malformed JSON: unexpected EOF"},
		{name: "trailing comma", in: `{"grounded":true,}`, wantErr: "parse answer reply: malformed JSON: invalid character '}' looking for beginning of object key string"},
		{name: "missing grounded", in: `{"sentences":[],"disagreements":[]}`, wantErr: "parse answer reply: does not match the schema: grounded: missing"},
		{name: "grounded as string", in: `{"grounded":"yes","sentences":[],"disagreements":[]}`, wantErr: `parse answer reply: does not match the schema: grounded: got "yes", want true or false`},
		{name: "citation as string", in: strings.Replace(goodAnswer, `"citations":[2,3]`, `"citations":[2,"3"]`, 1), wantErr: `parse answer reply: does not match the schema: sentences[0].citations[1]: got "3", want an integer`},
		{name: "citation 0", in: strings.Replace(goodAnswer, `"citations":[2,3]`, `"citations":[0]`, 1), wantErr: "parse answer reply: does not match the schema: sentences[0].citations[0]: got 0, want 1 or more"},
		{name: "citation 1.5", in: strings.Replace(goodAnswer, `"citations":[2,3]`, `"citations":[1.5]`, 1), wantErr: "parse answer reply: does not match the schema: sentences[0].citations[0]: got 1.5, want an integer"},
		{name: "empty quote", in: strings.Replace(goodAnswer, `{"citation":2,"text":"about 30 European countries would take part"}`, `{"citation":2,"text":" "}`, 1), wantErr: "parse answer reply: does not match the schema: sentences[0].quotes[0].text: empty"},
		{name: "sentences null", in: `{"grounded":false,"sentences":null,"disagreements":[]}`, wantErr: "parse answer reply: does not match the schema: sentences: got null, want an array"},
		{name: "unknown kind", in: strings.Replace(goodAnswer, `"kind":"figure"`, `"kind":"number"`, 1), wantErr: `parse answer reply: does not match the schema: disagreements[0].kind: got "number", want one of figure, name, title, timing`},
		{name: "one side", in: `{"grounded":true,"sentences":[{"text":"x","citations":[1],"quotes":[]}],"disagreements":[{"kind":"name","about":"x","sides":[{"says":"a","citation":1,"quote":"a"}]}]}`, wantErr: "parse answer reply: disagreements[0].sides: got 1, want 2 or more"},
		{name: "grounded without sentences", in: `{"grounded":true,"sentences":[],"disagreements":[]}`, wantErr: "parse answer reply: grounded, but no sentences"},
		{name: "an array, not an object", in: `[{"grounded":true}]`, wantErr: "parse answer reply: does not match the schema: the reply: got an array, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnswerReply(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("ParseAnswerReply: got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAnswerReply: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseAnswerReply:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseBriefingReply(t *testing.T) {
	good := `{"stories":[{"story":1,"headline":"Leaders discuss guarantees","points":[{"text":"Trump met Putin.","citations":[1],"quotes":[{"citation":1,"text":"met for a summit"}]}],"disagreements":[]},{"story":2,"headline":"Count of countries","points":[],"disagreements":[]}]}`
	tests := []struct {
		name    string
		in      string
		stories int
		wantErr string
	}{
		{name: "plain", in: good, stories: 2},
		{name: "fenced with prose", in: "Briefing:\n```json\n" + good + "\n```", stories: 2},
		{name: "no stories", in: `{"stories":[]}`, stories: 0},
		{name: "malformed", in: `{"stories":[{"story":1,`, wantErr: "parse briefing reply: malformed JSON: unexpected EOF"},
		{name: "story 0", in: strings.Replace(good, `"story":1`, `"story":0`, 1), wantErr: "parse briefing reply: does not match the schema: stories[0].story: got 0, want 1 or more"},
		{name: "no headline", in: strings.Replace(good, `"headline":"Leaders discuss guarantees",`, ``, 1), wantErr: "parse briefing reply: does not match the schema: stories[0].headline: missing"},
		{name: "story twice", in: strings.Replace(good, `"story":2`, `"story":1`, 1), wantErr: "parse briefing reply: stories[1].story: 1 given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBriefingReply(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("ParseBriefingReply: got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBriefingReply: %v", err)
			}
			if len(got.Stories) != tt.stories {
				t.Fatalf("stories: got %d, want %d", len(got.Stories), tt.stories)
			}
			if tt.stories > 0 && (got.Stories[0].Headline != "Leaders discuss guarantees" || got.Stories[0].Points[0].Quotes[0].Text != "met for a summit") {
				t.Errorf("story 1: got %+v, want the headline and quote given", got.Stories[0])
			}
		})
	}
}

func TestParseSourceReply(t *testing.T) {
	good := `{"found":true,"matches":[{"citation":2,"quote":"We’re not going to have any problem with that","speaker":"Donald Trump","attribution":"Trump told reporters"}]}`
	tests := []struct {
		name    string
		in      string
		want    SourceReply
		wantErr string
	}{
		{name: "plain", in: good, want: SourceReply{Found: true, Matches: []ReplyMatch{{Citation: 2,
			Quote: "We’re not going to have any problem with that", Speaker: "Donald Trump", Attribution: "Trump told reporters"}}}},
		{name: "not found", in: "No match.\n{\"found\":false,\"matches\":[]}", want: SourceReply{Found: false, Matches: []ReplyMatch{}}},
		{name: "unknown speaker allowed", in: `{"found":true,"matches":[{"citation":1,"quote":"x","speaker":"","attribution":""}]}`,
			want: SourceReply{Found: true, Matches: []ReplyMatch{{Citation: 1, Quote: "x"}}}},
		{name: "found without matches", in: `{"found":true,"matches":[]}`, wantErr: "parse source reply: found, but no matches"},
		{name: "missing speaker", in: `{"found":true,"matches":[{"citation":1,"quote":"x","attribution":""}]}`, wantErr: "parse source reply: does not match the schema: matches[0].speaker: missing"},
		{name: "malformed", in: "```json\n{\"found\": tru}\n```", wantErr: "parse source reply: malformed JSON: invalid character '}' in literal true (expecting 'e')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSourceReply(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("ParseSourceReply: got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSourceReply: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSourceReply:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRewriteReply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "JSON", in: `{"question":"How many countries did Reuters say would join?"}`, want: "How many countries did Reuters say would join?"},
		{name: "fenced JSON", in: "```json\n{\"question\": \" Who is the envoy? \"}\n```", want: "Who is the envoy?"},
		{name: "plain text", in: "\n  How many countries did Reuters say would join?\n", want: "How many countries did Reuters say would join?"},
		{name: "quoted text", in: "“Who is the envoy?”", want: "Who is the envoy?"},
		{name: "empty", in: " \n ", wantErr: "parse rewrite reply: empty reply"},
		{name: "empty question", in: `{"question":""}`, wantErr: "parse rewrite reply: does not match the schema: question: empty"},
		{name: "malformed", in: `{"question": "Who`, wantErr: "parse rewrite reply: malformed JSON: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRewriteReply(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("ParseRewriteReply: got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Question != tt.want {
				t.Errorf("ParseRewriteReply: got %q, %v, want %q", got.Question, err, tt.want)
			}
		})
	}
}

// TestRoundTrip marshals full replies and parses them back.
func TestRoundTrip(t *testing.T) {
	a := wantGoodAnswer()
	b := BriefingReply{Stories: []ReplyStory{{Story: 3, Headline: "h", Points: a.Sentences, Disagreements: a.Disagreements}}}
	s := SourceReply{Found: true, Matches: []ReplyMatch{{Citation: 1, Quote: "q", Speaker: "s", Attribution: "a"}}}
	r := RewriteReply{Question: "q?"}
	tests := []struct {
		name  string
		v     any
		parse func(string) (any, error)
	}{
		{"answer", a, func(s string) (any, error) { return ParseAnswerReply(s) }},
		{"briefing", b, func(s string) (any, error) { return ParseBriefingReply(s) }},
		{"source", s, func(s string) (any, error) { return ParseSourceReply(s) }},
		{"rewrite", r, func(s string) (any, error) { return ParseRewriteReply(s) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.parse(string(raw))
			if err != nil {
				t.Fatalf("parse %s: %v", raw, err)
			}
			if !reflect.DeepEqual(got, tt.v) {
				t.Errorf("round trip:\ngot  %+v\nwant %+v", got, tt.v)
			}
		})
	}
}

// TestSchemasAreStrict checks the rules of OpenAI's strict mode: every
// object requires all its properties and allows no others; every array
// says what its items are; only the types strict mode knows are used.
func TestSchemasAreStrict(t *testing.T) {
	for name, raw := range map[string]json.RawMessage{
		"answer": AnswerSchema(), "briefing": BriefingSchema(), "source": SourceSchema(), "rewrite": RewriteSchema(),
	} {
		t.Run(name, func(t *testing.T) {
			var s map[string]any
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			if s["type"] != "object" {
				t.Errorf("root type: got %v, want object", s["type"])
			}
			checkStrict(t, s, "root")
		})
	}
}

func checkStrict(t *testing.T, s map[string]any, path string) {
	t.Helper()
	switch s["type"] {
	case "object":
		if s["additionalProperties"] != false {
			t.Errorf("%s: got additionalProperties %v, want false", path, s["additionalProperties"])
		}
		props, _ := s["properties"].(map[string]any)
		var names, required []string
		for k, v := range props {
			names = append(names, k)
			checkStrict(t, v.(map[string]any), path+"."+k)
		}
		for _, r := range s["required"].([]any) {
			required = append(required, r.(string))
		}
		sort.Strings(names)
		sort.Strings(required)
		if !reflect.DeepEqual(names, required) {
			t.Errorf("%s: got required %v, want every property %v", path, required, names)
		}
	case "array":
		items, ok := s["items"].(map[string]any)
		if !ok {
			t.Fatalf("%s: got no items, want them", path)
		}
		checkStrict(t, items, path+"[]")
	case "string", "integer", "boolean":
	default:
		t.Errorf("%s: got type %v, want object, array, string, integer or boolean", path, s["type"])
	}
	for k := range s {
		switch k {
		case "type", "description", "properties", "required", "additionalProperties", "items", "enum":
		default:
			t.Errorf("%s: got keyword %q, want only those every strict-mode server takes", path, k)
		}
	}
}

// TestSchemasMatchStructs checks that the reply structs and the schemas
// name the same properties, so that a change to one without the other
// fails.
func TestSchemasMatchStructs(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		s    *schema
	}{
		{"answer", reflect.TypeFor[AnswerReply](), answerSchema()},
		{"briefing", reflect.TypeFor[BriefingReply](), briefingSchema()},
		{"source", reflect.TypeFor[SourceReply](), sourceSchema()},
		{"rewrite", reflect.TypeFor[RewriteReply](), rewriteSchema()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { matchStruct(t, tt.typ, tt.s, tt.name) })
	}
}

func matchStruct(t *testing.T, typ reflect.Type, s *schema, path string) {
	t.Helper()
	switch typ.Kind() {
	case reflect.Struct:
		var fields []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, name)
			sub := s.prop(name)
			if sub == nil {
				t.Errorf("%s: struct field %q is not in the schema", path, name)
				continue
			}
			matchStruct(t, f.Type, sub, path+"."+name)
		}
		if len(fields) != len(s.fields) {
			t.Errorf("%s: got struct fields %v, want the schema's %d properties", path, fields, len(s.fields))
		}
	case reflect.Slice:
		if s.Type != "array" {
			t.Errorf("%s: got a slice, schema says %s", path, s.Type)
			return
		}
		matchStruct(t, typ.Elem(), s.Items, path+"[]")
	case reflect.String:
		if s.Type != "string" {
			t.Errorf("%s: got a string, schema says %s", path, s.Type)
		}
	case reflect.Int:
		if s.Type != "integer" {
			t.Errorf("%s: got an int, schema says %s", path, s.Type)
		}
	case reflect.Bool:
		if s.Type != "boolean" {
			t.Errorf("%s: got a bool, schema says %s", path, s.Type)
		}
	default:
		t.Errorf("%s: unexpected kind %s", path, typ.Kind())
	}
}
