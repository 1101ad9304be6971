// retrieval does not build on 32-bit platforms (its posting counts are
// checked against math.MaxUint32 as ints), so the test that embeds with
// retrieval's local embedder runs on 64-bit ones only; the rest of the
// package is tested on 386 too.

//go:build !386 && !arm

package vecscan

import (
	"context"
	"github.com/briefbot/briefbot/internal/benchdata"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// multiHopCorpus is the MultiHop-RAG corpus beside the checkout.

func TestRecallMultiHopLocal(t *testing.T) {
	arts, _, err := article.Load(benchdata.Path(t, "multihop-rag", "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	embed := retrieval.LocalEmbedder()
	ctx := context.Background()
	var vecs []float32
	for i := 0; i < len(arts); i += raceStride {
		for _, ch := range (retrieval.ChunkOptions{}).Chunks(&arts[i]) {
			v, err := embed(ctx, arts[i].Title+"\n\n"+ch.Text)
			if err != nil {
				t.Fatal(err)
			}
			vecs = append(vecs, v...)
		}
	}
	var qs [][]float32
	for i := 0; i < len(arts) && len(qs) < 100; i += 6 {
		// A question-like text: the article's title and first words.
		text := arts[i].Title
		if len(arts[i].Text) > 200 {
			text += " " + arts[i].Text[:200]
		}
		v, err := embed(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, v)
	}
	t.Logf("%d chunks of %d dimensions", len(vecs)/retrieval.LocalDim, retrieval.LocalDim)
	checkRecall(t, vecs, retrieval.LocalDim, qs)
}
