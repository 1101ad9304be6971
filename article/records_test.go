package article_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
)

func readRecordsFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "records", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestParseRecordsMultiHop(t *testing.T) {
	arts, skips, err := article.ParseRecords("multihop.json", readRecordsFixture(t, "multihop.json"))
	if err != nil || len(skips) != 0 {
		t.Fatalf("ParseRecords: got error %v and skips %v, want neither", err, skips)
	}
	tests := []struct {
		want article.Article
		body []string
	}{
		{
			want: article.Article{
				ID: "https://example.com/eu-sanctions", Title: "EU leaders back new Russia sanctions",
				Outlet: "The Guardian", URL: "https://example.com/eu-sanctions", Category: "world",
				PublishedAt: time.Date(2025, 8, 19, 13, 5, 0, 0, time.UTC), DateSource: "metadata",
				Text: "European Union leaders backed a new package of sanctions against Russia on Tuesday.\n\nAdvertisement\n\nThe package targets banks in third countries, two diplomats said.\n",
			},
			body: []string{
				"European Union leaders backed a new package of sanctions against Russia on Tuesday.",
				"The package targets banks in third countries, two diplomats said.",
			},
		},
		{
			want: article.Article{
				ID: "https://example.com/kremlin-summit", Title: "Kremlin cool on summit", Outlet: "The Guardian",
				Author: "Pjotr Sauer", URL: "https://example.com/kremlin-summit", Category: "world",
				PublishedAt: time.Date(2025, 8, 20, 9, 30, 0, 0, time.UTC), DateSource: "metadata",
				Text: "The Kremlin said any summit must be prepared extremely carefully.",
			},
			body: []string{"The Kremlin said any summit must be prepared extremely carefully."},
		},
		{
			want: article.Article{
				ID: "multihop.json#2", Title: "No URL, no date in metadata", Outlet: "Reuters", Author: "Jane Doe",
				Category: "business", PublishedAt: time.Date(2025, 8, 21, 0, 0, 0, 0, time.UTC), DateSource: "text",
				Text: "Published: 21 August 2025\n\nMarkets rose on hopes of a peace deal, traders said.",
			},
			body: []string{"Markets rose on hopes of a peace deal, traders said."},
		},
	}
	if len(arts) != len(tests) {
		t.Fatalf("got %d articles, want %d", len(arts), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.want.ID, func(t *testing.T) {
			got := arts[i]
			checkBody(t, got)
			var body []string
			for _, s := range got.Body {
				body = append(body, got.Text[s.Start:s.End])
			}
			if !slices.Equal(body, tt.body) {
				t.Errorf("got body %q, want %q", body, tt.body)
			}
			got.Body = nil
			if !got.PublishedAt.Equal(tt.want.PublishedAt) {
				t.Errorf("got published %v, want %v", got.PublishedAt, tt.want.PublishedAt)
			}
			got.PublishedAt = tt.want.PublishedAt
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRecordsBEIR(t *testing.T) {
	arts, skips, err := article.ParseRecords("beir.jsonl", readRecordsFixture(t, "beir.jsonl"))
	if err != nil || len(skips) != 0 {
		t.Fatalf("ParseRecords: got error %v and skips %v, want neither", err, skips)
	}
	want := []struct{ id, title, text string }{
		{"4983", "Microstructural development of human newborn cerebral white matter.", "Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical development."},
		{"5836", "Induction of myelodysplasia.", "Myelodysplastic syndromes (MDS) are age-dependent stem cell malignancies."},
		{"beir.jsonl#2", "A record with neither _id nor url", "It gets its index as its ID."},
	}
	if len(arts) != len(want) {
		t.Fatalf("got %d articles, want %d", len(arts), len(want))
	}
	for i, w := range want {
		a := arts[i]
		checkBody(t, a)
		if a.ID != w.id || a.Title != w.title || a.Text != w.text {
			t.Errorf("article %d: got ID %q, title %q, text %q; want %q, %q, %q", i, a.ID, a.Title, a.Text, w.id, w.title, w.text)
		}
		if len(a.Body) != 1 || a.Text[a.Body[0].Start:a.Body[0].End] != w.text {
			t.Errorf("article %d: got body %v, want the whole text", i, a.Body)
		}
		if !a.PublishedAt.IsZero() || a.DateSource != "" {
			t.Errorf("article %d: got date %v from %q, want none", i, a.PublishedAt, a.DateSource)
		}
	}
}

func TestParseRecordsBad(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		wantIDs   []string
		wantSkips map[string]error
		wantErr   error
	}{
		{
			name:    "bad.jsonl",
			data:    readRecordsFixture(t, "bad.jsonl"),
			wantIDs: []string{"a", "e"},
			wantSkips: map[string]error{
				"bad.jsonl:line 2": article.ErrBadJSON,
				"bad.jsonl:line 3": article.ErrNoText,
				"bad.jsonl:line 4": article.ErrBadRecord,
				"bad.jsonl:line 5": article.ErrBadRecord,
				"bad.jsonl:line 6": article.ErrBadRecord,
			},
		},
		{
			name:    "mixed.json",
			data:    readRecordsFixture(t, "mixed.json"),
			wantIDs: []string{"one", "four"},
			wantSkips: map[string]error{
				"mixed.json#1": article.ErrBadRecord,
				"mixed.json#2": article.ErrNoText,
			},
		},
		{name: "cut.json", data: []byte(`[{"_id": "a", "text": "x"}, {"_id": "b", "te`), wantErr: article.ErrBadJSON},
		{name: "trailing.json", data: []byte(`[{"_id": "a", "text": "x"}] {}`), wantErr: article.ErrBadJSON},
		{name: "object.json", data: []byte(`{"_id": "a", "text": "x"}`), wantErr: article.ErrNotRecords},
		{name: "numbers.json", data: []byte(`[1, 2, 3]`), wantErr: article.ErrNotRecords},
		{name: "garbage.jsonl", data: []byte("not json\nat all\n"), wantErr: article.ErrNotRecords},
		{name: "empty.jsonl", data: []byte("\n \n"), wantErr: article.ErrEmpty},
		{name: "latin1.jsonl", data: []byte("{\"text\": \"caf\xe9\"}\n"), wantErr: article.ErrNotUTF8},
		{name: "empty-array.json", data: []byte(" [ ] "), wantIDs: nil},
		{name: "bom.json", data: []byte("\xef\xbb\xbf[{\"_id\": \"a\", \"text\": \"x\"}]"), wantIDs: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arts, skips, err := article.ParseRecords(tt.name, tt.data)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got := ids(arts); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("got IDs %q, want %q", got, tt.wantIDs)
			}
			if len(skips) != len(tt.wantSkips) {
				t.Errorf("got %d skips %v, want %d", len(skips), skips, len(tt.wantSkips))
			}
			for _, s := range skips {
				want, ok := tt.wantSkips[s.Name]
				if !ok || !errors.Is(s.Err, want) || s.Reason == "" {
					t.Errorf("got skip %s (%v), want %v", s, s.Err, want)
				}
			}
		})
	}
}

const (
	multiHopPath = "multihop-rag/corpus.json"
	sciFactPath  = "scifact/corpus.jsonl"
)

func TestLoadBenchmarkCorpora(t *testing.T) {
	tests := []struct {
		path          string
		n             int
		firstID       string
		firstTitle    string
		firstOutlet   string
		firstDate     time.Time
		firstDateFrom string
	}{
		{multiHopPath, 609, "https://mashable.com/article/cyber-monday-deals-amazon-2023",
			"200+ of the best deals from Amazon's Cyber Monday sale", "Mashable",
			time.Date(2023, 11, 27, 8, 45, 59, 0, time.UTC), "metadata"},
		{sciFactPath, 5183, "4983",
			"Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor magnetic resonance imaging.",
			"", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			arts, skips, err := article.Load(benchdata.Path(t, tt.path))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(arts) != tt.n || len(skips) != 0 {
				t.Fatalf("got %d articles and skips %v, want %d and none", len(arts), skips, tt.n)
			}
			a := arts[0]
			if a.ID != tt.firstID || a.Title != tt.firstTitle || a.Outlet != tt.firstOutlet ||
				!a.PublishedAt.Equal(tt.firstDate) || a.DateSource != tt.firstDateFrom {
				t.Errorf("got first article %q %q %q %v %q, want %q %q %q %v %q", a.ID, a.Title, a.Outlet, a.PublishedAt, a.DateSource,
					tt.firstID, tt.firstTitle, tt.firstOutlet, tt.firstDate, tt.firstDateFrom)
			}
			seen := make(map[string]bool)
			for _, a := range arts {
				checkBody(t, a)
				if seen[a.ID] {
					t.Fatalf("got ID %q twice", a.ID)
				}
				seen[a.ID] = true
				if len(a.Body) == 0 {
					t.Fatalf("%s: got no body", a.ID)
				}
			}
		})
	}
}

func benchmarkLoad(b *testing.B, path string, n int) {
	path = benchdata.Path(b, path)
	b.ReportAllocs()
	for b.Loop() {
		arts, _, err := article.Load(path)
		if err != nil || len(arts) != n {
			b.Fatalf("Load: got %d articles and error %v, want %d", len(arts), err, n)
		}
	}
}

func BenchmarkLoadMultiHop(b *testing.B) { benchmarkLoad(b, multiHopPath, 609) }

func BenchmarkLoadSciFact(b *testing.B) { benchmarkLoad(b, sciFactPath, 5183) }

func FuzzParseRecords(f *testing.F) {
	for _, name := range []string{"multihop.json", "beir.jsonl", "bad.jsonl", "mixed.json"} {
		f.Add(name, readRecordsFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		arts, _, err := article.ParseRecords(name, data)
		if err != nil && len(arts) > 0 {
			t.Fatalf("got %d articles with error %v", len(arts), err)
		}
		for _, a := range arts {
			if a.ID == "" || len(a.Body) == 0 {
				t.Fatalf("got article with ID %q and %d body spans", a.ID, len(a.Body))
			}
			checkBody(t, a)
		}
	})
}

// TestParseRecordsURL checks that a record's url is its source link only
// when it is an http or https URL.
func TestParseRecordsURL(t *testing.T) {
	tests := []struct{ url, wantURL, wantID string }{
		{"https://example.com/a", "https://example.com/a", "https://example.com/a"},
		{"javascript:alert(1)", "", "r.jsonl#0"},
		{"file:///etc/passwd", "", "r.jsonl#0"},
	}
	for _, tt := range tests {
		rec := `{"title":"Talks resume","url":"` + tt.url + `","body":"The talks resumed on Thursday, officials said."}` + "\n"
		arts, skips, err := article.ParseRecords("r.jsonl", []byte(rec))
		if err != nil || len(arts) != 1 {
			t.Fatalf("ParseRecords(url %s): %v, %v, %v", tt.url, arts, skips, err)
		}
		if arts[0].URL != tt.wantURL || arts[0].ID != tt.wantID {
			t.Errorf("url %s: got URL %q, ID %q; want %q, %q", tt.url, arts[0].URL, arts[0].ID, tt.wantURL, tt.wantID)
		}
	}
}
