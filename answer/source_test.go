package answer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// longArticle returns an article of about n words of varied sentences, and
// a sentence from its middle.
func longArticle(n int) (article.Article, string) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := strings.Fields("council budget ferry route harbour mayor islands committee transport winter sailings pass holders notice approved rejected debated announced funding libraries parks roads schools hospital minister report inquiry vote majority opposition residents")
	var b strings.Builder
	b.WriteString("A Long Report on the Harbour\n\n")
	words := 0
	var middle string
	for words < n {
		var s strings.Builder
		k := 12 + r.IntN(14)
		for i := range k {
			w := vocab[r.IntN(len(vocab))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			if i > 0 {
				s.WriteByte(' ')
			}
			s.WriteString(w)
		}
		s.WriteString(fmt.Sprintf(" in year %d.", words))
		if middle == "" && words >= n/2 {
			middle = s.String()
		}
		b.WriteString(s.String())
		b.WriteString(" ")
		words += k + 3
	}
	text := b.String()
	start := strings.Index(text, "\n\n") + 2
	return article.Article{ID: "long.txt", Title: "A Long Report on the Harbour", Text: text,
		Body: []article.Span{{Start: start, End: len(text)}}}, middle
}

// longComposer is a composer over one 20,000-word article.
func longComposer(tb testing.TB) (*Composer, string) {
	tb.Helper()
	a, middle := longArticle(20000)
	ix, err := retrieval.New(context.Background(), retrieval.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), []article.Article{a}); err != nil {
		tb.Fatal(err)
	}
	return New(ix, Options{}, nil), middle
}

// alter changes the third word of s.
func alter(s string) string {
	w := strings.Fields(s)
	w[2] = "altered"
	return strings.Join(w, " ")
}

func TestSourceLongArticle(t *testing.T) {
	c, middle := longComposer(t)
	tests := []struct {
		name      string
		text      string
		wantExact bool
	}{
		{"exact sentence", middle, true},
		{"altered sentence", alter(middle), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Source(context.Background(), tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Matches) == 0 {
				t.Fatalf("no match for %q", tt.text)
			}
			m := res.Matches[0]
			a, _ := c.index.Article(m.Source)
			if a.Text[m.Start:m.End] != m.Quote {
				t.Errorf("match %q is not the article's text at [%d:%d]", m.Quote, m.Start, m.End)
			}
			if m.Exact != tt.wantExact {
				t.Errorf("first match exact = %v, want %v (%q)", m.Exact, tt.wantExact, m.Quote)
			}
			if !strings.Contains(m.Quote, "in year") {
				t.Errorf("match %q is not the looked-up sentence %q", m.Quote, tt.text)
			}
		})
	}
}

// TestSourceHonoursDeadline checks that a lookup whose context has ended
// stops with its error.
func TestSourceHonoursDeadline(t *testing.T) {
	c, middle := longComposer(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := c.Source(ctx, alter(middle)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Source after the deadline: got error %v, want context.DeadlineExceeded", err)
	}
}

// BenchmarkSourceLongArticle looks up an altered sentence (exact match
// fails, near-matches are aligned) in one 20,000-word article.
func BenchmarkSourceLongArticle(b *testing.B) {
	c, middle := longComposer(b)
	q := alter(middle)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Source(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
