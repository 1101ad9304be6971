package retrieval

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// setMemoryLimit sets the process's memory limit for a test and puts the
// one before back after it.
func setMemoryLimit(t testing.TB, limit int64) {
	t.Helper()
	prev := debug.SetMemoryLimit(limit)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
}

func TestMemArbiter(t *testing.T) {
	const none = math.MaxInt64
	type step struct {
		op    string // "enter", "want", "leave", "user" (the program sets the limit)
		guard int
		limit int64
		want  int64 // the process's limit after the step
	}
	tests := []struct {
		name  string
		start int64
		steps []step
	}{
		{"one guard, restored", none, []step{
			{"enter", 0, 0, none},
			{"want", 0, 1 << 30, 1 << 30},
			{"want", 0, 2 << 30, 2 << 30},
			{"leave", 0, 0, none},
		}},
		{"no wish yet keeps none", none, []step{
			{"enter", 0, 0, none},
			{"want", 0, 0, none},
			{"leave", 0, 0, none},
		}},
		{"a limit of the program's is left alone", 3 << 30, []step{
			{"enter", 0, 0, 3 << 30},
			{"want", 0, 1 << 30, 3 << 30},
			{"leave", 0, 0, 3 << 30},
		}},
		{"overlapping guards: the largest wish, the first limit back after the last", none, []step{
			{"enter", 0, 0, none},
			{"want", 0, 1 << 30, 1 << 30},
			{"enter", 1, 0, 1 << 30},
			{"want", 1, 2 << 30, 2 << 30},
			{"leave", 1, 0, 1 << 30},
			{"enter", 2, 0, 1 << 30},
			{"want", 2, 1 << 29, 1 << 30},
			{"leave", 0, 0, 1 << 29},
			{"leave", 2, 0, none},
		}},
		{"a limit the program sets meanwhile is kept", none, []step{
			{"enter", 0, 0, none},
			{"want", 0, 1 << 30, 1 << 30},
			{"user", 0, 5 << 30, 5 << 30},
			{"want", 0, 2 << 30, 5 << 30},
			{"leave", 0, 0, 5 << 30},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setMemoryLimit(t, tt.start)
			var m memArbiter
			guards := []*memGuard{{}, {}, {}}
			for i, s := range tt.steps {
				g := guards[s.guard]
				switch s.op {
				case "enter":
					m.enter(g)
				case "want":
					m.want(g, s.limit)
				case "leave":
					m.leave(g)
				case "user":
					debug.SetMemoryLimit(s.limit)
				}
				if got := debug.SetMemoryLimit(-1); got != s.want {
					t.Fatalf("step %d (%s guard %d): got limit %d, want %d", i, s.op, s.guard, got, s.want)
				}
			}
		})
	}
}

// limitAtLog is a slog handler that notes the process's memory limit
// when a message is logged.
type limitAtLog struct {
	mu     sync.Mutex
	limits map[string]int64
}

func (h *limitAtLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *limitAtLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.limits[r.Message] = debug.SetMemoryLimit(-1)
	return nil
}
func (h *limitAtLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *limitAtLog) WithGroup(string) slog.Handler      { return h }

func TestBulkAddMemoryLimit(t *testing.T) {
	g := synthetic.New(1)
	arts := make([]article.Article, 200) // about 1,300 chunks: over the merge threshold
	for i := range arts {
		arts[i] = g.Article(i)
	}
	tests := []struct {
		name        string
		before      int64
		n           int  // articles added
		limitDuring bool // whether a limit of the index's is in force during the Add
	}{
		{"bulk Add, no limit set", math.MaxInt64, len(arts), true},
		{"bulk Add, the program's limit", 1 << 40, len(arts), false},
		{"small Add", math.MaxInt64, 3, false},
		{"bulk Add, a small index", math.MaxInt64, 120, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setMemoryLimit(t, tt.before)
			h := &limitAtLog{limits: map[string]int64{}}
			ix, err := New(context.Background(), Config{Logger: slog.New(h)})
			if err != nil {
				t.Fatal(err)
			}
			ix.memMin = 1000
			if _, err := ix.Add(context.Background(), arts[:tt.n]); err != nil {
				t.Fatal(err)
			}
			h.mu.Lock()
			during, logged := h.limits["indexed articles"]
			h.mu.Unlock()
			if !logged {
				t.Fatal(`got no "indexed articles" log message`)
			}
			if tt.limitDuring {
				if during == tt.before || during <= 0 {
					t.Errorf("limit during the Add: got %d, want one of the index's", during)
				}
			} else if during != tt.before {
				t.Errorf("limit during the Add: got %d, want %d", during, tt.before)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.before {
				t.Errorf("limit after the Add: got %d, want %d", got, tt.before)
			}
			if got, want := ix.Len(), tt.n; got != want {
				t.Errorf("got %d articles, want %d", got, want)
			}
		})
	}
}
