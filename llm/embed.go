package llm

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/philippgille/chromem-go"
	openai "github.com/sashabaranov/go-openai"
)

const opEmbed = "embeddings"

// Embed returns one embedding per text, in the order of texts, each scaled
// to length 1. It sends the texts in batches (Config.EmbedBatch, default
// 96), each with its own retries. Empty texts are refused (the API refuses
// them too). A reply with the wrong number of vectors, indexes that do not
// match the inputs, vectors of different lengths, or a zero vector is an
// ErrBadResponse.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if c.embedAPI == nil {
		return nil, configErrorf("embeddings on Azure OpenAI need an embedding deployment: set %s", EnvAzureEmbedDeployment)
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("embeddings: text %d is empty: %w", i, ErrBadRequest)
		}
	}
	out := make([][]float32, 0, len(texts))
	for batch := range slices.Chunk(texts, c.embedBatch) {
		vecs, err := c.embedChunk(ctx, batch)
		if err != nil {
			return nil, c.stats.count(err)
		}
		if len(out) > 0 && len(vecs[0]) != len(out[0]) {
			return nil, c.stats.count(badEmbeddings("vectors of %d and %d dimensions in one call", len(out[0]), len(vecs[0])))
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// embedChunk embeds one batch.
func (c *Client) embedChunk(ctx context.Context, texts []string) ([][]float32, error) {
	req := openai.EmbeddingRequestStrings{Input: texts, Model: openai.EmbeddingModel(c.embedModel)}
	c.log.Debug("embeddings request", "model", c.embedModel, "inputs", len(texts))
	var resp openai.EmbeddingResponse
	err := c.do(ctx, opEmbed, c.maxRetries, func(ctx context.Context) error {
		var err error
		resp, err = c.embedAPI.CreateEmbeddings(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) != len(texts) {
		return nil, badEmbeddings("sent %d texts, got %d vectors", len(texts), len(resp.Data))
	}
	data := slices.Clone(resp.Data)
	slices.SortFunc(data, func(a, b openai.Embedding) int { return cmp.Compare(a.Index, b.Index) })
	out := make([][]float32, len(data))
	for i, d := range data {
		if d.Index != i {
			return nil, badEmbeddings("the vectors' indexes are not 0 to %d", len(texts)-1)
		}
		if len(d.Embedding) == 0 || len(d.Embedding) != len(data[0].Embedding) {
			return nil, badEmbeddings("vector %d has %d dimensions, vector 0 has %d", i, len(d.Embedding), len(data[0].Embedding))
		}
		v, ok := normalized(d.Embedding)
		if !ok {
			return nil, badEmbeddings("vector %d has length 0 or is not a number", i)
		}
		out[i] = v
	}
	return out, nil
}

// badEmbeddings returns an ErrBadResponse error for an embeddings reply.
func badEmbeddings(format string, args ...any) error {
	return &Error{Op: opEmbed, Kind: KindBadResponse, StatusCode: http.StatusOK, Message: fmt.Sprintf(format, args...), Attempts: 1}
}

// normalized returns a copy of v scaled to length 1, and false when v has
// length 0 or holds a NaN or an infinity.
func normalized(v []float32) ([]float32, bool) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	norm := math.Sqrt(sum)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, false
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / norm)
	}
	return out, true
}

// EmbeddingFunc returns Embed for a single text, in the form chromem-go
// takes. Its vectors are normalised, as chromem-go requires.
func (c *Client) EmbeddingFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		vecs, err := c.Embed(ctx, []string{text})
		if err != nil {
			return nil, err
		}
		return vecs[0], nil
	}
}
