package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/philippgille/chromem-go"

	"github.com/briefbot/briefbot/llm/llmtest"
)

// length returns v's Euclidean length.
func length(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestEmbedBatchesInOrder(t *testing.T) {
	texts := []string{"one", "two words", "three little words", "four", "five alive", "six", "seven heaven"}
	tests := []struct {
		name      string
		batch     int
		replies   []llmtest.Reply
		wantSizes []int
	}{
		{"one batch", 0, nil, []int{7}},
		{"batches of 3", 3, nil, []int{3, 3, 1}},
		{"batches of 3, data sent last first", 3, []llmtest.Reply{{Reversed: true}, {Reversed: true}}, []int{3, 3, 1}},
		{"batch of 1", 1, nil, []int{1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithEmbeddingDim(16))
			srv.Queue(llmtest.KindEmbeddings, tt.replies...)
			c, _ := newClient(t, srv, func(cfg *Config) { cfg.EmbedBatch = tt.batch })
			got, err := c.Embed(context.Background(), texts)
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			if len(got) != len(texts) {
				t.Fatalf("Embed: got %d vectors, want %d", len(got), len(texts))
			}
			for i, text := range texts {
				want := llmtest.Vector(text, 16)
				if fmt.Sprint(got[i]) != fmt.Sprint(want) {
					t.Errorf("vector %d (%q): got %v, want %v", i, text, got[i], want)
				}
			}
			var sizes []int
			for _, r := range srv.Requests(llmtest.KindEmbeddings) {
				sizes = append(sizes, len(r.Input))
				if r.Model != "text-embedding-3-small" {
					t.Errorf("embeddings model: got %q, want text-embedding-3-small", r.Model)
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.wantSizes) {
				t.Errorf("batch sizes: got %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestEmbedNormalises(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Queue(llmtest.KindEmbeddings, llmtest.Reply{Embeddings: [][]float32{{3, 4}, {0, -2}}})
	c, _ := newClient(t, srv, nil)
	got, err := c.Embed(context.Background(), []string{"a", "b"})
	if err != nil {
		t.Fatalf("Embed: %v", err)
	}
	want := [][]float32{{0.6, 0.8}, {0, -1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Embed: got %v, want %v", got, want)
	}
	for i, v := range got {
		if l := length(v); math.Abs(l-1) > 1e-6 {
			t.Errorf("vector %d: got length %v, want 1", i, l)
		}
	}
}

func TestEmbedBadReplies(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		reply llmtest.Reply
		want  error
	}{
		{"fewer vectors than texts", []string{"a", "b"}, llmtest.Reply{Embeddings: [][]float32{{1, 0}}}, ErrBadResponse},
		{"more vectors than texts", []string{"a"}, llmtest.Reply{Embeddings: [][]float32{{1, 0}, {0, 1}}}, ErrBadResponse},
		{"zero vector", []string{"a"}, llmtest.Reply{Embeddings: [][]float32{{0, 0}}}, ErrBadResponse},
		{"different lengths", []string{"a", "b"}, llmtest.Reply{Embeddings: [][]float32{{1, 0}, {1, 0, 0}}}, ErrBadResponse},
		{"server error", []string{"a"}, llmtest.Status(401, ""), ErrAuth},
		{"malformed", []string{"a"}, llmtest.Malformed(), ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Queue(llmtest.KindEmbeddings, tt.reply)
			c, _ := newClient(t, srv, nil)
			got, err := c.Embed(context.Background(), tt.texts)
			if !errors.Is(err, tt.want) {
				t.Errorf("Embed: got %v, %v, want %v", got, err, tt.want)
			}
		})
	}
}

func TestEmbedRetriesABatch(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Queue(llmtest.KindEmbeddings, llmtest.Reply{}, llmtest.RateLimited("1"))
	c, sl := newClient(t, srv, func(cfg *Config) { cfg.EmbedBatch = 2 })
	got, err := c.Embed(context.Background(), []string{"a", "b", "c"})
	if err != nil || len(got) != 3 {
		t.Fatalf("Embed: got %d vectors, %v, want 3", len(got), err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("requests: got %d, want 3 (batch, rate-limited batch, its retry)", n)
	}
	if w := sl.got(); fmt.Sprint(w) != "[1s]" {
		t.Errorf("waits: got %v, want [1s]", w)
	}
}

func TestEmbedRefusesEmptyText(t *testing.T) {
	srv := llmtest.NewServer(t)
	c, _ := newClient(t, srv, nil)
	_, err := c.Embed(context.Background(), []string{"a", " "})
	if !errors.Is(err, ErrBadRequest) {
		t.Errorf("Embed: got %v, want ErrBadRequest", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("requests: got %d, want none", n)
	}
	got, err := c.Embed(context.Background(), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("Embed(nil): got %v, %v, want no vectors and no error", got, err)
	}
}

// TestEmbeddingFuncWithChromem uses the client as chromem-go's embedding
// function, against the fake server's bag-of-words embeddings.
func TestEmbeddingFuncWithChromem(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithEmbeddingDim(256))
	c, _ := newClient(t, srv, nil)
	db := chromem.NewDB()
	col, err := db.CreateCollection("test", nil, c.EmbeddingFunc())
	if err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	docs := []chromem.Document{
		{ID: "talks", Content: "Zelensky met Trump at the White House to discuss security guarantees"},
		{ID: "weather", Content: "Heavy rain is expected over the weekend in the north"},
		{ID: "market", Content: "Stocks fell sharply as investors weighed interest rates"},
	}
	if err := col.AddDocuments(context.Background(), docs, 2); err != nil {
		t.Fatalf("AddDocuments: %v", err)
	}
	res, err := col.Query(context.Background(), "security guarantees for Zelensky", 3, nil, nil)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(res) != 3 || res[0].ID != "talks" {
		t.Fatalf("Query: got %v, want talks first", res)
	}
	if res[0].Similarity <= res[1].Similarity {
		t.Errorf("similarities: got %v then %v, want the first higher", res[0].Similarity, res[1].Similarity)
	}
}
