package citation

import (
	"log/slog"
	"slices"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/quote"
)

// Set numbers verified citations. Every quote is checked verbatim against
// its article's body (package quote) before it gets a number; an identical
// quote of the same place reuses its number. It is not safe for concurrent
// use.
type Set struct {
	log     *slog.Logger
	list    []Citation
	dropped int64
}

// NewSet returns an empty set. logger, which may be nil, receives a warning
// for every quote that fails verification.
func NewSet(logger *slog.Logger) *Set {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Set{log: logger, list: []Citation{}}
}

// Cite verifies q against a and returns its citation number, reusing the
// number of an identical citation. ok is false, and nothing is added, when
// q is not found verbatim in a's body; the quote is then counted as
// dropped.
func (s *Set) Cite(a *article.Article, q string) (n int, ok bool) {
	m, ok := quote.FindIn(a, q)
	if !ok {
		s.dropped++
		s.log.Warn("quote failed verification", "article", a.ID, "quote", q)
		return 0, false
	}
	for _, ct := range s.list {
		if ct.Source == a.ID && ct.Start == m.Start && ct.End == m.End {
			return ct.N, true
		}
	}
	n = len(s.list) + 1
	s.list = append(s.list, For(n, a, m.Start, m.End))
	return n, true
}

// List returns the citations in number order, starting at 1.
func (s *Set) List() []Citation { return slices.Clone(s.list) }

// Len returns how many citations the set holds: the highest number given.
func (s *Set) Len() int { return len(s.list) }

// Truncate forgets the citations numbered above n, undoing the cites made
// since Len returned n.
func (s *Set) Truncate(n int) {
	if n >= 0 && n < len(s.list) {
		s.list = s.list[:n]
	}
}

// Dropped reports how many quotes failed verification and were left out.
func (s *Set) Dropped() int64 { return s.dropped }
