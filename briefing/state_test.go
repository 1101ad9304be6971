package briefing

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

func TestMarkChanges(t *testing.T) {
	prev := State{Channel: "C1", Stories: []StoryState{
		{Key: "a", Articles: []string{"a", "b"}},
		{Key: "c", Articles: []string{"c"}},
		{Key: "x", Articles: []string{"x"}},
	}}
	tests := []struct {
		name        string
		articles    []string
		new         bool
		updated     bool
		newArticles []string
	}{
		{"same articles", []string{"a", "b"}, false, false, nil},
		{"fewer articles", []string{"b"}, false, false, nil},
		{"one more article", []string{"a", "b", "d"}, false, true, []string{"d"}},
		{"no shared article", []string{"e", "f"}, true, false, nil},
		{"grown from another story", []string{"c", "g"}, false, true, []string{"g"}},
		{"two old stories merged", []string{"a", "c"}, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories := []Story{{Articles: tt.articles, New: !tt.new, Updated: !tt.updated}}
			markChanges(stories, prev)
			s := stories[0]
			if s.New != tt.new || s.Updated != tt.updated || !slices.Equal(s.NewArticles, tt.newArticles) {
				t.Errorf("got new %v updated %v new articles %v, want %v %v %v", s.New, s.Updated, s.NewArticles, tt.new, tt.updated, tt.newArticles)
			}
		})
	}
}

// TestSinceLastBriefing builds the seeds' briefing, keeps its state as if
// posted, and builds again against it, and against states that lack a story
// or an article.
func TestSinceLastBriefing(t *testing.T) {
	ix := seedIndex(t)
	b := NewBuilder(ix, Options{}, nil)
	first, err := b.Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	posted := time.Date(2025, 8, 20, 8, 0, 0, 0, time.UTC)
	st := first.State("C1", posted)
	if st.Channel != "C1" || !st.PostedAt.Equal(posted) || len(st.Stories) != len(first.Stories) {
		t.Fatalf("got state %+v, want channel C1, posted %v, %d stories", st, posted, len(first.Stories))
	}
	dropped := first.Stories[0].Articles[len(first.Stories[0].Articles)-1]
	lacking := first.State("C1", posted)
	lacking.Stories[0].Articles = lacking.Stories[0].Articles[:len(lacking.Stories[0].Articles)-1]
	tests := []struct {
		name        string
		since       State
		new         bool
		updated     bool
		newArticles []string
	}{
		{"nothing changed", st, false, false, nil},
		{"first briefing", State{Channel: "C1"}, true, false, nil},
		{"an article is new", lacking, false, true, []string{dropped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br, err := b.Build(context.Background(), Request{Since: &tt.since})
			if err != nil {
				t.Fatal(err)
			}
			s := br.Stories[0]
			if s.New != tt.new || s.Updated != tt.updated || !slices.Equal(s.NewArticles, tt.newArticles) {
				t.Errorf("got new %v updated %v new articles %v, want %v %v %v", s.New, s.Updated, s.NewArticles, tt.new, tt.updated, tt.newArticles)
			}
			if want := tt.since.PostedAt; !want.IsZero() && br.Since != want.Format(time.RFC3339) {
				t.Errorf("got since %q, want %q", br.Since, want.Format(time.RFC3339))
			}
		})
	}
}

func TestStateStore(t *testing.T) {
	dir := t.TempDir()
	store := StateStore{Dir: dir}
	if _, err := store.Load("C1"); !errors.Is(err, ErrNoState) {
		t.Fatalf("Load of a new channel: got %v, want ErrNoState", err)
	}
	states := []State{
		{Channel: "C1", PostedAt: time.Date(2025, 8, 19, 8, 0, 0, 0, time.UTC), Stories: []StoryState{{Key: "a", Articles: []string{"a", "b"}}}},
		{Channel: "../../etc/passwd", PostedAt: time.Date(2025, 8, 19, 9, 0, 0, 0, time.UTC), Stories: []StoryState{}},
		{Channel: "C1", PostedAt: time.Date(2025, 8, 20, 8, 0, 0, 0, time.UTC), Stories: []StoryState{{Key: "c", Articles: []string{"c"}}}},
	}
	for _, st := range states {
		if err := store.Save(st); err != nil {
			t.Fatalf("Save(%q): %v", st.Channel, err)
		}
		got, err := store.Load(st.Channel)
		if err != nil {
			t.Fatalf("Load(%q): %v", st.Channel, err)
		}
		if got.Channel != st.Channel || !got.PostedAt.Equal(st.PostedAt) || len(got.Stories) != len(st.Stories) ||
			(len(st.Stories) > 0 && !slices.Equal(got.Stories[0].Articles, st.Stories[0].Articles)) {
			t.Errorf("Load(%q): got %+v, want %+v", st.Channel, got, st)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("got files %q in the data dir, want one per channel and no temporary files", names)
	}
	if err := os.WriteFile(store.path("bad"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load("bad"); err == nil || errors.Is(err, ErrNoState) {
		t.Errorf("Load of a corrupt file: got %v, want a decoding error", err)
	}
}
