package retrieval

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// prepBatch is how many articles a worker analyses between two visits to
// the shared term dictionary.
const prepBatch = 256

// prepare chunks, analyses and embeds articles. Every core analyses
// batches of articles, giving terms IDs of its own, then interns each
// batch's distinct terms in the dictionary at once. With the local embedder
// a chunk is embedded right away from the tokens its analysis made (one
// tokenisation for both); other embedding functions run afterwards,
// EmbedConcurrency at once. Vectors go straight into their slots.
func (ix *Index) prepare(ctx context.Context, preps []*prepArticle) error {
	if ix.local {
		if err := ix.vecs.setDim(LocalDim); err != nil {
			return ix.dimErr(err)
		}
	}
	for _, p := range preps {
		for i := range p.chunks {
			p.chunks[i].slot = -1
		}
	}
	report := ix.reporter(len(preps))
	nb := (len(preps) + prepBatch - 1) / prepBatch
	var nextBatch atomic.Int64
	workers := min(runtime.GOMAXPROCS(0), nb)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			aw := newAnalysisWorker(ix)
			for ctx.Err() == nil {
				b := int(nextBatch.Add(1)) - 1
				if b >= nb {
					return
				}
				if err := aw.batch(ctx, preps[b*prepBatch:min((b+1)*prepBatch, len(preps))]); err != nil {
					errs[w] = err
					nextBatch.Store(int64(nb)) // stop the others
					return
				}
				n := min((b+1)*prepBatch, len(preps)) - b*prepBatch
				ix.prepared.Add(int64(n))
				if ix.local {
					report(n)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Chunks the workers did not embed: a custom embedding function.
	type job struct{ p, c int }
	var jobs []job
	pending := make([]atomic.Int32, len(preps)) // chunks left to embed
	ready := 0
	for pi, p := range preps {
		for ci := range p.chunks {
			if p.chunks[ci].slot < 0 {
				jobs = append(jobs, job{pi, ci})
				pending[pi].Add(1)
			}
		}
		if !ix.local && pending[pi].Load() == 0 {
			ready++
		}
	}
	if ready > 0 {
		report(ready)
	}
	return parallel(ctx, len(jobs), ix.embedN, func(i int) error {
		p := preps[jobs[i].p]
		c := &p.chunks[jobs[i].c]
		text := p.art.Text[c.start:c.end]
		if ix.embedText && p.art.Title != "" {
			text = p.art.Title + "\n\n" + text
		}
		v, err := ix.embed(ctx, text)
		if err != nil {
			return fmt.Errorf("embed chunk %s: %w", c.id, err)
		}
		if v = normalized(v); v == nil {
			return fmt.Errorf("embed chunk %s: empty or zero embedding", c.id)
		}
		if err := ix.vecs.setDim(len(v)); err != nil {
			return ix.dimErr(err)
		}
		c.slot = ix.vecs.reserve(1, nil)[0]
		copy(ix.vecs.vec(c.slot), v)
		if pending[jobs[i].p].Add(-1) == 0 {
			report(1)
		}
		return nil
	})
}

// reporter tells Config.Progress that total articles are to be prepared,
// and returns a func that adds n articles to those prepared and tells it,
// one call at a time; it does nothing without a Progress func or while the
// index replays its files.
func (ix *Index) reporter(total int) func(n int) {
	if ix.progress == nil || ix.loading {
		return func(int) {}
	}
	ix.progress(0, total)
	var mu sync.Mutex
	done := 0
	return func(n int) {
		mu.Lock()
		defer mu.Unlock()
		done += n
		ix.progress(done, total)
	}
}

func (ix *Index) dimErr(err error) error {
	return fmt.Errorf("model %q gave %w; name a new EmbedModel to re-embed", ix.model, err)
}

// analysisWorker is one core's state while preparing articles: its own
// term IDs for the batch at hand, and scratch space.
type analysisWorker struct {
	ix     *Index
	local  map[string]uint32
	terms  []string // local ID -> term
	counts []uint32 // local ID -> count, zero between bags
	seen   []uint32
	bigram []byte

	toks    []token    // the tokens of an article, sentence by sentence
	sentOff []int      // sentence i's tokens are toks[sentOff[i]:sentOff[i+1]]
	sentIDs [][]uint32 // local term IDs of each sentence
	sentLen []int32
	emb     []token
	hashes  embedScratch
	gids    []uint32

	// The bags of the batch at hand, in local term IDs until batch packs
	// them: bag i counts terms bagIDs[bagEnd[i-1]:bagEnd[i]] bagTFs times
	// and goes to *bagDst[i], with the chunks' or the other bags.
	bagIDs, bagTFs []uint32
	bagEnd         []int
	bagDst         []*packedBag
	bagChunk       []bool
	packed         []byte
	packEnd        []int
	sortBuf        []uint64
}

func newAnalysisWorker(ix *Index) *analysisWorker {
	return &analysisWorker{ix: ix, local: map[string]uint32{}}
}

// id returns the local ID of a term.
func (w *analysisWorker) id(term string) uint32 {
	id, ok := w.local[term]
	if !ok {
		id = uint32(len(w.terms))
		w.local[term] = id
		w.terms = append(w.terms, term)
		w.counts = append(w.counts, 0)
	}
	return id
}

// bigramID returns the local ID of the bigram "a b".
func (w *analysisWorker) bigramID(a, b string) uint32 {
	w.bigram = append(append(append(w.bigram[:0], a...), ' '), b...)
	if id, ok := w.local[string(w.bigram)]; ok {
		return id
	}
	return w.id(string(w.bigram))
}

// fieldIDs appends the local term IDs of tokens (unigrams, and bigrams of
// consecutive non-extra unigrams) to ids and returns them with the field's
// length in words.
func (w *analysisWorker) fieldIDs(toks []token, ids []uint32) ([]uint32, int32) {
	var n int32
	prev := ""
	for _, t := range toks {
		ids = append(ids, w.id(t.term))
		if t.extra {
			continue
		}
		n++
		if prev != "" {
			ids = append(ids, w.bigramID(prev, t.term))
		}
		prev = t.term
	}
	return ids, n
}

// count adds term IDs to the bag being counted.
func (w *analysisWorker) count(ids []uint32) {
	for _, id := range ids {
		if w.counts[id] == 0 {
			w.seen = append(w.seen, id)
		}
		w.counts[id]++
	}
}

// bag ends the bag being counted, and starts a new one: batch packs it
// into *dst. chunk tells a chunk's bag from an article's title or body.
func (w *analysisWorker) bag(dst *packedBag, chunk bool) {
	for _, id := range w.seen {
		w.bagIDs = append(w.bagIDs, id)
		w.bagTFs = append(w.bagTFs, w.counts[id])
		w.counts[id] = 0
	}
	w.seen = w.seen[:0]
	w.bagEnd = append(w.bagEnd, len(w.bagIDs))
	w.bagDst = append(w.bagDst, dst)
	w.bagChunk = append(w.bagChunk, chunk)
}

// batch prepares a batch of articles and gives their terms global IDs.
func (w *analysisWorker) batch(ctx context.Context, preps []*prepArticle) error {
	clear(w.local)
	w.terms, w.counts = w.terms[:0], w.counts[:0]
	w.bagIDs, w.bagTFs, w.bagEnd, w.bagDst, w.bagChunk = w.bagIDs[:0], w.bagTFs[:0], w.bagEnd[:0], w.bagDst[:0], w.bagChunk[:0]
	defer clear(w.bagDst) // hold no article past the batch
	for _, p := range preps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.article(p); err != nil {
			return err
		}
	}
	var err error
	if w.gids, err = w.ix.terms.intern(w.terms, w.gids[:0]); err != nil {
		return err
	}
	for i, id := range w.bagIDs {
		w.bagIDs[i] = w.gids[id]
	}
	w.pack(true)
	w.pack(false)
	return nil
}

// pack packs the batch's chunk bags, or its other bags, into one array
// of their own: the chunks' bags are dropped before the bodies'.
func (w *analysisWorker) pack(chunk bool) {
	w.packed, w.packEnd = w.packed[:0], w.packEnd[:0]
	start := 0
	for i, end := range w.bagEnd {
		if w.bagChunk[i] == chunk {
			w.packed, w.sortBuf = appendPacked(w.packed, w.bagIDs[start:end], w.bagTFs[start:end], w.sortBuf)
			w.packEnd = append(w.packEnd, len(w.packed))
		}
		start = end
	}
	arena := packedBag(slices.Clone(w.packed))
	k, from := 0, 0
	for i := range w.bagEnd {
		if w.bagChunk[i] == chunk {
			to := w.packEnd[k]
			*w.bagDst[i] = arena[from:to:to]
			k, from = k+1, to
		}
	}
}

// article chunks an article and analyses its title field, body and chunks.
// Every sentence is analysed once: a chunk's terms are the sum of its
// sentences', the article's the sum of all its sentences'. With the local
// embedder, each chunk is embedded from the same tokens.
func (w *analysisWorker) article(p *prepArticle) error {
	ix, a := w.ix, p.art
	an := ix.an

	// Title field: title, outlet and date, each its own run of words.
	date := ""
	if !a.PublishedAt.IsZero() {
		date = a.PublishedAt.UTC().Format("January 2, 2006")
	}
	w.toks = an.tokens(a.Title, w.toks[:0])
	titleToks := len(w.toks)
	var ids []uint32
	var n int32
	ids, n = w.fieldIDs(w.toks, ids)
	p.titleLen = n
	for _, field := range []string{a.Outlet, date} {
		start := len(w.toks)
		w.toks = an.tokens(field, w.toks)
		ids, n = w.fieldIDs(w.toks[start:], ids)
		p.titleLen += n
	}
	w.count(ids)
	w.bag(&p.title, false)
	w.toks = w.toks[:titleToks] // keep the title's tokens for embedding

	// Sentences.
	sents := articleSentences(a, ix.chunking)
	w.sentOff = append(w.sentOff[:0], len(w.toks))
	w.sentIDs = w.sentIDs[:0]
	w.sentLen = w.sentLen[:0]
	p.bodyLen = 0
	for _, s := range sents {
		var sids []uint32
		var sl int32
		if s.start >= 0 {
			start := len(w.toks)
			w.toks = an.tokens(a.Text[s.start:s.end], w.toks)
			sids, sl = w.fieldIDs(w.toks[start:], nil)
			w.count(sids)
			p.bodyLen += sl
		}
		w.sentOff = append(w.sentOff, len(w.toks))
		w.sentIDs = append(w.sentIDs, sids)
		w.sentLen = append(w.sentLen, sl)
	}
	w.bag(&p.body, false)

	// Chunks.
	plans := planChunks(sents, ix.chunking)
	p.chunks = make([]prepChunk, len(plans))
	for i, pl := range plans {
		c := &p.chunks[i]
		ch := makeChunk(a, i, pl.start, pl.end)
		c.id, c.start, c.end, c.slot = ch.ID, int32(pl.start), int32(pl.end), -1
		for s := pl.first; s < pl.last; s++ {
			w.count(w.sentIDs[s])
			c.length += w.sentLen[s]
		}
		w.bag(&c.bag, true)
		if p.slots != nil {
			// Analysed again for the terms: the vector is in its slot.
			if i < len(p.slots) {
				c.slot = p.slots[i]
			}
			continue
		}
		if kv := p.knownVec(pl.start, pl.end); kv != nil {
			if err := ix.vecs.setDim(len(kv)); err != nil {
				return ix.dimErr(err)
			}
			c.slot = ix.vecs.reserve(1, nil)[0]
			copy(ix.vecs.vec(c.slot), kv)
			continue
		}
		if !ix.local {
			continue
		}
		// The local embedder's tokens of title + "\n\n" + text are the
		// title's and then the sentences', provided the sentences are
		// separated by characters that end a word and start none;
		// otherwise the chunk text is tokenised afresh.
		w.emb = w.emb[:0]
		if ix.embedText && a.Title != "" {
			w.emb = append(w.emb, w.toks[:titleToks]...)
		}
		if w.separated(a.Text, sents, pl) {
			w.emb = append(w.emb, w.toks[w.sentOff[pl.first]:w.sentOff[pl.last]]...)
		} else {
			w.emb = an.tokens(a.Text[pl.start:pl.end], w.emb)
		}
		c.slot = ix.vecs.reserve(1, nil)[0]
		v := ix.vecs.vec(c.slot)
		clear(v)
		embedTokens(v, w.emb, &w.hashes, func() string {
			if ix.embedText && a.Title != "" {
				return a.Title + "\n\n" + a.Text[pl.start:pl.end]
			}
			return a.Text[pl.start:pl.end]
		})
		if normalized(v) == nil {
			return fmt.Errorf("embed chunk %s: empty or zero embedding", c.id)
		}
	}
	return nil
}

// separated reports whether the sentences of a chunk plan are separated by
// non-empty runs of characters that the tokenizer neither keeps nor joins
// words across (white space, mostly), so that the tokens of the chunk's
// text are the sentences' tokens one after the other.
func (w *analysisWorker) separated(text string, sents []sentSpan, pl chunkPlan) bool {
	for s := pl.first; s+1 < pl.last; s++ {
		gap := text[sents[s].end:sents[s+1].start]
		if gap == "" {
			return false
		}
		for i := 0; i < len(gap); {
			r, size := utf8.DecodeRuneInString(gap[i:])
			i += size
			r = fold(r)
			switch {
			case r == '\'' || r == '-' || r == '.' || r == ',' || r == '&',
				unicode.Is(unicode.Mn, r), unicode.IsLetter(r), unicode.IsDigit(r):
				return false
			}
		}
	}
	return true
}

// knownVec returns the stored vector of the chunk at [start, end), if any.
func (p *prepArticle) knownVec(start, end int) []float32 {
	for _, k := range p.known {
		if k.start == start && k.end == end {
			return k.vec
		}
	}
	return nil
}
