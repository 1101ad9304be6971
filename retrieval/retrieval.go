// Package retrieval splits articles into chunks, indexes them in a vector
// store (float32 embeddings with 4-bit codes for a SIMD first pass) and a
// lexical index, and answers hybrid searches over both, with filters by
// outlet and date and diversity across outlets.
package retrieval

import (
	"context"
	"time"

	"github.com/briefbot/briefbot/article"
)

// Chunk is a passage of one article: a run of whole sentences of its body.
// Text is exactly Article.Text[Start:End].
type Chunk struct {
	ID        string `json:"id"` // "<article ID>#<N>"
	ArticleID string `json:"article_id"`
	N         int    `json:"n"` // position of the chunk within its article, from 0
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Text      string `json:"text"`
}

// Hit is one search result.
type Hit struct {
	Chunk   Chunk
	Article *article.Article
	// Score is the fused score used for ranking; higher is better.
	Score float64
	// Lexical and Vector are the component scores (0 when the chunk was not
	// found by that component).
	Lexical float64
	Vector  float64
}

// Filter restricts a search. Zero values mean no restriction.
type Filter struct {
	// Outlets keeps articles whose outlet matches one of these,
	// case-insensitively.
	Outlets []string
	// From and To bound the publication date, inclusive; articles with an
	// unknown date are left out when either is set.
	From, To time.Time
	// ArticleIDs keeps only these articles.
	ArticleIDs []string
}

// Query is a search request.
type Query struct {
	Text   string
	K      int // number of hits wanted; 0 means 10
	Filter Filter
	// Diverse spreads the hits across outlets/articles where the scores
	// allow, so that a question several outlets answer gets several.
	Diverse bool
}

// Searcher is what the rest of the bot needs from an index.
var _ interface {
	Search(ctx context.Context, q Query) ([]Hit, error)
} = (*Index)(nil)
