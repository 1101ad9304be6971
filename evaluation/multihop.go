package evaluation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// MultiHopQuery is one query of MultiHop-RAG (MultiHopRAG.json layout).
type MultiHopQuery struct {
	// Index is the query's 0-based position in its file, the query ID of
	// the doc-level qrels.
	Index    int        `json:"-"`
	Query    string     `json:"query"`
	Answer   string     `json:"answer"`
	Type     string     `json:"question_type"`
	Evidence []Evidence `json:"evidence_list"`
}

// Evidence is a gold fact of a MultiHop-RAG query and the article it is
// from.
type Evidence struct {
	Title       string `json:"title"`
	Author      string `json:"author"`
	URL         string `json:"url"`
	Source      string `json:"source"`
	Category    string `json:"category"`
	PublishedAt string `json:"published_at"`
	Fact        string `json:"fact"`
}

// NullQuery is the question type of queries with no evidence, which the
// retrieval evaluation skips.
const NullQuery = "null_query"

// LoadMultiHopQueries reads a MultiHop-RAG query file (a JSON array).
func LoadMultiHopQueries(path string) ([]MultiHopQuery, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load multihop queries: %w", err)
	}
	var qs []MultiHopQuery
	if err := json.Unmarshal(data, &qs); err != nil {
		return nil, fmt.Errorf("load multihop queries %s: %w", path, err)
	}
	for i := range qs {
		qs[i].Index = i
	}
	return qs, nil
}

// MultiHopCorpusURLs returns the url of every record of a MultiHop-RAG
// corpus.json, in order: the corpus-id of the doc-level qrels is an index
// into it, and the url is the article ID that article.Load gives a record
// without an _id.
func MultiHopCorpusURLs(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load multihop corpus: %w", err)
	}
	var recs []struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, fmt.Errorf("load multihop corpus %s: %w", path, err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.URL
	}
	return out, nil
}

// squash removes every space and newline, as the paper's rule does before
// comparing.
func squash(s string) string {
	return strings.NewReplacer(" ", "", "\n", "").Replace(s)
}

// RenderChunk renders a hit as the paper's pipeline shows a retrieved chunk
// (LlamaIndex MetadataMode.LLM with title, source and published_at), which
// is the text the relevance rule looks in.
func RenderChunk(h retrieval.Hit) string {
	a := h.Article
	if a == nil {
		return h.Chunk.Text
	}
	date := ""
	if !a.PublishedAt.IsZero() {
		date = a.PublishedAt.Format("2006-01-02T15:04:05-07:00")
	}
	return renderMeta(a.Title, a.Outlet, date) + h.Chunk.Text
}

// renderMeta is the metadata header of a rendered chunk.
func renderMeta(title, outlet, date string) string {
	var b strings.Builder
	b.WriteString("title: " + title + "\n")
	b.WriteString("source: " + outlet + "\n")
	if date != "" {
		b.WriteString("published_at: " + date + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// ChunkScores scores one query by the rule of the paper's
// retrieval_evaluate.py: a retrieved text is relevant when some gold fact,
// with all spaces and newlines removed, is a substring of it with all spaces
// and newlines removed. hits4 and hits10 tell whether a relevant text is in
// the top 4 and 10; ap10 is upstream's MAP@10 term (at each relevant rank,
// the number of gold facts found there for the first time over the rank,
// summed and divided by min(len(gold), 10)); rr10 is the reciprocal rank of
// the first relevant text in the top 10.
func ChunkScores(retrieved, gold []string) (hits4, hits10 bool, ap10, rr10 float64) {
	g := make([]string, len(gold))
	for i, s := range gold {
		g[i] = squash(s)
	}
	var found []string
	first := 0
	sum := 0.0
	for i, text := range retrieved {
		rank := i + 1
		if rank > 10 {
			break
		}
		r := squash(text)
		relevant := false
		for _, f := range g {
			if strings.Contains(r, f) {
				relevant = true
				break
			}
		}
		if !relevant {
			continue
		}
		hits10 = true
		if first == 0 {
			first = rank
		}
		if rank <= 4 {
			hits4 = true
		}
		count := 0
		for _, f := range g {
			if strings.Contains(r, f) && !slices.Contains(found, f) {
				count++
				found = append(found, f)
			}
		}
		sum += float64(count) / float64(rank)
	}
	if len(g) > 0 {
		ap10 = sum / float64(min(len(g), 10))
	}
	if first > 0 {
		rr10 = 1 / float64(first)
	}
	return hits4, hits10, ap10, rr10
}

// ChunkMetrics are the paper's chunk-level retrieval metrics, averaged over
// N queries.
type ChunkMetrics struct {
	N                           int
	Hits4, Hits10, MAP10, MRR10 float64
}

func (m *ChunkMetrics) add(h4, h10 bool, ap, rr float64) {
	m.N++
	m.Hits4 += b2f(h4)
	m.Hits10 += b2f(h10)
	m.MAP10 += ap
	m.MRR10 += rr
}

func (m *ChunkMetrics) finish() {
	if m.N == 0 {
		return
	}
	n := float64(m.N)
	m.Hits4 /= n
	m.Hits10 /= n
	m.MAP10 /= n
	m.MRR10 /= n
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// DocMetrics are doc-level metrics over the distinct articles of the hits,
// in the order of their best chunk, against the doc-level qrels.
type DocMetrics struct {
	N int
	// Recall4 and Recall10 are the share of gold articles in the top 4 and
	// 10 articles; AllGold10 the share of queries with every gold article in
	// the top 10; MRR10 the reciprocal rank of the first gold article.
	Recall4, Recall10, AllGold10, MRR10 float64
}

// MultiHopOptions configures EvalMultiHop.
type MultiHopOptions struct {
	// Qrels are the doc-level judgements (qrels_doc.dev.tsv), keyed by the
	// query's Index; CorpusIDs maps their corpus-id (an index into
	// corpus.json) to article IDs. With Qrels nil the gold articles are the
	// evidence urls.
	Qrels     Qrels
	CorpusIDs []string
	// Depth is how many chunks each query asks for; the chunk metrics use
	// the first 10, the doc metrics the distinct articles among all. 0
	// means 50.
	Depth int
	// Diverse sets Query.Diverse.
	Diverse bool
}

// MultiHopReport is the result of EvalMultiHop.
type MultiHopReport struct {
	// Queries is the number of queries evaluated; Skipped the null queries
	// left out.
	Queries, Skipped int
	Chunk            ChunkMetrics
	ByType           map[string]ChunkMetrics
	Doc              DocMetrics
	Elapsed          time.Duration
}

// EvalMultiHop runs the non-null queries against s and scores the hits with
// the paper's chunk-level rule (chunks rendered with RenderChunk) and at doc
// level.
func EvalMultiHop(ctx context.Context, s Searcher, qs []MultiHopQuery, opt MultiHopOptions) (MultiHopReport, error) {
	depth := opt.Depth
	if depth <= 0 {
		depth = 50
	}
	rep := MultiHopReport{ByType: map[string]ChunkMetrics{}}
	start := time.Now()
	for _, q := range qs {
		if q.Type == NullQuery || len(q.Evidence) == 0 {
			rep.Skipped++
			continue
		}
		hits, err := s.Search(ctx, retrieval.Query{Text: q.Query, K: depth, Diverse: opt.Diverse})
		if err != nil {
			return rep, fmt.Errorf("multihop query %d: %w", q.Index, err)
		}
		texts := make([]string, 0, 10)
		for i := 0; i < len(hits) && i < 10; i++ {
			texts = append(texts, RenderChunk(hits[i]))
		}
		scoreQuery(&rep.Chunk, rep.ByType, q, texts)

		golds := goldDocs(q, opt)
		docs := RankDocs(hits)
		rep.Doc.N++
		rep.Doc.Recall4 += Recall(docs, golds, 4)
		rep.Doc.Recall10 += Recall(docs, golds, 10)
		if Recall(docs, golds, 10) == 1 {
			rep.Doc.AllGold10++
		}
		rep.Doc.MRR10 += ReciprocalRank(docs, golds, 10)
		rep.Queries++
	}
	rep.Chunk.finish()
	for t, m := range rep.ByType {
		m.finish()
		rep.ByType[t] = m
	}
	if n := float64(rep.Doc.N); n > 0 {
		rep.Doc.Recall4 /= n
		rep.Doc.Recall10 /= n
		rep.Doc.AllGold10 /= n
		rep.Doc.MRR10 /= n
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func goldDocs(q MultiHopQuery, opt MultiHopOptions) map[string]int {
	out := map[string]int{}
	if opt.Qrels != nil {
		for cid, g := range opt.Qrels[strconv.Itoa(q.Index)] {
			i, err := strconv.Atoi(cid)
			if err == nil && i >= 0 && i < len(opt.CorpusIDs) {
				out[opt.CorpusIDs[i]] = g
			}
		}
		return out
	}
	for _, e := range q.Evidence {
		out[e.URL] = 1
	}
	return out
}

// RankDocs returns the distinct article IDs of hits in order of first
// appearance: the doc ranking where a doc scores its best chunk's score.
func RankDocs(hits []retrieval.Hit) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hits {
		if !seen[h.Chunk.ArticleID] {
			seen[h.Chunk.ArticleID] = true
			out = append(out, h.Chunk.ArticleID)
		}
	}
	return out
}

// WriteTable prints the report as an aligned table.
func (r MultiHopReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "MultiHop-RAG\tqueries\tHits@4\tHits@10\tMAP@10\tMRR@10\n")
	row := func(name string, m ChunkMetrics) {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\n", name, m.N, m.Hits4, m.Hits10, m.MAP10, m.MRR10)
	}
	row("chunk, all", r.Chunk)
	for _, t := range typeNames(r.ByType) {
		row("chunk, "+t, r.ByType[t])
	}
	fmt.Fprintf(tw, "\t\tR@4\tR@10\tall@10\tMRR@10\n")
	fmt.Fprintf(tw, "doc level\t%d\t%.4f\t%.4f\t%.4f\t%.4f\n", r.Doc.N, r.Doc.Recall4, r.Doc.Recall10, r.Doc.AllGold10, r.Doc.MRR10)
	perQ := time.Duration(0)
	if r.Queries > 0 {
		perQ = r.Elapsed / time.Duration(r.Queries)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "skipped null queries: %d; search time %v (%v per query)\n", r.Skipped, r.Elapsed.Round(time.Millisecond), perQ.Round(time.Microsecond))
	return err
}

// typeNames returns the question types of a per-type breakdown, sorted.
func typeNames(byType map[string]ChunkMetrics) []string {
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// scoreQuery scores one query's retrieved texts (its first ten, rendered)
// by the paper's rule and adds the result to the overall and per-type
// metrics.
func scoreQuery(all *ChunkMetrics, byType map[string]ChunkMetrics, q MultiHopQuery, texts []string) {
	gold := make([]string, len(q.Evidence))
	for i, e := range q.Evidence {
		gold[i] = e.Fact
	}
	h4, h10, ap, rr := ChunkScores(texts, gold)
	all.add(h4, h10, ap, rr)
	m := byType[q.Type]
	m.add(h4, h10, ap, rr)
	byType[q.Type] = m
}
