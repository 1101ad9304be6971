package retrieval_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

func TestSearchSeedQuestions(t *testing.T) {
	t.Parallel()
	arts := loadSeeds(t)
	tests := []struct {
		question string
		articles []string // the top hit's article is one of these (ID prefixes)
		contains []string // the top hit's text has all of these
	}{
		{"What did Leavitt say about US boots on the ground?", []string{"000", "002"}, []string{"Leavitt", "boots"}},
		{"How much did Zelenskyy offer to spend on American weapons?", []string{"001", "004"}, []string{"bn", "weapons"}},
		{"Which city is the White House eyeing for the Putin-Zelenskyy summit?", []string{"002"}, []string{"Budapest"}},
		{"What gift did Zelenskyy give Trump?", []string{"002"}, []string{"golf club"}},
		{"Who did Lavrov suggest as security guarantors?", []string{"004"}, []string{"permanent members"}},
		{"Did Merz think a Putin-Zelenskyy meeting could happen without a ceasefire?", []string{"003"}, []string{"Merz", "ceasefire"}},
		{"What did Witkoff say about Article 5-like protection?", []string{"000", "004"}, []string{"Witkoff", "Article 5"}},
	}
	for _, lexicalOnly := range []bool{false, true} {
		cfg := retrieval.Config{}
		name := "hybrid"
		if lexicalOnly {
			tu := retrieval.DefaultTuning()
			tu.VectorWeight = -1
			cfg.Tuning = &tu
			name = "lexical"
		}
		ix := newIndex(t, cfg, arts)
		for _, tt := range tests {
			t.Run(name+"/"+tt.question, func(t *testing.T) {
				hits, err := ix.Search(context.Background(), retrieval.Query{Text: tt.question, K: 5})
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 {
					t.Fatal("got no hits")
				}
				top := hits[0]
				ok := false
				for _, p := range tt.articles {
					ok = ok || strings.HasPrefix(top.Chunk.ArticleID, p)
				}
				if !ok {
					t.Errorf("top hit from %s, want one of %v", top.Chunk.ArticleID, tt.articles)
				}
				for _, s := range tt.contains {
					if !strings.Contains(top.Chunk.Text, s) {
						t.Errorf("top hit %s lacks %q: %q", top.Chunk.ID, s, top.Chunk.Text)
					}
				}
				if top.Article == nil || top.Article.ID != top.Chunk.ArticleID {
					t.Errorf("hit's Article is %v, want the article %s", top.Article, top.Chunk.ArticleID)
				}
				for i := 1; i < len(hits); i++ {
					if hits[i].Score > hits[i-1].Score {
						t.Errorf("hit %d scores %v, above hit %d's %v", i, hits[i].Score, i-1, hits[i-1].Score)
					}
				}
				if lexicalOnly && top.Vector != 0 {
					t.Errorf("lexical-only search: got Vector %v, want 0", top.Vector)
				}
				if !lexicalOnly && (top.Lexical <= 0 || top.Vector <= 0) {
					t.Errorf("hybrid top hit: got Lexical %v and Vector %v, want both > 0", top.Lexical, top.Vector)
				}
			})
		}
	}
}

func TestSearchEdgeCases(t *testing.T) {
	ix := newIndex(t, retrieval.Config{}, loadSeeds(t))
	ctx := context.Background()
	tests := []struct {
		name  string
		q     retrieval.Query
		count int // -1: at least one
	}{
		{"empty query", retrieval.Query{Text: ""}, 0},
		{"white space", retrieval.Query{Text: "  \n\t "}, 0},
		{"stop words only", retrieval.Query{Text: "what is the of and"}, 0},
		{"punctuation only", retrieval.Query{Text: "?!…"}, 0},
		{"K defaults to 10", retrieval.Query{Text: "Ukraine security guarantees Trump"}, 10},
		{"K honoured", retrieval.Query{Text: "Ukraine security guarantees Trump", K: 3}, 3},
		{"K above the chunk count", retrieval.Query{Text: "Ukraine", K: 10000}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := ix.Search(ctx, tt.q)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			switch {
			case tt.count >= 0 && len(hits) != tt.count:
				t.Errorf("got %d hits, want %d", len(hits), tt.count)
			case tt.count < 0 && len(hits) == 0:
				t.Errorf("got no hits, want some")
			}
			seen := map[string]bool{}
			for _, h := range hits {
				if seen[h.Chunk.ID] {
					t.Errorf("chunk %s returned twice", h.Chunk.ID)
				}
				seen[h.Chunk.ID] = true
			}
		})
	}
	t.Run("empty index", func(t *testing.T) {
		empty := newIndex(t, retrieval.Config{}, nil)
		hits, err := empty.Search(ctx, retrieval.Query{Text: "Ukraine"})
		if err != nil || len(hits) != 0 {
			t.Errorf("got %d hits and error %v, want none", len(hits), err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := ix.Search(cctx, retrieval.Query{Text: "Ukraine"}); !errors.Is(err, context.Canceled) {
			t.Errorf("got error %v, want context.Canceled", err)
		}
	})
}

// filterSeeds returns the seeds with outlets and dates set for the filter
// tests: 001 has no outlet and 003 no date.
func filterSeeds(t *testing.T) []article.Article {
	arts := loadSeeds(t)
	meta := map[string]struct {
		outlet string
		date   time.Time
	}{
		"000": {"The Independent", time.Date(2025, 8, 19, 9, 0, 0, 0, time.UTC)},
		"001": {"", time.Date(2025, 8, 18, 22, 0, 0, 0, time.UTC)},
		"002": {"The Guardian", time.Date(2025, 8, 19, 15, 30, 0, 0, time.UTC)},
		"003": {"Daily Example", time.Time{}},
		"004": {"the guardian", time.Date(2025, 8, 20, 6, 0, 0, 0, time.UTC)},
	}
	for i := range arts {
		m := meta[arts[i].ID[:3]]
		arts[i].Outlet, arts[i].PublishedAt = m.outlet, m.date
	}
	return arts
}

func TestSearchFilters(t *testing.T) {
	arts := filterSeeds(t)
	ix := newIndex(t, retrieval.Config{}, arts)
	day := func(d int) time.Time { return time.Date(2025, 8, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		filter retrieval.Filter
		want   []string // the set of articles the hits may come from; nil: no hits
	}{
		{"outlet substring, any case", retrieval.Filter{Outlets: []string{"GUARDIAN"}}, []string{"002", "004"}},
		{"several outlets", retrieval.Filter{Outlets: []string{"guardian", "Independent"}}, []string{"000", "002", "004"}},
		{"blank outlet ignored", retrieval.Filter{Outlets: []string{" "}}, []string{"000", "001", "002", "003", "004"}},
		{"unknown outlet", retrieval.Filter{Outlets: []string{"Reuters"}}, nil},
		{"one day, inclusive", retrieval.Filter{From: day(19), To: day(19)}, []string{"000", "002"}},
		{"from only", retrieval.Filter{From: day(20)}, []string{"004"}},
		{"to only", retrieval.Filter{To: day(18)}, []string{"001"}},
		{"to with a clock is exact", retrieval.Filter{To: time.Date(2025, 8, 19, 12, 0, 0, 0, time.UTC)}, []string{"000", "001"}},
		{"range excludes unknown dates", retrieval.Filter{From: day(1), To: day(31)}, []string{"000", "001", "002", "004"}},
		{"article IDs", retrieval.Filter{ArticleIDs: []string{seedID("003", arts)}}, []string{"003"}},
		{"outlet and date", retrieval.Filter{Outlets: []string{"guardian"}, From: day(20)}, []string{"004"}},
		{"nothing passes", retrieval.Filter{ArticleIDs: []string{"no-such-article"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, diverse := range []bool{false, true} {
				hits, err := ix.Search(context.Background(), retrieval.Query{Text: "Trump Putin Zelenskyy Ukraine security", K: 50, Filter: tt.filter, Diverse: diverse})
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == nil {
					if len(hits) != 0 {
						t.Errorf("got %d hits, want none", len(hits))
					}
					continue
				}
				got := map[string]bool{}
				for _, h := range hits {
					got[h.Chunk.ArticleID[:3]] = true
				}
				for a := range got {
					if !slices.Contains(tt.want, a) {
						t.Errorf("diverse=%v: got a hit from %s, want only %v", diverse, a, tt.want)
					}
				}
				for _, a := range tt.want {
					if !got[a] {
						t.Errorf("diverse=%v: got no hit from %s, want hits from each of %v", diverse, a, tt.want)
					}
				}
			}
		})
	}
}

func TestSearchDiverse(t *testing.T) {
	arts := filterSeeds(t)
	ix := newIndex(t, retrieval.Config{}, arts)
	ctx := context.Background()
	tests := []struct {
		q           string
		minArticles int // distinct articles wanted in the top 5
	}{
		{"security guarantees for Ukraine", 4},                            // every seed covers them
		{"Will Putin and Zelenskyy meet?", 3},                             // every seed
		{"What did Leavitt say about US boots on the ground?", 2},         // 000 and 002 quote her
		{"How much did Zelenskyy offer to spend on American weapons?", 2}, // 001 and 004
	}
	for _, tt := range tests {
		q := tt.q
		t.Run(q, func(t *testing.T) {
			plain, err := ix.Search(ctx, retrieval.Query{Text: q, K: 5})
			if err != nil {
				t.Fatal(err)
			}
			div, err := ix.Search(ctx, retrieval.Query{Text: q, K: 5, Diverse: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(div) != 5 {
				t.Fatalf("got %d diverse hits, want 5", len(div))
			}
			distinct := func(hs []retrieval.Hit) int {
				m := map[string]bool{}
				for _, h := range hs {
					m[h.Chunk.ArticleID] = true
				}
				return len(m)
			}
			if d := distinct(div); d < tt.minArticles || d < distinct(plain) {
				t.Errorf("diverse hits come from %d articles %v (plain: %d), want at least %d and no fewer than plain", d, articleIDs(div), distinct(plain), tt.minArticles)
			}
			if plain[0].Chunk.ID != div[0].Chunk.ID {
				t.Errorf("diverse top hit %s, want the plain top hit %s", div[0].Chunk.ID, plain[0].Chunk.ID)
			}
			// Both Guardian articles (002, 004) should not fill the top 3
			// while others answer too.
			guardian := 0
			for _, h := range div[:3] {
				if strings.Contains(strings.ToLower(h.Article.Outlet), "guardian") {
					guardian++
				}
			}
			if guardian > 2 {
				t.Errorf("top 3 diverse hits: %d from the Guardian (%v)", guardian, articleIDs(div[:3]))
			}
			for i := 1; i < len(div); i++ {
				if div[i].Score > div[i-1].Score {
					t.Errorf("diverse hit %d scores %v, above hit %d's %v", i, div[i].Score, i-1, div[i-1].Score)
				}
			}
		})
	}
}

func TestIDF(t *testing.T) {
	ix := newIndex(t, retrieval.Config{}, loadSeeds(t))
	n := float64(ix.ChunkCount())
	maxIDF := math.Log(1 + (n+0.5)/0.5)
	tests := []struct {
		name  string
		check func(float64) bool
		term  string
	}{
		{"unknown term gets the max", func(v float64) bool { return v == maxIDF }, "zzzunknown"},
		{"stop word is unknown", func(v float64) bool { return v == maxIDF }, "the"},
		{"common term is low", func(v float64) bool { return v < 1 }, "ukrain"},
		{"rare term is high", func(v float64) bool { return v > 2 && v < maxIDF }, "golf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.IDF(tt.term); !tt.check(got) {
				t.Errorf("IDF(%q) = %v (max %v)", tt.term, got, maxIDF)
			}
		})
	}
	if a, b := ix.IDF("golf"), ix.IDF("ukrain"); a <= b {
		t.Errorf("IDF(golf) = %v, IDF(ukrain) = %v: want the rarer term higher", a, b)
	}
}

func TestArticles(t *testing.T) {
	arts := loadSeeds(t)
	ix := newIndex(t, retrieval.Config{}, arts)
	got := ix.Articles()
	if len(got) != len(arts) || ix.Len() != len(arts) {
		t.Fatalf("got %d articles (Len %d), want %d", len(got), ix.Len(), len(arts))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].ID >= got[i].ID {
			t.Errorf("Articles not ordered by ID: %s before %s", got[i-1].ID, got[i].ID)
		}
	}
	a, ok := ix.Article(arts[2].ID)
	if !ok || a.Text != arts[2].Text {
		t.Errorf("Article(%s): got ok=%v, want the article", arts[2].ID, ok)
	}
	if _, ok := ix.Article("nope"); ok {
		t.Error("Article(nope): got ok, want not found")
	}
	if n, err := ix.Remove(context.Background(), arts[2].ID, "nope"); err != nil || n != 1 {
		t.Fatalf("Remove: got %d, %v, want 1, nil", n, err)
	}
	hits, err := ix.Search(context.Background(), retrieval.Query{Text: "golf club Kartavtsev", K: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Chunk.ArticleID == arts[2].ID {
			t.Errorf("removed article %s still found", arts[2].ID)
		}
	}
	if ix.Len() != len(arts)-1 || ix.Chunks(arts[2].ID) != nil {
		t.Errorf("after Remove: Len %d, chunks %v", ix.Len(), ix.Chunks(arts[2].ID))
	}
}

// failingEmbedder fails for queries once armed, and counts calls.
type failingEmbedder struct {
	mu    sync.Mutex
	armed bool
	inner func(context.Context, string) ([]float32, error)
}

func (f *failingEmbedder) embed(ctx context.Context, text string) ([]float32, error) {
	f.mu.Lock()
	armed := f.armed
	f.mu.Unlock()
	if armed {
		return nil, errors.New("embedding service down")
	}
	return f.inner(ctx, text)
}

func TestSearchSurvivesEmbedderFailure(t *testing.T) {
	fe := &failingEmbedder{inner: retrieval.LocalEmbedder()}
	arts := loadSeeds(t)
	ix := newIndex(t, retrieval.Config{Embed: fe.embed, EmbedModel: "flaky"}, arts[:3])
	fe.mu.Lock()
	fe.armed = true
	fe.mu.Unlock()
	hits, err := ix.Search(context.Background(), retrieval.Query{Text: "golf club gift", K: 3})
	if err != nil {
		t.Fatalf("Search: got %v, want lexical results and no error", err)
	}
	if len(hits) == 0 || hits[0].Vector != 0 || !strings.Contains(hits[0].Chunk.Text, "golf") {
		t.Fatalf("got %d hits (top %+v), want lexical hits about golf", len(hits), hits)
	}
	// Adding while the embedder fails is an error and changes nothing.
	before := ix.ChunkCount()
	if _, err := ix.Add(context.Background(), arts[3:]); err == nil {
		t.Error("Add with a failing embedder: got no error, want one")
	}
	if ix.Len() != 3 || ix.ChunkCount() != before {
		t.Errorf("after a failed Add: %d articles and %d chunks, want 3 and %d", ix.Len(), ix.ChunkCount(), before)
	}
}

func TestConcurrentSearchAndAdd(t *testing.T) {
	t.Parallel()
	arts := loadSeeds(t)
	ix := newIndex(t, retrieval.Config{}, arts[:2])
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				hits, err := ix.Search(ctx, retrieval.Query{Text: "security guarantees Ukraine Leavitt", K: 5, Diverse: true})
				if err != nil {
					t.Error(err)
					return
				}
				for _, h := range hits {
					if h.Article == nil || h.Chunk.Text != h.Article.Text[h.Chunk.Start:h.Chunk.End] {
						t.Errorf("hit %s inconsistent with its article", h.Chunk.ID)
						return
					}
				}
				_ = ix.IDF("ukrain")
				_ = ix.Articles()
			}
		}()
	}
	for round := 0; round < 4; round++ {
		changed := slices.Clone(arts)
		for i := range changed {
			changed[i].Text += strings.Repeat(" ", round) // new hash, same body
		}
		if _, err := ix.Add(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if _, err := ix.Remove(ctx, arts[4].ID); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if ix.Len() != 4 {
		t.Errorf("got %d articles, want 4", ix.Len())
	}
}

func TestAddEdgeCases(t *testing.T) {
	ctx := context.Background()
	arts := loadSeeds(t)
	t.Run("empty ID", func(t *testing.T) {
		ix := newIndex(t, retrieval.Config{}, nil)
		if _, err := ix.Add(ctx, []article.Article{{Text: "x", Body: []article.Span{{Start: 0, End: 1}}}}); err == nil {
			t.Error("got no error, want one")
		}
	})
	t.Run("article without body", func(t *testing.T) {
		ix := newIndex(t, retrieval.Config{}, nil)
		empty := article.Article{ID: "empty.txt", Text: "Sign up now"}
		st, err := ix.Add(ctx, []article.Article{empty, arts[0]})
		if err != nil {
			t.Fatal(err)
		}
		if st.Added != 2 || ix.Len() != 2 || len(ix.Chunks("empty.txt")) != 0 {
			t.Errorf("got %+v, %d articles, %d chunks of the empty one; want 2 added, 2 articles, 0 chunks", st, ix.Len(), len(ix.Chunks("empty.txt")))
		}
	})
	t.Run("duplicate IDs: the last wins", func(t *testing.T) {
		ix := newIndex(t, retrieval.Config{}, nil)
		a, b := arts[0], arts[0]
		b.Title = "Second copy"
		st, err := ix.Add(ctx, []article.Article{a, b})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := ix.Article(a.ID)
		if st.Added != 1 || got.Title != "Second copy" {
			t.Errorf("got %+v and title %q, want 1 added with the second copy's title", st, got.Title)
		}
	})
	t.Run("caller's slices are not shared", func(t *testing.T) {
		ix := newIndex(t, retrieval.Config{}, nil)
		a := arts[0]
		a.Body = slices.Clone(a.Body)
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		a.Body[0].Start = 0
		got, _ := ix.Article(a.ID)
		if got.Body[0].Start == 0 && arts[0].Body[0].Start != 0 {
			t.Error("changing the caller's Body changed the indexed article")
		}
	})
	t.Run("default tuning by model", func(t *testing.T) {
		if retrieval.DefaultTuningFor(retrieval.LocalModel) != retrieval.DefaultTuning() {
			t.Error("DefaultTuningFor(LocalModel) differs from DefaultTuning()")
		}
		if got := retrieval.DefaultTuningFor("text-embedding-3-small"); got.Fusion != retrieval.FusionRRF || got.VectorWeight != got.LexicalWeight {
			t.Errorf("DefaultTuningFor(semantic model): got %+v, want equal-weight RRF", got)
		}
	})
}

// searchAll runs questions with and without filters and diversity and
// returns every hit, for comparing two indexes.
func searchAll(tb testing.TB, ix *retrieval.Index, qs []string, filter retrieval.Filter) [][]retrieval.Hit {
	tb.Helper()
	var out [][]retrieval.Hit
	for _, q := range qs {
		for _, diverse := range []bool{false, true} {
			for _, f := range []retrieval.Filter{{}, filter} {
				hits, err := ix.Search(context.Background(), retrieval.Query{Text: q, K: 10, Diverse: diverse, Filter: f})
				if err != nil {
					tb.Fatal(err)
				}
				out = append(out, hits)
			}
		}
	}
	return out
}

func sameHits(a, b []retrieval.Hit) bool {
	return slices.EqualFunc(a, b, func(x, y retrieval.Hit) bool {
		return x.Chunk == y.Chunk && x.Score == y.Score && x.Lexical == y.Lexical && x.Vector == y.Vector && x.Article.ID == y.Article.ID
	})
}

// TestIncrementalMatchesBulk builds an index in several Adds, with updates
// and removals along the way, and checks that it answers exactly as an
// index built in one Add of the final articles: the merged posting lists,
// renumbered chunks and reused vector slots change nothing.
func TestIncrementalMatchesBulk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	all := synthArticles(t, 1200)
	n := len(all)
	qs := synthQuestions(12, n)
	for _, tuning := range []string{"default", "prf"} {
		t.Run(tuning, func(t *testing.T) {
			cfg := retrieval.Config{}
			if tuning == "prf" {
				tu := retrieval.DefaultTuning()
				tu.PRFDocs = 5
				cfg.Tuning = &tu
			}
			inc := newIndex(t, cfg, nil)
			// Add in an order other than by ID, in three parts.
			order := make([]article.Article, 0, n)
			for i := 0; i < n; i += 2 {
				order = append(order, all[i])
			}
			for i := n - 1 - n%2; i >= 1; i -= 2 {
				order = append(order, all[i])
			}
			for _, part := range [][]article.Article{order[:n/3], order[n/3 : 2*n/3], order[2*n/3:]} {
				if _, err := inc.Add(ctx, part); err != nil {
					t.Fatal(err)
				}
			}
			// Update a few articles, remove others, add one back.
			final := slices.Clone(all)
			changed := []article.Article{}
			for _, i := range []int{3, 40, n - 2} {
				final[i].Title += " updated"
				changed = append(changed, final[i])
			}
			if st, err := inc.Add(ctx, changed); err != nil || st.Updated != 3 {
				t.Fatalf("update: %+v, %v", st, err)
			}
			removed := []string{all[10].ID, all[11].ID, all[n/2].ID}
			if got, err := inc.Remove(ctx, removed...); err != nil || got != 3 {
				t.Fatalf("Remove: %d, %v", got, err)
			}
			if _, err := inc.Add(ctx, []article.Article{all[11]}); err != nil {
				t.Fatal(err)
			}
			final = slices.DeleteFunc(final, func(a article.Article) bool { return a.ID == all[10].ID || a.ID == all[n/2].ID })

			bulk := newIndex(t, cfg, final)
			if inc.ChunkCount() != bulk.ChunkCount() || inc.Len() != bulk.Len() {
				t.Fatalf("incremental index: %d articles, %d chunks; bulk %d, %d", inc.Len(), inc.ChunkCount(), bulk.Len(), bulk.ChunkCount())
			}
			filter := retrieval.Filter{Outlets: []string{"guardian", "reuters"}}
			got, want := searchAll(t, inc, qs, filter), searchAll(t, bulk, qs, filter)
			for i := range want {
				if !sameHits(got[i], want[i]) {
					for j := range want[i] {
						if j < len(got[i]) {
							t.Logf("%d: got %s %v %v %v, want %s %v %v %v", j, got[i][j].Chunk.ID, got[i][j].Score, got[i][j].Lexical, got[i][j].Vector, want[i][j].Chunk.ID, want[i][j].Score, want[i][j].Lexical, want[i][j].Vector)
						}
					}
					t.Fatalf("search %d: incremental index gives %v, bulk %v", i, articleIDs(got[i]), articleIDs(want[i]))
				}
			}
			for _, term := range []string{"govern", "the", "zzz", "white hous"} {
				if a, b := inc.IDF(term), bulk.IDF(term); a != b {
					t.Errorf("IDF(%q): incremental %v, bulk %v", term, a, b)
				}
			}
		})
	}
}
