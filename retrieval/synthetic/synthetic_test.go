package synthetic_test

import (
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval/synthetic"
)

func TestArticlesDeterministic(t *testing.T) {
	g1, g2 := synthetic.New(1), synthetic.New(1)
	other := synthetic.New(2)
	for i := 0; i < 20; i++ {
		a, b := g1.Article(i), g2.Article(i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("article %d differs between two generators of the same seed", i)
		}
		if c := other.Article(i); c.Text == a.Text {
			t.Errorf("article %d: the same text under another seed", i)
		}
		if g1.Question(i, 100) != g2.Question(i, 100) {
			t.Errorf("question %d differs between two generators of the same seed", i)
		}
	}
	// Concurrent calls give the same articles.
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if a := g1.Article(i); !reflect.DeepEqual(a, g2.Article(i)) {
					t.Errorf("concurrent article %d differs", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestArticlesLookLikeNews(t *testing.T) {
	g := synthetic.New(1)
	counts := map[string]int{}
	words := 0
	for i := 0; i < 200; i++ {
		a := g.Article(i)
		if a.ID != synthetic.ArticleID(i) || a.Title == "" || a.Outlet == "" || a.PublishedAt.IsZero() {
			t.Fatalf("article %d: ID %q, title %q, outlet %q, date %v", i, a.ID, a.Title, a.Outlet, a.PublishedAt)
		}
		if len(a.Body) != 1 || a.Body[0].Start != 0 || a.Body[0].End != len(a.Text) {
			t.Fatalf("article %d: body %v, want one span over the %d bytes", i, a.Body, len(a.Text))
		}
		n := len(strings.Fields(a.Text))
		if n < 400 || n > 1600 {
			t.Errorf("article %d: %d words, want 400 to 1,600", i, n)
		}
		for _, w := range strings.Fields(strings.ToLower(a.Text)) {
			counts[strings.Trim(w, ".,?“”")]++
			words++
		}
	}
	type wc struct {
		w string
		n int
	}
	var top []wc
	for w, n := range counts {
		top = append(top, wc{w, n})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n })
	// Zipfian: "the" leads, the ten commonest words make up a fifth or
	// more of the text, and half the distinct words occur once or twice.
	if top[0].w != "the" {
		t.Errorf("commonest word %q, want \"the\"", top[0].w)
	}
	head := 0
	for _, x := range top[:10] {
		head += x.n
	}
	if share := float64(head) / float64(words); share < 0.15 || share > 0.4 {
		t.Errorf("the ten commonest words are %.2f of the text, want 0.15 to 0.4", share)
	}
	rare := 0
	for _, x := range top {
		if x.n <= 2 {
			rare++
		}
	}
	if float64(rare) < 0.4*float64(len(top)) {
		t.Errorf("%d of %d distinct words occur at most twice, want a long tail", rare, len(top))
	}
}

func TestQuestionsNameTheirArticle(t *testing.T) {
	g := synthetic.New(1)
	const n = 50
	var texts []string
	for i := 0; i < n; i++ {
		a := g.Article(i)
		texts = append(texts, a.Title+" "+a.Text)
	}
	for i := 0; i < 30; i++ {
		q := g.Question(i, n)
		// The capitalised name in the question occurs in some article.
		name := ""
		for _, w := range strings.Fields(q)[1:] {
			if w[0] >= 'A' && w[0] <= 'Z' {
				name = strings.Trim(w, "?")
				break
			}
		}
		if name == "" { // "Name subject subject"
			name = strings.Fields(q)[0]
		}
		found := false
		for _, text := range texts {
			found = found || strings.Contains(text, name)
		}
		if !found {
			t.Errorf("question %q: %q occurs in none of the %d articles", q, name, n)
		}
	}
}
