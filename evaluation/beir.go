package evaluation

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// Recall returns the share of the relevant docs (grade > 0) found in the
// first k of ranked; 0 when there are none.
func Recall(ranked []string, rel map[string]int, k int) float64 {
	total := 0
	for _, g := range rel {
		if g > 0 {
			total++
		}
	}
	if total == 0 {
		return 0
	}
	found := 0
	for i, d := range ranked {
		if i >= k {
			break
		}
		if rel[d] > 0 {
			found++
		}
	}
	return float64(found) / float64(total)
}

// ReciprocalRank returns 1/rank of the first relevant doc in the first k of
// ranked, or 0.
func ReciprocalRank(ranked []string, rel map[string]int, k int) float64 {
	for i, d := range ranked {
		if i >= k {
			break
		}
		if rel[d] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// NDCG returns nDCG@k with the grades as gains and log2(rank+1) discounts,
// as trec_eval and BEIR compute it.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	dcg := 0.0
	for i, d := range ranked {
		if i >= k {
			break
		}
		if g := rel[d]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var gains []int
	for _, g := range rel {
		if g > 0 {
			gains = append(gains, g)
		}
	}
	slices.Sort(gains)
	slices.Reverse(gains)
	idcg := 0.0
	for i, g := range gains {
		if i >= k {
			break
		}
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// BEIROptions configures EvalBEIR.
type BEIROptions struct {
	// Depth is how many chunks each query asks for; it must give at least
	// 100 distinct docs for Recall@100 to be exact. 0 means 400.
	Depth int
}

// BEIRReport is the result of EvalBEIR.
type BEIRReport struct {
	Queries           int
	NDCG10, Recall100 float64
	MRR10, Recall10   float64
	Elapsed           time.Duration
	ShortRankings     int // queries whose hits gave fewer than 100 docs
}

// EvalBEIR runs every query that has judgements in qrels against s and
// scores the doc ranking, a doc scoring its best chunk's score.
func EvalBEIR(ctx context.Context, s Searcher, queries []BEIRQuery, qrels Qrels, opt BEIROptions) (BEIRReport, error) {
	depth := opt.Depth
	if depth <= 0 {
		depth = 400
	}
	var rep BEIRReport
	start := time.Now()
	for _, q := range queries {
		rel, ok := qrels[q.ID]
		if !ok {
			continue
		}
		hits, err := s.Search(ctx, retrieval.Query{Text: q.Text, K: depth})
		if err != nil {
			return rep, fmt.Errorf("beir query %s: %w", q.ID, err)
		}
		rep.add(RankDocs(hits), rel)
	}
	rep.finish()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// add scores one query's doc ranking against its judgements.
func (r *BEIRReport) add(docs []string, rel map[string]int) {
	if len(docs) < 100 {
		r.ShortRankings++
	}
	r.Queries++
	r.NDCG10 += NDCG(docs, rel, 10)
	r.Recall100 += Recall(docs, rel, 100)
	r.Recall10 += Recall(docs, rel, 10)
	r.MRR10 += ReciprocalRank(docs, rel, 10)
}

// finish turns the sums into means over the queries.
func (r *BEIRReport) finish() {
	if n := float64(r.Queries); n > 0 {
		r.NDCG10 /= n
		r.Recall100 /= n
		r.Recall10 /= n
		r.MRR10 /= n
	}
}

// WriteTable prints the report as an aligned table under a title.
func (r BEIRReport) WriteTable(w io.Writer, title string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tqueries\tnDCG@10\tRecall@10\tRecall@100\tMRR@10\n", title)
	fmt.Fprintf(tw, "doc level\t%d\t%.4f\t%.4f\t%.4f\t%.4f\n", r.Queries, r.NDCG10, r.Recall10, r.Recall100, r.MRR10)
	perQ := time.Duration(0)
	if r.Queries > 0 {
		perQ = r.Elapsed / time.Duration(r.Queries)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "rankings under 100 docs: %d; search time %v (%v per query)\n", r.ShortRankings, r.Elapsed.Round(time.Millisecond), perQ.Round(time.Microsecond))
	return err
}
