// Package evaluation measures answer and retrieval quality: a desk question
// set judged at sentence level (is the phrase that answers the question in
// the cited quotes?), the MultiHop-RAG news queries end to end (answered,
// null queries declined, gold answer in the quotes, gold article cited, and
// the grounding cut-off's trade-off curve) and for retrieval (chunk-level
// Hits@k, MAP@10 and MRR@10 under the paper's rule, and doc-level recall),
// and BEIR collections such as SciFact (nDCG@10 and Recall@100). It loads
// the question sets, benchmark queries and judgements (corpora load with
// article.Load), scores answers as `bot ask --json` gives them, runs queries
// against anything that searches like retrieval.Index, and prints reports.
package evaluation

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/briefbot/briefbot/retrieval"
)

// Searcher is what an evaluation needs of an index.
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error)
}

// Qrels holds relevance judgements: query ID to document ID to grade.
type Qrels map[string]map[string]int

// LoadQrels reads a BEIR qrels file: tab-separated query-id, corpus-id,
// score, with a header line. Rows with a score of 0 or less are left out.
func LoadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load qrels: %w", err)
	}
	defer f.Close()
	q, err := readQrels(f)
	if err != nil {
		return nil, fmt.Errorf("load qrels %s: %w", path, err)
	}
	return q, nil
}

func readQrels(r io.Reader) (Qrels, error) {
	out := Qrels{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %d fields, want 3", line, len(f))
		}
		score, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			if line == 1 {
				continue // header
			}
			return nil, fmt.Errorf("line %d: score: %w", line, err)
		}
		if score <= 0 {
			continue
		}
		qid, did := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		if out[qid] == nil {
			out[qid] = map[string]int{}
		}
		out[qid][did] = score
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// BEIRQuery is one query of a BEIR collection.
type BEIRQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// LoadBEIRQueries reads a BEIR queries.jsonl file.
func LoadBEIRQueries(path string) ([]BEIRQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load queries: %w", err)
	}
	defer f.Close()
	var out []BEIRQuery
	dec := json.NewDecoder(bufio.NewReader(f))
	for {
		var q BEIRQuery
		err := dec.Decode(&q)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load queries %s: record %d: %w", path, len(out)+1, err)
		}
		out = append(out, q)
	}
	return out, nil
}
