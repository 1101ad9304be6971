package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/vecscan"
	chromem "github.com/philippgille/chromem-go"
)

// modelDims is the dimension of the model-embedding variant (OpenAI's
// text-embedding-3-small and ada-002).
const modelDims = 1536

// embedderFor returns the embedding function of dims dimensions and its
// model name: retrieval's local embedder for its own dimension; for
// modelDims, the local vector spread over 1536 coordinates (each of the
// 512 coordinates three times, permuted, with hashed signs, normalised).
// No model weights are available here: the wider vectors cost what 1536-d
// model embeddings cost to store and scan, and keep the local embedder's
// neighbourhoods, so the recall of the quantised scan is measured on
// structured vectors rather than noise.
func embedderFor(dims int) (chromem.EmbeddingFunc, string, error) {
	local := retrieval.LocalEmbedder()
	switch dims {
	case retrieval.LocalDim:
		return local, retrieval.LocalModel, nil
	case modelDims:
		return func(ctx context.Context, text string) ([]float32, error) {
			v, err := local(ctx, text)
			if err != nil {
				return nil, err
			}
			out := make([]float32, modelDims)
			for j := range out {
				h := uint32(j) * 2654435761
				x := v[(j*389)%len(v)]
				if h&(1<<20) != 0 {
					x = -x
				}
				out[j] = x
			}
			inv := float32(1 / sqrt3)
			for j := range out {
				out[j] *= inv
			}
			return out, nil
		}, "scalebench-1536", nil
	}
	return nil, "", fmt.Errorf("-dims: %d is not %d or %d", dims, retrieval.LocalDim, modelDims)
}

// sqrt3: each coordinate of the unit local vector appears three times.
const sqrt3 = 1.7320508075688772

// embedAll embeds every chunk (title and text, as our index does) on every
// core into one contiguous block.
func embedAll(ctx context.Context, c *corpus, embed chromem.EmbeddingFunc, dims int) ([]float32, error) {
	vecs := make([]float32, len(c.chunks)*dims)
	var mu sync.Mutex
	var firstErr error
	err := parallel(ctx, len(c.chunks), func(i int) {
		v, err := embed(ctx, c.chunks[i].embedText())
		if err == nil && len(v) != dims {
			err = fmt.Errorf("embedding of %d dimensions, want %d", len(v), dims)
		}
		if err != nil {
			mu.Lock()
			firstErr = err
			mu.Unlock()
			return
		}
		copy(vecs[i*dims:], v)
	})
	if err == nil {
		err = firstErr
	}
	return vecs, err
}

// realQuestionsFile is where -real finds the MultiHop-RAG dev questions,
// relative to the working directory (the checkout).
var realQuestionsFile = filepath.Join("..", "shared", "benchmarks", "multihop-rag", "MultiHopRAG.dev.json")

// loadRealQuestions reads the MultiHop-RAG dev questions.
func loadRealQuestions(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("real questions: %w", err)
	}
	var qs []struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(data, &qs); err != nil {
		return nil, fmt.Errorf("real questions %s: %w", path, err)
	}
	out := make([]string, 0, len(qs))
	for _, q := range qs {
		if q.Query != "" {
			out = append(out, q.Query)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("real questions %s: none", path)
	}
	return out, nil
}

// kernelName names the quantised scan's kernel.
func kernelName() string { return vecscan.Kernel() }
