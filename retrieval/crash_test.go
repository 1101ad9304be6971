package retrieval_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// crashRuns sets how many times TestCrashDuringAdd kills the writer; CI
// runs a few (seconds), the long version 20:
// go test -run CrashDuringAdd ./retrieval/ -args -crash-runs 20
var crashRuns = flag.Int("crash-runs", 3, "how many times TestCrashDuringAdd kills the adding process")

const (
	crashDirEnv = "BRIEFBOT_CRASH_DIR"
	crashRunEnv = "BRIEFBOT_CRASH_RUN"
	// crashMergeChunks makes merges frequent, so that kills land in them too.
	crashMergeChunks = 30
	// Every 20th Add of the child is a bulk Add of crashBulk more
	// articles, numbered from crashBulkFirst.
	crashBulk, crashBulkFirst = 12, 5000
)

// crashArticle is the i-th article the child of run adds.
func crashArticle(g *synthetic.Generator, run, i int) article.Article {
	a := g.Article(run*1000 + i)
	a.ID = fmt.Sprintf("r%02d-%04d", run, i)
	return a
}

// TestCrashDuringAdd starts a process that adds articles one at a time to
// a persistent index (every 20th Add a bulk one, which writes a new base)
// and removes some, and prints each ID once Add or Remove has returned
// (acknowledged), kills it with SIGKILL at a random moment (in an add, a
// removal, a log write, a merge), and checks that the index opens and
// holds every acknowledged article intact and none whose removal was
// acknowledged. The runs share one directory, so damage would accumulate.
func TestCrashDuringAdd(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := tempDir(t)
	rng := rand.New(rand.NewPCG(1, 2))
	g := synthetic.New(3)
	acked := map[string]article.Article{}
	removed := map[string]bool{} // acknowledged removals
	for run := 0; run < *crashRuns; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringAdd$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRunEnv+"="+strconv.Itoa(run))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Wait for the child to be adding, then kill it a random while later.
		first := true
		deadline := time.After(60 * time.Second)
		var kill <-chan time.Time
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if id, found := strings.CutPrefix(l, "ack "); found {
					var i int
					fmt.Sscanf(id[4:], "%d", &i)
					acked[id] = crashArticle(g, run, i)
				}
				if id, found := strings.CutPrefix(l, "removing "); found {
					delete(acked, id)
				}
				if id, found := strings.CutPrefix(l, "removed "); found {
					removed[id] = true
				}
				if first {
					first = false
					kill = time.After(time.Duration(rng.IntN(1500)) * time.Millisecond)
				}
			case <-kill:
				cmd.Process.Kill()
				kill = nil
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("run %d: the child did not start adding within a minute", run)
			}
		}
		cmd.Wait()

		re, err := retrieval.New(context.Background(), retrieval.Config{Dir: dir, MergeChunks: crashMergeChunks})
		if err != nil {
			t.Fatalf("run %d: the index does not open after the kill: %v", run, err)
		}
		for id, want := range acked {
			got, ok := re.Article(id)
			if !ok {
				t.Errorf("run %d: acknowledged article %s lost", run, id)
				continue
			}
			if got.Hash() != want.Hash() {
				t.Errorf("run %d: acknowledged article %s changed", run, id)
			}
			if len(re.Chunks(id)) == 0 {
				t.Errorf("run %d: acknowledged article %s has no chunks", run, id)
			}
		}
		for id := range removed {
			if _, ok := re.Article(id); ok {
				t.Errorf("run %d: article %s is back after its removal was acknowledged", run, id)
			}
		}
		if err := re.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %d acknowledged so far, %d in the index", run, len(acked), re.Len())
	}
	if len(acked) == 0 {
		t.Fatal("no article was acknowledged")
	}
}

// crashChild adds (and removes) articles until it is killed (or has
// added 3,000).
func crashChild(t *testing.T, dir string) {
	run, _ := strconv.Atoi(os.Getenv(crashRunEnv))
	ix, err := retrieval.New(context.Background(), retrieval.Config{Dir: dir, MergeChunks: crashMergeChunks})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	g := synthetic.New(3)
	w := bufio.NewWriter(os.Stdout)
	fail := func(err error) {
		fmt.Fprintln(w, "error", err)
		w.Flush()
		os.Exit(1)
	}
	for i := 0; i < 3000; i++ {
		batch := []article.Article{crashArticle(g, run, i)}
		if i%20 == 19 {
			// A bulk Add, more chunks than a log takes: a new base.
			for j := range crashBulk {
				batch = append(batch, crashArticle(g, run, crashBulkFirst+i/20*crashBulk+j))
			}
		}
		if _, err := ix.Add(context.Background(), batch); err != nil {
			fail(err)
		}
		for _, a := range batch {
			fmt.Fprintln(w, "ack", a.ID)
		}
		w.Flush()
		if i%10 == 9 {
			id := crashArticle(g, run, i-5).ID
			fmt.Fprintln(w, "removing", id) // from now on it may be gone
			w.Flush()
			if _, err := ix.Remove(context.Background(), id); err != nil {
				fail(err)
			}
			fmt.Fprintln(w, "removed", id)
			w.Flush()
		}
	}
	os.Exit(0)
}
