package evaluation_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/evaluation"
	"github.com/briefbot/briefbot/retrieval"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestChunkScores(t *testing.T) {
	const fact = "The summit ended without a deal."
	other := "Leavitt ruled out boots on the ground."
	filler := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "unrelated text"
		}
		return out
	}
	at := func(rank int, text string, n int) []string {
		r := filler(n)
		r[rank-1] = text
		return r
	}
	tests := []struct {
		name      string
		retrieved []string
		gold      []string
		h4, h10   bool
		ap, rr    float64
	}{
		{"nothing relevant", filler(10), []string{fact}, false, false, 0, 0},
		{"first of two facts at rank 1", at(1, "x "+fact+" y", 10), []string{fact, other}, true, true, 0.5, 1},
		{"rank 4 counts for Hits@4", at(4, fact, 10), []string{fact}, true, true, 0.25, 0.25},
		{"rank 5 only for Hits@10", at(5, fact, 10), []string{fact}, false, true, 0.2, 0.2},
		{"rank 11 does not count", at(11, fact, 11), []string{fact}, false, false, 0, 0},
		{"spaces and newlines ignored", at(1, "title: T\nsource: S\n\nThe summit  ended\nwithout a deal. More.", 3), []string{"The summit ended without a  deal."}, true, true, 1, 1},
		{"case matters", at(1, strings.ToLower(fact), 3), []string{fact}, false, false, 0, 0},
		{"a fact found again adds nothing", []string{fact, fact}, []string{fact}, true, true, 1, 1},
		{"two facts in one chunk", []string{"no", fact + " " + other}, []string{fact, other}, true, true, 0.5, 0.5},
		{"two facts in two chunks", []string{fact, "no", other}, []string{fact, other}, true, true, (1 + 1.0/3) / 2, 1},
		{"no gold", filler(3), nil, false, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h4, h10, ap, rr := evaluation.ChunkScores(tt.retrieved, tt.gold)
			if h4 != tt.h4 || h10 != tt.h10 || !near(ap, tt.ap) || !near(rr, tt.rr) {
				t.Errorf("got hits4=%v hits10=%v ap=%v rr=%v, want %v %v %v %v", h4, h10, ap, rr, tt.h4, tt.h10, tt.ap, tt.rr)
			}
		})
	}
}

func TestDocMetrics(t *testing.T) {
	rel := map[string]int{"a": 1, "b": 1, "z": 0}
	tests := []struct {
		name               string
		ranked             []string
		recall2, rr, ndcg3 float64
	}{
		{"perfect", []string{"a", "b", "c"}, 1, 1, 1},
		{"second and third", []string{"c", "a", "b"}, 0.5, 0.5, (1/math.Log2(3) + 1/math.Log2(4)) / (1 + 1/math.Log2(3))},
		{"none", []string{"c", "d", "z"}, 0, 0, 0},
		{"empty ranking", nil, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluation.Recall(tt.ranked, rel, 2); !near(got, tt.recall2) {
				t.Errorf("Recall@2 = %v, want %v", got, tt.recall2)
			}
			if got := evaluation.ReciprocalRank(tt.ranked, rel, 10); !near(got, tt.rr) {
				t.Errorf("RR = %v, want %v", got, tt.rr)
			}
			if got := evaluation.NDCG(tt.ranked, rel, 3); !near(got, tt.ndcg3) {
				t.Errorf("nDCG@3 = %v, want %v", got, tt.ndcg3)
			}
		})
	}
	if got := evaluation.NDCG([]string{"b"}, map[string]int{"a": 2, "b": 1}, 10); !near(got, 1/(2+1/math.Log2(3))) {
		t.Errorf("graded nDCG = %v, want %v", got, 1/(2+1/math.Log2(3)))
	}
}

func TestLoaders(t *testing.T) {
	q, err := evaluation.LoadQrels("testdata/qrels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q["0"]["175"] != 1 || q["0"]["10"] != 1 || q["1"]["71"] != 2 || len(q["1"]) != 1 {
		t.Errorf("LoadQrels: got %v", q)
	}
	bq, err := evaluation.LoadBEIRQueries("testdata/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(bq) != 2 || bq[1].ID != "13" || !strings.HasPrefix(bq[1].Text, "5% of perinatal") {
		t.Errorf("LoadBEIRQueries: got %+v", bq)
	}
	mq, err := evaluation.LoadMultiHopQueries("testdata/multihop.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(mq) != 2 || mq[1].Index != 1 || mq[1].Type != evaluation.NullQuery || mq[0].Evidence[0].Fact != "The summit ended without a deal." {
		t.Errorf("LoadMultiHopQueries: got %+v", mq)
	}
	if _, err := evaluation.LoadQrels("testdata/missing.tsv"); err == nil {
		t.Error("LoadQrels of a missing file: got no error")
	}
}

// fakeSearcher returns canned hits.
type fakeSearcher map[string][]retrieval.Hit

func (f fakeSearcher) Search(_ context.Context, q retrieval.Query) ([]retrieval.Hit, error) {
	return f[q.Text], nil
}

func TestEvalMultiHopOnFake(t *testing.T) {
	qs, err := evaluation.LoadMultiHopQueries("testdata/multihop.json")
	if err != nil {
		t.Fatal(err)
	}
	art := &article.Article{ID: "https://example.com/summit", Title: "Summit", Outlet: "The Guardian",
		PublishedAt: time.Date(2023, 10, 7, 12, 0, 0, 0, time.UTC)}
	miss := &article.Article{ID: "https://example.com/other"}
	hit := func(a *article.Article, text string) retrieval.Hit {
		return retrieval.Hit{Article: a, Chunk: retrieval.Chunk{ArticleID: a.ID, Text: text}}
	}
	s := fakeSearcher{qs[0].Query: {
		hit(miss, "Nothing here."),
		hit(art, "Talks went on. The summit ended without a deal."),
	}}
	rep, err := evaluation.EvalMultiHop(context.Background(), s, qs, evaluation.MultiHopOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 1 || rep.Skipped != 1 {
		t.Fatalf("got %d queries and %d skipped, want 1 and 1", rep.Queries, rep.Skipped)
	}
	if c := rep.Chunk; c.Hits4 != 1 || c.Hits10 != 1 || !near(c.MRR10, 0.5) || !near(c.MAP10, 0.5) {
		t.Errorf("chunk metrics %+v, want Hits 1, MRR 0.5, MAP 0.5", c)
	}
	if d := rep.Doc; d.Recall10 != 1 || !near(d.MRR10, 0.5) || d.AllGold10 != 1 {
		t.Errorf("doc metrics %+v, want recall 1, MRR 0.5", d)
	}
	if m := rep.ByType["inference_query"]; m.N != 1 || m.Hits10 != 1 {
		t.Errorf("by type: %+v", rep.ByType)
	}
	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil || !strings.Contains(buf.String(), "Hits@10") || !strings.Contains(buf.String(), "inference_query") {
		t.Errorf("WriteTable: %v\n%s", err, buf.String())
	}
	if got := evaluation.RenderChunk(hit(art, "Body.")); got != "title: Summit\nsource: The Guardian\npublished_at: 2023-10-07T12:00:00+00:00\n\nBody." {
		t.Errorf("RenderChunk: got %q", got)
	}
}

// TestMultiHopSubset indexes the MultiHop-RAG corpus and evaluates the first
// 30 dev questions, to catch a retrieval regression. The bounds sit well
// under what the retriever scores there (see the report in the test log).
func TestMultiHopSubset(t *testing.T) {
	t.Parallel()
	ix := multiHopIndex(t, nil)
	rep := runMultiHop(t, ix, 30)
	var buf bytes.Buffer
	rep.WriteTable(&buf)
	t.Logf("first 30 dev questions:\n%s", buf.String())
	if rep.Queries < 20 {
		t.Fatalf("evaluated %d queries, want the non-null ones of the first 30", rep.Queries)
	}
	bounds := []struct {
		name      string
		got, want float64
	}{
		{"chunk Hits@10", rep.Chunk.Hits10, 0.80},
		{"chunk Hits@4", rep.Chunk.Hits4, 0.60},
		{"chunk MRR@10", rep.Chunk.MRR10, 0.50},
		{"chunk MAP@10", rep.Chunk.MAP10, 0.22},
		{"doc Recall@10", rep.Doc.Recall10, 0.75},
	}
	for _, b := range bounds {
		if b.got < b.want {
			t.Errorf("%s = %.3f, want at least %.2f", b.name, b.got, b.want)
		}
	}
}
