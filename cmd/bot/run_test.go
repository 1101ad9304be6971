package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/seeds"
)

// env is a fake environment for run.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// runBot calls run as main would and returns stdout, stderr and the exit
// status main would use.
func runBot(tb testing.TB, e env, stdin string, args ...string) (string, string, int) {
	tb.Helper()
	if _, ok := e["BOT_DATA_DIR"]; !ok {
		e["BOT_DATA_DIR"] = tb.TempDir()
	}
	if _, ok := e["BOT_DOTENV"]; !ok {
		e["BOT_DOTENV"] = "false" // a developer's .env must not change the tests
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, e.get, strings.NewReader(stdin), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}

// jsonAnswer is the documented `ask --json` shape.
type jsonAnswer struct {
	Question  string `json:"question"`
	Answer    string `json:"answer"`
	Grounded  *bool  `json:"grounded"`
	Citations []struct {
		N           int    `json:"n"`
		Source      string `json:"source"`
		Title       string `json:"title"`
		Outlet      string `json:"outlet"`
		Author      string `json:"author"`
		PublishedAt string `json:"published_at"`
		URL         string `json:"url"`
		Quote       string `json:"quote"`
		Start       int    `json:"start"`
		End         int    `json:"end"`
	} `json:"citations"`
	Passages []struct {
		Rank        int     `json:"rank"`
		Source      string  `json:"source"`
		Title       string  `json:"title"`
		URL         string  `json:"url"`
		PublishedAt string  `json:"published_at"`
		Text        string  `json:"text"`
		Score       float64 `json:"score"`
	} `json:"passages"`
}

// requiredKeys are the keys `ask --json` must always print.
var requiredKeys = map[string][]string{
	"":          {"question", "answer", "grounded", "citations", "passages"},
	"citations": {"n", "source", "title", "outlet", "author", "published_at", "url", "quote", "start", "end"},
	"passages":  {"rank", "source", "title", "url", "published_at", "text", "score"},
}

func decodeAnswers(tb testing.TB, out string) []jsonAnswer {
	tb.Helper()
	var answers []jsonAnswer
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(line, &raw); err != nil {
			tb.Fatalf("line is not a JSON object: %v\n%s", err, line)
		}
		for _, k := range requiredKeys[""] {
			if _, ok := raw[k]; !ok {
				tb.Errorf("answer lacks key %q: %s", k, line)
			}
		}
		for _, field := range []string{"citations", "passages"} {
			var items []map[string]json.RawMessage
			if err := json.Unmarshal(raw[field], &items); err != nil {
				tb.Fatalf("%s is not an array of objects: %v", field, err)
			}
			for _, it := range items {
				for _, k := range requiredKeys[field] {
					if _, ok := it[k]; !ok {
						tb.Errorf("%s item lacks key %q", field, k)
					}
				}
			}
		}
		var a jsonAnswer
		if err := json.Unmarshal(line, &a); err != nil {
			tb.Fatal(err)
		}
		answers = append(answers, a)
	}
	return answers
}

// seedText returns a seed article's original text.
func seedText(tb testing.TB, name string) string {
	tb.Helper()
	b, err := fs.ReadFile(seeds.FS, name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestAskJSON(t *testing.T) {
	t.Parallel()
	out, errOut, code := runBot(t, env{}, "", "ask", "--json", "--k", "5", "What did the White House say about US troops in Ukraine?")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	answers := decodeAnswers(t, out)
	if len(answers) != 1 {
		t.Fatalf("got %d JSON lines, want 1:\n%s", len(answers), out)
	}
	a := answers[0]
	if a.Grounded == nil || !*a.Grounded {
		t.Fatalf("not grounded: %s", a.Answer)
	}
	if len(a.Citations) == 0 {
		t.Fatal("no citations")
	}
	if len(a.Passages) != 5 {
		t.Errorf("got %d passages, want --k 5", len(a.Passages))
	}
	for i, p := range a.Passages {
		if p.Rank != i+1 || p.Text == "" || p.Source == "" {
			t.Errorf("passage %d malformed: %+v", i, p)
		}
	}
	for _, c := range a.Citations {
		text := seedText(t, c.Source)
		if c.Start < 0 || c.End > len(text) || text[c.Start:c.End] != c.Quote {
			t.Errorf("citation [%d] quote %q is not %s[%d:%d]", c.N, c.Quote, c.Source, c.Start, c.End)
		}
		if !strings.Contains(a.Answer, "[") {
			t.Errorf("answer has no citation markers: %s", a.Answer)
		}
	}
}

func TestAskManyFromStdin(t *testing.T) {
	t.Parallel()
	stdin := "What did Sergei Lavrov say about security guarantees?\n\nWho won the 2022 FIFA World Cup final?\nHow long did Trump's call with Putin last?\n"
	out, errOut, code := runBot(t, env{}, stdin, "ask", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	answers := decodeAnswers(t, out)
	if len(answers) != 3 {
		t.Fatalf("got %d answers, want 3 (blank lines skipped)", len(answers))
	}
	wantGrounded := []bool{true, false, true}
	for i, a := range answers {
		if *a.Grounded != wantGrounded[i] {
			t.Errorf("answer %d (%q) grounded = %v, want %v", i, a.Question, *a.Grounded, wantGrounded[i])
		}
	}
}

func TestAskManyText(t *testing.T) {
	t.Parallel()
	stdin := "How long did Trump's call with Putin last?\nWho won the 2022 FIFA World Cup final?\n"
	out, errOut, code := runBot(t, env{}, stdin, "ask")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	first := strings.Index(out, "> How long did Trump's call with Putin last?\n")
	second := strings.Index(out, "> Who won the 2022 FIFA World Cup final?\n")
	if first != 0 || second <= first {
		t.Fatalf("answers are not each under their question (at %d and %d):\n%s", first, second, out)
	}
	if !strings.Contains(out[first:second], "[1]") || !strings.Contains(out[second:], "don't cover") {
		t.Errorf("the answers are not under the right questions:\n%s", out)
	}
}

func TestAskText(t *testing.T) {
	t.Parallel()
	out, errOut, code := runBot(t, env{}, "", "ask", "How much in American weapons did Ukraine propose to buy?")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"[1] “", "$100bn", "$90bn"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Each quote is shown once (in the answer), and sources are named by
	// outlet or title, never by file name.
	for _, quote := range []string{"purchase $90bn in American weapons", ".txt"} {
		if n := strings.Count(strings.Join(strings.Fields(out), " "), quote); n > 1 || (quote == ".txt" && n > 0) {
			t.Errorf("output shows %q %d times:\n%s", quote, n, out)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.txt", []byte("Harbour Council Approves New Ferry Route\n\nThe harbour council approved a new ferry route to the northern islands on Monday, the mayor said.\n"))
	write("empty.txt", nil)
	write("binary.txt", []byte("\x00\x01\x02PNG\x00\x00data"))
	write("latin1.txt", []byte("Caf\xe9 owners protest the new rules.\n"))

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStderr []string
		wantStdout string
	}{
		{"missing corpus", []string{"ask", "--corpus", filepath.Join(dir, "nope"), "hello?"}, "", 2, []string{"no such file or directory"}, ""},
		{"empty question", []string{"ask", "   "}, "", 2, []string{"empty question; see `bot ask --help`"}, ""},
		{"no question on stdin", []string{"ask"}, "\n\n", 2, []string{"no question given"}, ""},
		{"unknown command", []string{"frobnicate"}, "", 2, []string{`unknown command "frobnicate"`}, ""},
		{"bad flag", []string{"ask", "--k", "0", "q"}, "", 2, []string{"--k 0"}, ""},
		{"bad articles skipped, rest answered", []string{"ask", "--corpus", dir, "What did the harbour council approve?"}, "", 0,
			[]string{"skipped empty.txt", "skipped binary.txt", "skipped latin1.txt"}, "ferry route"},
		{"source needs text", []string{"source"}, "", 2, []string{"source needs the text"}, ""},
		{"ingest needs a path", []string{"ingest"}, "", 2, []string{"ingest needs"}, ""},
		{"bad setting", []string{"ask", "q"}, "", 2, []string{"BOT_PASSAGES"}, ""},
		{"bad date filter", []string{"ask", "--from", "yesterday", "q"}, "", 2, []string{`--from "yesterday"`}, ""},
		{"date range backwards", []string{"ask", "--from", "2025-02-01", "--to", "2025-01-01", "q"}, "", 2, []string{"is before --from"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env{}
			if tt.name == "bad setting" {
				e["BOT_PASSAGES"] = "lots"
			}
			out, errOut, code := runBot(t, e, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tt.wantStdout != "" && !strings.Contains(out, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, out)
			}
		})
	}
}

func TestChat(t *testing.T) {
	t.Parallel()
	stdin := strings.Join([]string{
		"What did Karoline Leavitt say about boots on the ground?",
		"and what about air support?",
		`/source "Article 5-like"`,
		"Who won the 2022 FIFA World Cup final?",
		"/help",
		"/nonsense",
		"/quit",
		"this line is never read",
	}, "\n")
	out, errOut, code := runBot(t, env{}, stdin)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"5 articles loaded",
		"boots",                         // first answer
		"air",                           // the follow-up
		"(exact",                        // source lookup
		"near-match",                    // "Article Five-like" in another article
		"The articles don't cover this", // out of scope
		"/source \"text\"",              // help
		"unknown command /nonsense",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q", want)
		}
	}
	if strings.Contains(out, "never read") {
		t.Error("chat went on after /quit")
	}
	t.Logf("transcript:\n%s", out)
}

func TestIngestPersists(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "ferry.txt"), []byte("Harbour Council Approves New Ferry Route\n\nThe harbour council approved a new ferry route to the northern islands on Monday, the mayor said.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env{"BOT_DATA_DIR": data}
	out, errOut, code := runBot(t, e, "", "ingest", src)
	if code != 0 {
		t.Fatalf("ingest exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "1 new") {
		t.Errorf("first ingest output = %q, want 1 new article", out)
	}
	out, _, _ = runBot(t, e, "", "ingest", src)
	if !strings.Contains(out, "0 new, 0 updated, 1 unchanged") {
		t.Errorf("second ingest output = %q, want the article unchanged", out)
	}
	out, errOut, code = runBot(t, e, "", "ask", "--json", "What did the harbour council approve?")
	if code != 0 {
		t.Fatalf("ask exit %d: %s", code, errOut)
	}
	a := decodeAnswers(t, out)[0]
	if !*a.Grounded || len(a.Citations) == 0 || a.Citations[0].Source != "ferry.txt" {
		t.Errorf("answer after restart does not cite the ingested article: %+v", a)
	}
}

func TestAskFilters(t *testing.T) {
	t.Parallel()
	corpus := filepath.Join(t.TempDir(), "news.jsonl")
	records := `{"title": "Harbour ferry approved", "source": "Harbour Gazette", "published_at": "2025-03-04T09:00:00+00:00", "url": "https://gazette.example/ferry", "body": "The harbour council approved a new ferry route to the northern islands on Monday."}
{"title": "Ferry plan criticised", "source": "Island Post", "published_at": "2025-03-09T09:00:00+00:00", "url": "https://post.example/ferry", "body": "Island residents said the new ferry route approved by the harbour council runs too rarely."}
`
	if err := os.WriteFile(corpus, []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // the only source expected among the passages
	}{
		{"outlet", []string{"--outlet", "island post"}, "https://post.example/ferry"},
		{"date range", []string{"--from", "2025-03-01", "--to", "2025-03-05"}, "https://gazette.example/ferry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"ask", "--json", "--corpus", corpus}, tt.args...)
			args = append(args, "What did the harbour council approve?")
			out, errOut, code := runBot(t, env{}, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			a := decodeAnswers(t, out)[0]
			if len(a.Passages) == 0 {
				t.Fatal("no passages")
			}
			for _, p := range a.Passages {
				if p.Source != tt.want {
					t.Errorf("passage from %s, want only %s", p.Source, tt.want)
				}
			}
		})
	}
}

// TestChatReset checks that /reset forgets the conversation: a bare "why?"
// after it is not read against the question before.
func TestChatReset(t *testing.T) {
	stdin := strings.Join([]string{
		"What did Karoline Leavitt say about boots on the ground?",
		"why?",
		"/reset",
		"why?",
		"/quit",
	}, "\n")
	out, errOut, code := runBot(t, env{}, stdin)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	before, after, ok := strings.Cut(strings.Join(strings.Fields(out), " "), "Conversation cleared")
	if !ok {
		t.Fatalf("chat output lacks the /reset confirmation:\n%s", out)
	}
	if !strings.Contains(before, "You asked before") {
		t.Errorf("before /reset, why? does not refer to the earlier question:\n%s", before)
	}
	if strings.Contains(after, "You asked before") || !strings.Contains(after, "Could you say what you would like to know?") {
		t.Errorf("after /reset, why? still refers to the earlier question:\n%s", after)
	}
}
