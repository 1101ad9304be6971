package retrieval

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/retrieval/topk"
	"github.com/briefbot/briefbot/retrieval/vecscan"
)

// TestSharedScanIgnoresSchedule checks that the hits of the shared vector
// scan do not depend on who scans which pieces: the caller alone, helpers
// that join at once or late (as the lexical side's core does), more
// goroutines than cores, or one core. Without the 1-bit pass they must
// not depend on how the slots are cut either: they are the best k, by
// exact score, of the best r slots of the whole index by their codes.
func TestSharedScanIgnoresSchedule(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	s := ix.current()
	v := &s.vecs
	n := v.slots
	ctx := context.Background()
	type schedule struct {
		name     string
		piece    int // 0: the scan's own
		helpers  int
		delay    time.Duration
		maxprocs int // 0: as it is
	}
	schedules := []schedule{
		{name: "own pieces, caller only"},
		{name: "one piece", piece: n},
		{name: "small pieces, caller only", piece: 128},
		{name: "small pieces, one helper", piece: 128, helpers: 1},
		{name: "small pieces, late helper", piece: 128, helpers: 1, delay: time.Millisecond},
		{name: "small pieces, three helpers", piece: 97, helpers: 3},
		{name: "small pieces, one core", piece: 128, maxprocs: 1},
		{name: "small pieces, eight cores", piece: 128, maxprocs: 8},
		{name: "bit-sized pieces", piece: 1000, helpers: 1},
		{name: "bit-sized pieces, late helper", piece: 1000, helpers: 2, delay: time.Millisecond},
	}
	g := synthetic.New(11)
	for i := range 5 {
		qv, err := ix.embedQuery(ctx, g.Question(i, len(arts)))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{10, 116} {
			r := max(rescoreFactor*k, minRescore)
			if n <= 2*r {
				t.Fatalf("%d slots: too few for a shared scan of %d candidates", n, r)
			}
			// The reference: the best r slots by code over the whole index,
			// rescored exactly.
			codes := topk.NewBuffer[float32](r)
			v.scanCodes(vecscan.NewQuery(qv), 0, n, s.lex.chunkArt, nil, &codes)
			exact := topk.New[float32](k)
			for _, c := range codes.Items() {
				exact.Push(vecHit{ID: v.chunkOf(int(c.ID)), Score: vecscan.Dot(qv, v.vec(c.ID))})
			}
			want, wantCands := exact.Sorted(), slices.Clone(codes.Items())
			slices.SortFunc(wantCands, topk.Compare[float32])
			// With the 1-bit pass (one slot in two passed to the codes), the
			// pieces' bounds choose the candidates: the reference is the
			// caller alone with the same pieces.
			bitWant := map[int][]vecHit{}
			for _, sd := range schedules {
				if _, ok := bitWant[sd.piece]; !ok {
					sc := v.newScan(qv, k, s.lex.chunkArt, nil, nil, 2)
					if sd.piece > 0 {
						sc.cut(sd.piece)
					}
					sc.help()
					bitWant[sd.piece] = sc.run(sc.workers())
				}
			}
			for _, fraction := range []int{0, 2} {
				for _, sd := range schedules {
					procs := runtime.GOMAXPROCS(sd.maxprocs) // 0 only asks
					sc := v.newScan(qv, k, s.lex.chunkArt, nil, nil, fraction)
					if !sc.shared {
						t.Fatalf("%d slots, k %d: the scan is not shared", n, k)
					}
					if sd.piece > 0 {
						sc.cut(sd.piece)
					}
					var wg sync.WaitGroup
					for range sd.helpers {
						wg.Go(func() {
							time.Sleep(sd.delay)
							sc.help()
						})
					}
					got := sc.run(sd.helpers)
					wg.Wait()
					runtime.GOMAXPROCS(procs)
					w := want
					if fraction > 0 {
						w = bitWant[sd.piece]
					}
					if !slices.Equal(got, w) {
						t.Errorf("question %d, k %d, fraction %d, %s: got %v, want %v", i, k, fraction, sd.name, got, w)
					}
					if cands := sc.best.Sorted(); fraction == 0 && !slices.Equal(cands, wantCands) {
						t.Errorf("question %d, k %d, %s: got %d candidates %v, want the %d best by code %v", i, k, sd.name, len(cands), cands, len(wantCands), wantCands)
					}
				}
			}
		}
	}
}

// TestSpawnedHelperPanicReachesCaller checks that a panic in a goroutine
// the shared scan starts (here from chunk data that does not match the
// slots) does not end the process but reaches the caller of run, where
// the caller's recover sees it, as it would had the caller scanned the
// piece itself.
func TestSpawnedHelperPanicReachesCaller(t *testing.T) {
	ix, _ := synthIndex(t, 300)
	s := ix.current()
	v := &s.vecs
	qv := v.vec(0)
	allowed := make([]bool, len(s.arts))
	for i := range allowed {
		allowed[i] = true
	}
	// No chunk-to-article map beside a filter: every piece panics.
	sc := v.newScan(qv, 10, nil, allowed, nil, 0)
	if !sc.shared {
		t.Fatalf("%d slots: the scan is not shared", v.slots)
	}
	sc.cut(64)
	sc.spawn()
	for deadline := time.Now().Add(10 * time.Second); sc.failed.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spawned helper's panic was not kept")
		}
	}
	var got any
	func() {
		defer func() { got = recover() }()
		sc.run(1)
	}()
	if got == nil {
		t.Fatal("run returned; want the panic of the broken pieces")
	}
}
