package retrieval_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestLocalEmbedderNormalisedAndDeterministic(t *testing.T) {
	ctx := context.Background()
	texts := []string{
		"",
		"the of and",
		"!!! ---",
		"Leavitt said U.S. boots will not be on the ground in Ukraine.",
		"Zelenskyy’s delegation presented a proposal to purchase $100bn worth of U.S. weapons.",
	}
	e1, e2 := retrieval.LocalEmbedder(), retrieval.LocalEmbedder()
	for _, text := range texts {
		t.Run(text, func(t *testing.T) {
			v1, err := e1(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			if len(v1) != retrieval.LocalDim {
				t.Fatalf("got %d dimensions, want %d", len(v1), retrieval.LocalDim)
			}
			for i, x := range v1 {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("component %d is %v", i, x)
				}
			}
			if n := math.Sqrt(dot(v1, v1)); math.Abs(n-1) > 1e-5 {
				t.Errorf("got norm %v, want 1", n)
			}
			// Same text, another call and another embedder instance: the
			// same bits.
			for i := 0; i < 3; i++ {
				v2, _ := e1(ctx, text)
				v3, _ := e2(ctx, text)
				if !slices.Equal(v1, v2) || !slices.Equal(v1, v3) {
					t.Fatalf("call %d: vectors differ for the same text", i)
				}
			}
		})
	}
}

func TestLocalEmbedderSimilarity(t *testing.T) {
	ctx := context.Background()
	e := retrieval.LocalEmbedder()
	emb := func(s string) []float32 {
		v, err := e(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct{ anchor, near, far string }{
		{"Zelenskyy met Trump", "Zelensky meets Trump", "Baseball playoffs resume tonight"},
		{"security guarantees for Ukraine", "Ukraine wants guaranteed security", "a recipe for lemon cake"},
		{"U.S. boots on the ground", "American troops on the ground, US boots", "quarterly earnings beat forecasts"},
	}
	for _, tt := range tests {
		t.Run(tt.anchor, func(t *testing.T) {
			a, n, f := emb(tt.anchor), emb(tt.near), emb(tt.far)
			if dn, df := dot(a, n), dot(a, f); dn <= df {
				t.Errorf("similarity to %q is %.3f, to %q %.3f: want the first higher", tt.near, dn, tt.far, df)
			}
		})
	}
}

func TestLocalEmbedderConcurrent(t *testing.T) {
	ctx := context.Background()
	e := retrieval.LocalEmbedder()
	want, _ := e(ctx, "Trump brokers Ukraine peace talks")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				got, _ := e(ctx, "Trump brokers Ukraine peace talks")
				if !slices.Equal(got, want) {
					t.Error("concurrent call gave another vector")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLocalEmbedderHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := retrieval.LocalEmbedder()(ctx, "text"); err == nil {
		t.Error("got no error for a cancelled context, want one")
	}
}
