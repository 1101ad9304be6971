package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/evaluation"
	"github.com/briefbot/briefbot/internal/benchdata"
	seedsfs "github.com/briefbot/briefbot/seeds"
)

// Floors of TestEvalSmall, a margin below what the composer reaches on the
// questions it runs (desk set 120/127 = 0.94; on the first 48 MultiHop-RAG dev
// questions: null queries declined 6/6, answerable answered 39/42 = 0.93,
// inference gold answer in quotes 8/16 = 0.50). Raise them with the
// composer.
const (
	floorDesk         = 0.90
	floorNullDeclined = 0.80 // 6 null queries: one miss is 0.83
	floorAnswered     = 0.85
	floorGoldQuoted   = 0.40
	// ceilUnbalanced bounds the desk answers with unbalanced quotation
	// marks (0/110 today).
	ceilUnbalanced = 0
)

// TestEvalSmall is the small, fast version of `bot eval` that CI runs: the
// whole seed and desk question sets and the first few dozen questions of each
// benchmark, through the same composer as `bot ask --json`. Its floors sit
// below the full-split figures in BENCHMARKS.md, so that a change that
// breaks retrieval or grounding fails CI.
func TestEvalSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes two benchmark corpora")
	}
	t.Parallel()
	bench := filepath.Dir(filepath.Dir(benchdata.Path(t, "multihop-rag", "corpus.json")))
	benchdata.Path(t, "scifact", "corpus.jsonl")
	cfg, err := loadConfig(env{"BOT_DATA_DIR": t.TempDir()}.get)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)

	// The evaluations share nothing: they run side by side.
	t.Run("seeds and desk", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		seeds, err := evalSeeds(ctx, cfg, logger, &out, cfg.K)
		if err != nil {
			t.Fatal(err)
		}
		if seeds.quotes == 0 || seeds.verbatim != seeds.quotes {
			t.Errorf("seed quotes verbatim %d/%d, want all", seeds.verbatim, seeds.quotes)
		}
		if seeds.cited != seeds.answerable || seeds.declined != seeds.unanswerable {
			t.Errorf("seeds: cited %d/%d, declined %d/%d; want all", seeds.cited, seeds.answerable, seeds.declined, seeds.unanswerable)
		}
		desk, err := evaluation.ParseDeskQuestions([]byte(seedsfs.DeskQuestions))
		if err != nil {
			t.Fatal(err)
		}
		dr, err := evalDesk(ctx, cfg, logger, &out, desk, "desk", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(dr.Results) != len(desk) || dr.Share() < floorDesk {
			t.Errorf("desk questions right %d/%d, want >= %.2f", dr.Right(), len(dr.Results), floorDesk)
		}
		if dr.quotes == 0 || dr.verbatim != dr.quotes {
			t.Errorf("desk quotes verbatim %d/%d, want all", dr.verbatim, dr.quotes)
		}
		if h := dr.hygiene; h.RepeatedQuote > 0 || h.FileNames > 0 || h.Unbalanced > ceilUnbalanced {
			t.Errorf("desk answers: %d cite a quote twice, %d name a file, %d have unbalanced quotation marks; want 0, 0, <= %d", h.RepeatedQuote, h.FileNames, h.Unbalanced, ceilUnbalanced)
		}
		t.Logf("report:\n%s", out.String())
	})

	t.Run("multihop", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		mh, err := evalMultiHop(ctx, cfg, logger, &out, io.Discard, filepath.Join(bench, "multihop-rag"), cfg.K, 48, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := mh.retrieval; r.Chunk.N < 30 || r.Chunk.Hits10 < 0.85 || r.Chunk.MRR10 < 0.55 {
			t.Errorf("MultiHop on %d questions: Hits@10 %.3f, MRR@10 %.3f; want >= 0.85 and >= 0.55", r.Chunk.N, r.Chunk.Hits10, r.Chunk.MRR10)
		}
		// End-to-end floors, below what the composer reaches on these 48
		// questions (see evalFloors).
		e := mh.e2e
		if e.Null == 0 || e.NullDeclinedShare() < floorNullDeclined {
			t.Errorf("MultiHop null queries declined %d/%d, want >= %.2f", e.NullDeclined, e.Null, floorNullDeclined)
		}
		if e.All.Questions < 30 || e.AnsweredShare() < floorAnswered {
			t.Errorf("MultiHop answerable answered %d/%d, want >= %.2f", e.All.Answered, e.All.Questions, floorAnswered)
		}
		if e.All.Inference == 0 || e.GoldQuotedShare() < floorGoldQuoted {
			t.Errorf("MultiHop inference gold answer in quotes %d/%d, want >= %.2f", e.All.GoldQuoted, e.All.Inference, floorGoldQuoted)
		}
		if !mh.calibratedOK {
			t.Errorf("trade-off curve: no cut-off declines %.0f%% of the null queries", 100*calibrationTarget)
		}
		t.Logf("report:\n%s", out.String())
	})

	t.Run("scifact", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		sf, err := evalSciFact(ctx, cfg, logger, &out, io.Discard, filepath.Join(bench, "scifact"), 10, 40, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sf.Queries != 40 || sf.NDCG10 < 0.65 {
			t.Errorf("SciFact on %d claims: nDCG@10 %.3f, want >= 0.65", sf.Queries, sf.NDCG10)
		}
		t.Logf("report:\n%s", out.String())
	})
}

// TestEvalScoresAskOutput checks that `bot eval --answers` scores the JSON
// that `bot ask --json` prints the same way as answers computed in process.
func TestEvalScoresAskOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes a benchmark corpus")
	}
	t.Parallel()
	dir := filepath.Dir(benchdata.Path(t, "multihop-rag", "corpus.json"))
	qs := "Who is the individual associated with the cryptocurrency industry facing a criminal trial on fraud and conspiracy charges, as reported by both The Verge and TechCrunch, and is accused by prosecutors of committing fraud for personal gain?\n"
	// The question's evidence and a few dozen other articles are enough to
	// check the scoring of ask's JSON (TestEvalSmall measures retrieval on
	// the whole corpus), and index in a fraction of the time.
	corpus := multihopSubset(t, dir, 30)
	out, errOut, code := runBot(t, env{}, qs, "ask", "--corpus", corpus, "--json", "--k", "10")
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, errOut)
	}
	answers := filepath.Join(t.TempDir(), "answers.jsonl")
	if err := os.WriteFile(answers, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	report, errOut, code := runBot(t, env{}, "", "eval", "--only", "multihop", "--limit", "1", "--answers", answers, "--benchmarks", filepath.Dir(dir))
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	if !strings.Contains(report, "| all (chunk rule) | 1 |") || !strings.Contains(report, "missing answers 0") {
		t.Errorf("report does not score the one answer given:\n%s", report)
	}
}

// TestEvalDeskQuestionsFile checks `bot eval --only desk --questions FILE`:
// it scores any file of the desk layout, one verdict per question, and
// refuses a file that is not one.
func TestEvalDeskQuestionsFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "desk.json")
	set := `{"questions": [
 {"id": "t1", "kind": "duration", "question": "How long did Trump's call with Putin last?", "expect": "answer", "evidence": [["40 minutes"]]},
 {"id": "t2", "kind": "duration", "question": "How long did Trump's call with Putin last?", "expect": "answer", "evidence": [["a phrase in no article"]]},
 {"id": "t3", "kind": "decline", "question": "What did Putin say about the Olympic Games?", "expect": "decline"}
]}`
	if err := os.WriteFile(good, []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"questions": [{"id": "b", "kind": "k", "question": "q", "expect": "perhaps"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		fails    bool
		contains []string
	}{
		{"scores the file", good, false, []string{"### Desk questions (desk.json)", "| **all** | 3 | 2 (66.7%) |", "| duration | 2 | 1 |", "| decline | 1 | 1 |", "t2 (duration): evidence 0/1 groups, want 1"}},
		{"refuses a bad file", bad, true, nil},
		{"refuses a missing file", filepath.Join(dir, "none.json"), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBot(t, env{}, "", "eval", "--only", "desk", "--questions", tt.file)
			if (code != 0) != tt.fails {
				t.Fatalf("got exit %d, want failure %v: %s", code, tt.fails, errOut)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("report lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestEvalDeskScoresAskOutput checks that the desk set scored from the
// output of `bot ask --json` gets the verdicts it gets in process, with
// follow-ups left out.
func TestEvalDeskScoresAskOutput(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "desk.json")
	questions := []string{"How long did Trump's call with Putin last?", "What did Putin say about the Olympic Games?", "Which city is the White House eyeing for the summit?"}
	if err := os.WriteFile(set, []byte(`{"questions": [
 {"id": "t1", "kind": "duration", "question": "`+questions[0]+`", "expect": "answer", "evidence": [["40 minutes"]]},
 {"id": "t2", "kind": "decline", "question": "`+questions[1]+`", "expect": "decline"},
 {"id": "t3", "kind": "where", "question": "`+questions[2]+`", "expect": "answer", "evidence": [["budapest"]]},
 {"id": "t4", "kind": "followup", "question": "and the drones?", "history": ["`+questions[0]+`"], "expect": "answer", "evidence": [["drones"]]}
]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBot(t, env{}, strings.Join(questions, "\n")+"\n", "ask", "--json")
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, errOut)
	}
	answers := filepath.Join(dir, "answers.jsonl")
	if err := os.WriteFile(answers, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	inProcess, errOut, code := runBot(t, env{}, "", "eval", "--only", "desk", "--questions", set)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	fromFile, errOut, code := runBot(t, env{}, "", "eval", "--only", "desk", "--questions", set, "--answers", answers)
	if code != 0 {
		t.Fatalf("eval --answers: exit %d: %s", code, errOut)
	}
	rows := func(report string) []string {
		var out []string
		for _, l := range strings.Split(report, "\n") {
			if strings.HasPrefix(l, "| duration ") || strings.HasPrefix(l, "| decline ") || strings.HasPrefix(l, "| where ") {
				out = append(out, l)
			}
		}
		return out
	}
	got, want := rows(fromFile), rows(inProcess)
	if len(want) != 3 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows from ask output:\n%s\nwant the rows in process:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(fromFile, "| **all** | 3 |") || !strings.Contains(fromFile, "1 questions with a history left out") {
		t.Errorf("report from ask output does not score 3 questions and leave 1 out:\n%s", fromFile)
	}
	// An --only without desk leaves the desk set out.
	plain, _, _ := runBot(t, env{}, "", "eval", "--questions", set, "--answers", answers, "--only", "seeds")
	if strings.Contains(plain, "Desk questions") {
		t.Errorf("desk set scored although not asked for:\n%s", plain)
	}
}

// multihopSubset writes a MultiHop-RAG corpus file holding the evidence
// articles of the first dev question and the first n other articles, and
// returns its path.
func multihopSubset(tb testing.TB, dir string, n int) string {
	tb.Helper()
	var queries []struct {
		Evidence []struct {
			URL string `json:"url"`
		} `json:"evidence_list"`
	}
	var records []json.RawMessage
	for _, f := range []struct {
		name string
		into any
	}{{"MultiHopRAG.dev.json", &queries}, {"corpus.json", &records}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, f.into); err != nil {
			tb.Fatalf("%s: %v", f.name, err)
		}
	}
	evidence := map[string]bool{}
	for _, e := range queries[0].Evidence {
		evidence[e.URL] = true
	}
	var keep []json.RawMessage
	found := 0
	for i, r := range records {
		var rec struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(r, &rec); err != nil {
			tb.Fatal(err)
		}
		if evidence[rec.URL] {
			found++
		}
		if evidence[rec.URL] || i < n {
			keep = append(keep, r)
		}
	}
	if found != len(evidence) {
		tb.Fatalf("found %d of the %d evidence articles in the corpus", found, len(evidence))
	}
	b, err := json.Marshal(keep)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "corpus.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
