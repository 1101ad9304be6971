package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"

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

// readFloor reads every byte of vecs on every core, as 64-bit words summed
// in eight independent integer chains: the least any scan of the float32
// vectors can cost, bound by memory bandwidth rather than arithmetic.
func readFloor(vecs []float32) uint64 {
	if len(vecs) < 2 {
		return 0
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(vecs))), len(vecs)/2)
	w := runtime.GOMAXPROCS(0)
	sums := make([]uint64, w)
	var wg sync.WaitGroup
	n := len(words)
	for p := 0; p < w; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part := words[p*n/w : (p+1)*n/w]
			var s [8]uint64
			i := 0
			for ; i+8 <= len(part); i += 8 {
				s[0] += part[i]
				s[1] += part[i+1]
				s[2] += part[i+2]
				s[3] += part[i+3]
				s[4] += part[i+4]
				s[5] += part[i+5]
				s[6] += part[i+6]
				s[7] += part[i+7]
			}
			for ; i < len(part); i++ {
				s[0] += part[i]
			}
			sums[p] = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]
		}()
	}
	wg.Wait()
	var s uint64
	for _, x := range sums {
		s += x
	}
	return s
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
