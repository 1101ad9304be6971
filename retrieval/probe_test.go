package retrieval

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestProbeRecordsPieces checks that a search carrying a recording probe
// records a run of every vector piece, of every part of the vector
// side's rescoring and of lexical pieces, each within
// the search, and that the overlap schedule returns the same hits as the
// one pool.
func TestProbeRecordsPieces(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	ctx := context.Background()
	for i := range 3 {
		q := Query{Text: arts[i*53].Title, K: 10}
		want, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, overlap := range []bool{false, true} {
			p := &Probe{Overlap: overlap, Record: true}
			got, err := ix.Search(WithProbe(ctx, p), q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, func(a, b Hit) bool { return a.Chunk.ID == b.Chunk.ID && a.Score == b.Score }) {
				t.Errorf("%q, overlap %v: got %d hits, want the %d of a search without a probe", q.Text, overlap, len(got), len(want))
			}
			// A lexical run is recorded after the piece is done: the
			// search may return first.
			var spans []Span
			var end time.Duration
			for deadline := time.Now().Add(stallWait); ; time.Sleep(time.Millisecond) {
				if spans, end = p.Runs(); slices.ContainsFunc(spans, func(s Span) bool { return s.Side != "vec" }) || time.Now().After(deadline) {
					break
				}
			}
			vec, parts, lex := map[int]bool{}, map[int]bool{}, 0
			for _, s := range spans {
				switch s.Side {
				case "vec":
					vec[s.Piece] = true
				case "vecx":
					parts[s.Piece] = true
				case "lex0", "lex1":
					lex++
				default:
					t.Errorf("%q: got a run of side %q", q.Text, s.Side)
				}
				if s.Start < 0 || s.End < s.Start || (s.Side == "vec" || s.Side == "vecx") && !s.Again && s.End > end {
					t.Errorf("%q: got a run from %v to %v, the sides done at %v", q.Text, s.Start, s.End, end)
				}
			}
			pieces := (ix.current().vecs.slots + scanPiece - 1) / scanPiece
			if len(vec) != pieces || lex == 0 {
				t.Errorf("%q, overlap %v: got runs of %d vector pieces and %d lexical ones, want %d and some", q.Text, overlap, len(vec), lex, pieces)
			}
			r := max(rescoreFactor*(DefaultTuning().Candidates+vecTieSlack), minRescore)
			if want := (r + rescorePart - 1) / rescorePart; len(parts) != want {
				t.Errorf("%q, overlap %v: got runs of %d parts of the rescoring, want %d", q.Text, overlap, len(parts), want)
			}
		}
	}
}
