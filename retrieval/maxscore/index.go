// Package maxscore ranks chunks by retrieval's lexical score (BM25F over
// chunk text and the article's title field, plus a share of the whole
// article's BM25F score, each normalised by the best) while visiting only
// the postings that can still change the top results: MaxScore dynamic
// pruning, document at a time, with a per-term upper bound of each term's
// contribution. Its results are identical, scores to the bit, to the
// exhaustive scorer (Index.Exhaustive), which computes what retrieval's
// lexical search computes, operation for operation.
//
// The index's layout is retrieval's: posting lists in compressed sparse
// rows, chunks of one article contiguous, so that retrieval can hand its
// slices over without copying them.
package maxscore

import (
	"math"
	"slices"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// MaxTF16 marks a term frequency too large for a uint16; the real one is in
// Postings.Big.
const MaxTF16 = math.MaxUint16

// Postings are posting lists in one block: row r's postings are
// Doc[Off[r]:Off[r+1]], in increasing doc order, with their term
// frequencies in TF. Rows are terms (row t is term t) unless Keys is set:
// then row r holds term Keys[r].
type Postings struct {
	Keys []uint32
	Off  []uint32
	Doc  []uint32
	TF   []uint16
	Big  map[uint32]uint32 // position -> term frequency, where TF is MaxTF16
}

// Terms returns the number of rows.
func (p *Postings) Terms() int { return max(0, len(p.Off)-1) }

func (p *Postings) row(t uint32) (uint32, bool) {
	if p.Keys == nil {
		return t, int(t)+1 < len(p.Off)
	}
	i, ok := slices.BinarySearch(p.Keys, t)
	return uint32(i), ok
}

// Span returns the positions of term t's postings.
func (p *Postings) Span(t uint32) (lo, hi uint32) {
	r, ok := p.row(t)
	if !ok {
		return 0, 0
	}
	return p.Off[r], p.Off[r+1]
}

// Freq returns the term frequency at a position.
func (p *Postings) Freq(pos uint32) uint32 {
	if f := p.TF[pos]; f != MaxTF16 {
		return uint32(f)
	}
	return p.Big[pos]
}

// Index is an inverted index over the chunks and articles of a snapshot,
// laid out as retrieval's lexIndex. Chunks of one article are contiguous
// and articles are in order.
type Index struct {
	NChunks, NArts int
	ChunkArt       []int32 // chunk -> article
	ArtFirst       []int32 // article -> first chunk; ArtFirst[NArts] == NChunks

	ChunkLen, ArtLen, TitleLen []float32
	AvgChunk, AvgArt, AvgTitle float64

	ChunkPost Postings // term -> chunks whose text has it
	ArtPost   Postings // term -> articles whose body has it
	TitlePost Postings // term -> articles whose title field has it (sparse)

	// TitleChunkDF and TitleArtDF are the document frequencies of the
	// terms of the title field, by row of TitlePost: chunks with the term
	// in text or title, articles with it in body or title. Any other
	// term's are the lengths of its posting lists.
	TitleChunkDF, TitleArtDF []int32

	// maxChunkTF and friends are, per term, the largest tf/norm
	// ingredients of its upper bounds: see bounds.go.
	bounds *termBounds
}

// ChunkDF returns the number of chunks with term t in text or title.
func (ix *Index) ChunkDF(t uint32) int32 {
	if r, ok := ix.TitlePost.row(t); ok {
		return ix.TitleChunkDF[r]
	}
	lo, hi := ix.ChunkPost.Span(t)
	return int32(hi - lo)
}

// ArtDF returns the number of articles with term t in body or title.
func (ix *Index) ArtDF(t uint32) int32 {
	if r, ok := ix.TitlePost.row(t); ok {
		return ix.TitleArtDF[r]
	}
	lo, hi := ix.ArtPost.Span(t)
	return int32(hi - lo)
}

// IDF is the BM25 inverse document frequency (always positive).
func IDF(n int, df int32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// Term is an analysed query term with an ID in the index.
type Term struct {
	ID     uint32
	Weight float64 // query-side weight
}

// Params are the parameters of one BM25F scoring.
type Params struct {
	K1, B          float64
	TitleW, TitleB float64
}

// Query is a lexical search.
type Query struct {
	Terms []Term
	// Chunk and Article parameterise the chunk-level and article-level
	// BM25F scores; ArticleWeight weighs the article's score (over the best
	// article's) against the chunk's (over the best chunk's); 0 leaves it
	// out.
	Chunk, Article Params
	ArticleWeight  float64
	// Allowed, when not nil, admits only the chunks of the articles a with
	// Allowed[a].
	Allowed []bool
	// K is the number of chunks wanted.
	K int
}

// Result is a chunk (ID) and its lexical score.
type Result = topk.Item[float64]
