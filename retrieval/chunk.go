package retrieval

import (
	"fmt"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/sentence"
)

// Default chunk sizes, in words.
const (
	DefaultChunkTarget = 150
	DefaultChunkMax    = 300
	DefaultChunkMin    = 40
)

// ChunkOptions sets the chunk sizes, in words. Zero fields take the
// defaults.
type ChunkOptions struct {
	// Target is the size at which a chunk is closed.
	Target int
	// Max is the size a chunk of several sentences never exceeds; a single
	// longer sentence is a chunk of its own, and one longer than twice Max
	// is cut at spaces into pieces of Max words.
	Max int
	// Min is the size under which the last chunk of a body span is merged
	// into the one before, when the two fit within Max.
	Min int
}

func (o ChunkOptions) withDefaults() ChunkOptions {
	if o.Target <= 0 {
		o.Target = DefaultChunkTarget
	}
	if o.Max <= 0 {
		o.Max = DefaultChunkMax
	}
	if o.Max < o.Target {
		o.Max = o.Target
	}
	if o.Min <= 0 {
		o.Min = DefaultChunkMin
	}
	return o
}

// sentSpan is a sentence of an article: absolute byte offsets into its Text
// and its number of words.
type sentSpan struct {
	start, end int
	words      int
}

// chunkPlan is a chunk as a run of sentences [first, last) of its body span.
type chunkPlan struct {
	start, end int
	// sents indexes the article's sentence list.
	first, last int
}

// Chunks returns the chunks of an article's body, in order, with their IDs,
// numbers and offsets, as the index makes them; every Chunk's Text is
// Article.Text[Start:End].
func (o ChunkOptions) Chunks(a *article.Article) []Chunk {
	sents := articleSentences(a, o.withDefaults())
	plans := planChunks(sents, o.withDefaults())
	out := make([]Chunk, len(plans))
	for i, p := range plans {
		out[i] = makeChunk(a, i, p.start, p.end)
	}
	return out
}

func makeChunk(a *article.Article, n, start, end int) Chunk {
	return Chunk{
		ID:        fmt.Sprintf("%s#%d", a.ID, n),
		ArticleID: a.ID,
		N:         n,
		Start:     start,
		End:       end,
		Text:      a.Text[start:end],
	}
}

// articleSentences lists the sentences of the article's body spans in order,
// with a zero-word separator entry (start == end == -1) between body spans
// so that no chunk crosses from one span into the next. A span that
// sentence.Split leaves uncovered counts as one sentence; a sentence longer
// than twice o.Max words is cut into pieces of o.Max words.
func articleSentences(a *article.Article, o ChunkOptions) []sentSpan {
	var out []sentSpan
	for bi, b := range a.Body {
		if b.Start < 0 || b.End > len(a.Text) || b.Start >= b.End {
			continue
		}
		if bi > 0 && len(out) > 0 && out[len(out)-1].start >= 0 {
			out = append(out, sentSpan{start: -1, end: -1})
		}
		body := a.Text[b.Start:b.End]
		prevEnd := 0
		for _, s := range sentence.Split(body) {
			// Defend against a splitter that returns overlapping or
			// out-of-range spans: clamp, and skip what cannot be used.
			st, en := s.Start, s.End
			if st < prevEnd {
				st = prevEnd
			}
			if en > len(body) {
				en = len(body)
			}
			if st >= en {
				continue
			}
			prevEnd = en
			w := countWords(body[st:en])
			if w == 0 {
				continue
			}
			if w > 2*o.Max {
				out = append(out, cutWords(body, st, en, o.Max, b.Start)...)
				continue
			}
			out = append(out, sentSpan{start: b.Start + st, end: b.Start + en, words: w})
		}
	}
	return out
}

// cutWords cuts text[st:en] into pieces of at most max words, at white space.
func cutWords(text string, st, en, max, base int) []sentSpan {
	var out []sentSpan
	i := st
	for i < en {
		for i < en && isSpace(text[i]) {
			i++
		}
		if i >= en {
			break
		}
		j, words, inWord := i, 0, false
		for j < en {
			if isSpace(text[j]) {
				if inWord && words == max {
					break
				}
				inWord = false
			} else if !inWord {
				inWord = true
				words++
			}
			j++
		}
		end := j
		for end > i && isSpace(text[end-1]) {
			end--
		}
		out = append(out, sentSpan{start: base + i, end: base + end, words: words})
		i = j
	}
	return out
}

// planChunks groups sentences into chunks of about o.Target words. When a
// chunk of several sentences closes, its last sentence also opens the next
// chunk (one sentence of overlap), provided it is short.
func planChunks(sents []sentSpan, o ChunkOptions) []chunkPlan {
	var out []chunkPlan
	i := 0
	for i < len(sents) {
		if sents[i].start < 0 {
			i++
			continue
		}
		w := sents[i].words
		j := i + 1
		for j < len(sents) && sents[j].start >= 0 && w < o.Target && w+sents[j].words <= o.Max {
			w += sents[j].words
			j++
		}
		// A short remainder of the span joins this chunk when it fits.
		rest, k := 0, j
		for k < len(sents) && sents[k].start >= 0 {
			rest += sents[k].words
			k++
		}
		if j < k && rest < o.Min && w+rest <= o.Max {
			j = k
		}
		out = append(out, chunkPlan{start: sents[i].start, end: sents[j-1].end, first: i, last: j})
		if j >= len(sents) || sents[j].start < 0 {
			i = j
			continue
		}
		// Overlap: restart at the last sentence when the chunk has several
		// sentences and the overlap sentence plus the next fit comfortably.
		if last := j - 1; last > i && sents[last].words < o.Target/2 && sents[last].words+sents[j].words <= o.Max {
			i = last
		} else {
			i = j
		}
	}
	return out
}

// countWords counts runs of non-space bytes.
func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}
