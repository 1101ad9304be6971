package retrieval_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// checkChunks checks the invariants of an article's chunks: IDs and numbers
// in order, Text exactly Article.Text[Start:End], trimmed, inside one body
// span, at most max words unless a single sentence, and every word of the
// body in some chunk.
func checkChunks(tb testing.TB, a *article.Article, chunks []retrieval.Chunk, max int) {
	tb.Helper()
	for i, c := range chunks {
		if want := fmt.Sprintf("%s#%d", a.ID, i); c.ID != want || c.N != i || c.ArticleID != a.ID {
			tb.Errorf("%s chunk %d: got ID %q N %d ArticleID %q, want %q %d %q", a.ID, i, c.ID, c.N, c.ArticleID, want, i, a.ID)
		}
		if c.Start < 0 || c.End > len(a.Text) || c.Start >= c.End {
			tb.Errorf("%s: offsets [%d,%d) out of range (text %d bytes)", c.ID, c.Start, c.End, len(a.Text))
			continue
		}
		if c.Text != a.Text[c.Start:c.End] {
			tb.Errorf("%s: Text is not Article.Text[%d:%d]", c.ID, c.Start, c.End)
		}
		if strings.TrimSpace(c.Text) != c.Text {
			tb.Errorf("%s: text not trimmed: %q", c.ID, c.Text)
		}
		inside := false
		for _, s := range a.Body {
			inside = inside || s.Start <= c.Start && c.End <= s.End
		}
		if !inside {
			tb.Errorf("%s: [%d,%d) is not inside one body span %v", c.ID, c.Start, c.End, a.Body)
		}
		if n := len(strings.Fields(c.Text)); n > max {
			if n > 2*max {
				tb.Errorf("%s: %d words, over twice the max %d", c.ID, n, max)
			}
		}
	}
	// Every word of every body span lies in some chunk (list markers such
	// as "•" or "2." may be left out by the sentence splitter).
	for _, s := range a.Body {
		i := s.Start
		for i < s.End {
			for i < s.End && isSpaceByte(a.Text[i]) {
				i++
			}
			j := i
			for j < s.End && !isSpaceByte(a.Text[j]) {
				j++
			}
			if i < j && hasLetter(a.Text[i:j]) && !covered(chunks, i, j) {
				tb.Errorf("%s: word %q at %d is in no chunk", a.ID, a.Text[i:j], i)
				return
			}
			i = j
		}
	}
}

func covered(chunks []retrieval.Chunk, start, end int) bool {
	for _, c := range chunks {
		if c.Start <= start && end <= c.End {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func TestChunksRoundTripSeeds(t *testing.T) {
	opt := retrieval.ChunkOptions{}
	for _, a := range loadSeeds(t) {
		t.Run(a.ID, func(t *testing.T) {
			chunks := opt.Chunks(&a)
			if len(chunks) == 0 {
				t.Fatalf("got no chunks, want some")
			}
			checkChunks(t, &a, chunks, retrieval.DefaultChunkMax)
		})
	}
}

func TestChunksRoundTripMultiHop(t *testing.T) {
	t.Parallel()
	arts := loadMultiHop(t)
	opt := retrieval.ChunkOptions{}
	total, words := 0, 0
	for i := range arts {
		chunks := opt.Chunks(&arts[i])
		checkChunks(t, &arts[i], chunks, retrieval.DefaultChunkMax)
		total += len(chunks)
		for _, c := range chunks {
			words += len(strings.Fields(c.Text))
		}
		if t.Failed() {
			t.Fatalf("article %d (%s) failed", i, arts[i].ID)
		}
	}
	mean := float64(words) / float64(total)
	if mean < 100 || mean > 200 {
		t.Errorf("mean chunk size %.0f words, want about %d", mean, retrieval.DefaultChunkTarget)
	}
}

func TestChunksIndexMatchesChunks(t *testing.T) {
	t.Parallel()
	arts := loadSeeds(t)
	ix := newIndex(t, retrieval.Config{}, arts)
	for _, a := range arts {
		got := ix.Chunks(a.ID)
		want := retrieval.ChunkOptions{}.Chunks(&a)
		if len(got) != len(want) {
			t.Fatalf("%s: index has %d chunks, ChunkOptions.Chunks %d", a.ID, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s chunk %d: index %+v, ChunkOptions.Chunks %+v", a.ID, i, got[i], want[i])
			}
		}
	}
}

// chromeArticle has page chrome before, between and after its two body
// spans.
func chromeArticle() article.Article {
	var b strings.Builder
	b.WriteString("SIGN UP for our newsletter. Subscribe now!\n\n")
	start1 := b.Len()
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "Body one sentence %d tells of the summit in Alaska and its many consequences. ", i)
	}
	end1 := b.Len() - 1
	b.WriteString("\nRELATED STORIES\nClick here to read more\n")
	start2 := b.Len()
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "Body two sentence %d covers the talks in Washington. ", i)
	}
	end2 := b.Len() - 1
	b.WriteString("\nLEAVE A COMMENT\n")
	return article.Article{ID: "chrome.txt", Text: b.String(),
		Body: []article.Span{{Start: start1, End: end1}, {Start: start2, End: end2}}}
}

func TestChunksNeverIncludeChrome(t *testing.T) {
	a := chromeArticle()
	chunks := retrieval.ChunkOptions{}.Chunks(&a)
	checkChunks(t, &a, chunks, retrieval.DefaultChunkMax)
	for _, c := range chunks {
		for _, chrome := range []string{"SIGN UP", "Subscribe", "RELATED", "Click here", "COMMENT"} {
			if strings.Contains(c.Text, chrome) {
				t.Errorf("%s includes chrome %q", c.ID, chrome)
			}
		}
		if strings.Contains(c.Text, "Body one") && strings.Contains(c.Text, "Body two") {
			t.Errorf("%s crosses from one body span into the next", c.ID)
		}
	}
	// The seeds: no chunk holds the sign-up prompt after the article body.
	for _, s := range loadSeeds(t) {
		for _, c := range (retrieval.ChunkOptions{}).Chunks(&s) {
			if strings.Contains(c.Text, "Sign up to read this article") || strings.Contains(c.Text, "Leave a Reply") {
				t.Errorf("%s includes page chrome: %q", c.ID, c.Text)
			}
		}
	}
}

func TestChunkSizesAndOverlap(t *testing.T) {
	sentence := func(i, words int) string {
		w := make([]string, words)
		for j := range w {
			w[j] = fmt.Sprintf("w%dx%d", i, j)
		}
		w[0] = fmt.Sprintf("Start%d", i) // sentences open with a capital
		return strings.Join(w, " ") + "."
	}
	build := func(lengths ...int) article.Article {
		var parts []string
		for i, n := range lengths {
			parts = append(parts, sentence(i, n))
		}
		text := strings.Join(parts, " ")
		return article.Article{ID: "s.txt", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	}
	many := make([]int, 40)
	for i := range many {
		many[i] = 20
	}
	tests := []struct {
		name       string
		art        article.Article
		opt        retrieval.ChunkOptions
		wantChunks int
		wantWords  []int // per chunk, when given
	}{
		// 40 sentences of 20 words: chunks of 8 sentences (160 words),
		// each starting with the last sentence of the one before.
		{"regular", build(many...), retrieval.ChunkOptions{}, 6, []int{160, 160, 160, 160, 160, 100}},
		{"short article is one chunk", build(20, 20, 10), retrieval.ChunkOptions{}, 1, []int{50}},
		{"overlong sentence alone", build(50, 400, 50), retrieval.ChunkOptions{}, 3, []int{50, 400, 50}},
		{"huge sentence cut", build(700), retrieval.ChunkOptions{}, 3, []int{300, 300, 100}},
		// 100 + 100, then a 20-word remainder that joins the chunk before.
		{"short tail merged", build(100, 100, 20), retrieval.ChunkOptions{Target: 150, Max: 300}, 1, []int{220}},
		// Chunks of 3 sentences, each new one adding 2; the last one takes
		// the 20-word remainder.
		{"small target", build(many...), retrieval.ChunkOptions{Target: 60, Max: 100}, 19, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := tt.opt.Chunks(&tt.art)
			max := tt.opt.Max
			if max == 0 {
				max = retrieval.DefaultChunkMax
			}
			checkChunks(t, &tt.art, chunks, max)
			if len(chunks) != tt.wantChunks {
				t.Fatalf("got %d chunks, want %d", len(chunks), tt.wantChunks)
			}
			for i, c := range chunks {
				n := len(strings.Fields(c.Text))
				if tt.wantWords != nil && n != tt.wantWords[i] {
					t.Errorf("chunk %d: got %d words, want %d", i, n, tt.wantWords[i])
				}
				if i > 0 && tt.name == "regular" && c.Start >= chunks[i-1].End {
					t.Errorf("chunk %d starts at %d, after the previous chunk's end %d: want one sentence of overlap", i, c.Start, chunks[i-1].End)
				}
			}
		})
	}
}
