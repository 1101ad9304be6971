// Package synthetic generates deterministic, English-like news articles and
// questions about them, for measuring retrieval at scales no real corpus at
// hand reaches. Words are drawn from a fixed vocabulary with Zipfian
// frequencies (common English function and news words at the head,
// pronounceable made-up words in the long tail); each article has a handful
// of topic words (names and subjects) that recur in it, as in real news, so
// that a question built from them has an answer to find.
package synthetic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
)

// DefaultVocabulary is the vocabulary size of New.
const DefaultVocabulary = 100_000

// Generator makes articles and questions. Every article and question depends
// only on the generator's seed and its own index, so they can be made in any
// order and concurrently: a Generator is immutable and safe for concurrent
// use.
type Generator struct {
	seed    uint64
	vocab   []string
	zipf    alias
	outlets []string
	outW    alias
	start   time.Time
}

// New returns a generator with DefaultVocabulary words; the same seed gives
// the same articles.
func New(seed uint64) *Generator {
	g := &Generator{seed: seed, start: time.Date(2023, 1, 1, 6, 0, 0, 0, time.UTC)}
	g.vocab = vocabulary(seed, DefaultVocabulary)
	// Zipf-Mandelbrot weights, 1/(rank+2.7)^1.12: the shape of English word
	// frequencies.
	w := make([]float64, len(g.vocab))
	for r := range w {
		w[r] = 1 / math.Pow(float64(r)+2.7, 1.12)
	}
	g.zipf = newAlias(w)
	g.outlets = outlets
	ow := make([]float64, len(outlets))
	for i := range ow {
		ow[i] = 1 / float64(i+2)
	}
	g.outW = newAlias(ow)
	return g
}

// rng returns the random source of item i of a kind (articles, questions).
func (g *Generator) rng(kind, i uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed^0x9e3779b97f4a7c15*(kind+1), i))
}

// word draws a vocabulary word by its Zipfian frequency.
func (g *Generator) word(r *rand.Rand) string { return g.vocab[g.zipf.draw(r)] }

// topic is what an article is about: its topic words, capitalised names
// among them.
type topic struct {
	names    []string // proper nouns, capitalised
	subjects []string // lower-case content words
}

// topicOf returns the topic of article i; it is a function of i alone, so a
// question can name it without making the article.
func (g *Generator) topicOf(i int) topic {
	r := g.rng(2, uint64(i))
	var t topic
	// Names and subjects come from the body and tail of the vocabulary:
	// rare enough to single an article out, common enough to recur across
	// articles.
	for range 2 + r.IntN(3) {
		t.names = append(t.names, capitalise(g.vocab[500+r.IntN(len(g.vocab)-500)]))
	}
	for range 3 + r.IntN(4) {
		t.subjects = append(t.subjects, g.vocab[200+r.IntN(20_000)])
	}
	return t
}

// ArticleID returns the ID of article i.
func ArticleID(i int) string { return fmt.Sprintf("synthetic-%07d", i) }

// Article returns article i: a title, an outlet, a publication date, and a
// body of 400 to 1,400 words in paragraphs of sentences, with quotes,
// numbers and the article's topic words. Its Body is one span covering all
// of Text.
func (g *Generator) Article(i int) article.Article {
	r := g.rng(1, uint64(i))
	t := g.topicOf(i)
	var b strings.Builder
	target := 400 + r.IntN(1000)
	words := 0
	for words < target {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		for s := 0; s < 2+r.IntN(3) && words < target; s++ {
			if s > 0 {
				b.WriteByte(' ')
			}
			words += g.sentence(&b, r, t)
		}
	}
	text := b.String()
	var title strings.Builder
	for w := 0; w < 6+r.IntN(5); w++ {
		if w > 0 {
			title.WriteByte(' ')
		}
		switch {
		case w == 0:
			title.WriteString(t.names[0])
		case r.IntN(3) == 0:
			title.WriteString(t.subjects[r.IntN(len(t.subjects))])
		default:
			title.WriteString(g.word(r))
		}
	}
	return article.Article{
		ID:          ArticleID(i),
		Title:       capitalise(title.String()),
		Outlet:      g.outlets[g.outW.draw(r)],
		Author:      t.names[len(t.names)-1] + " " + capitalise(g.vocab[300+r.IntN(5000)]),
		PublishedAt: g.start.Add(time.Duration(i%(2*365*24)) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second),
		DateSource:  "metadata",
		Text:        text,
		Body:        []article.Span{{Start: 0, End: len(text)}},
	}
}

// sentence writes one sentence of 6 to 30 words and returns its word count.
func (g *Generator) sentence(b *strings.Builder, r *rand.Rand, t topic) int {
	n := 6 + r.IntN(13) + r.IntN(13)
	quote := r.IntN(8) == 0
	prev := -1 // vocabulary rank of the previous word
	if quote {
		b.WriteString("“")
	}
	for w := 0; w < n; w++ {
		if w > 0 {
			if r.IntN(14) == 0 && w < n-1 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
		}
		var s string
		switch x := r.IntN(100); {
		case x < 4:
			s, prev = t.names[r.IntN(len(t.names))], -1
		case x < 10:
			s, prev = t.subjects[r.IntN(len(t.subjects))], -1
		case x < 11:
			s, prev = number(r), -1
		case x < 55 && prev >= 0:
			// A collocation: one of the few words that often follow
			// the previous one.
			prev = g.zipf.drawFrom(mix64(g.seed ^ uint64(prev)<<8 ^ uint64(r.IntN(4))))
			s = g.vocab[prev]
		default:
			prev = g.zipf.draw(r)
			s = g.vocab[prev]
		}
		if w == 0 {
			s = capitalise(s)
		}
		b.WriteString(s)
	}
	if quote {
		fmt.Fprintf(b, ",” said %s.", t.names[r.IntN(len(t.names))])
		return n + 2
	}
	if r.IntN(20) == 0 {
		b.WriteByte('?')
	} else {
		b.WriteByte('.')
	}
	return n
}

// number returns a figure as news prints them.
func number(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return fmt.Sprintf("$%dbn", 1+r.IntN(500))
	case 1:
		return fmt.Sprintf("%d.%d%%", r.IntN(20), r.IntN(10))
	case 2:
		return fmt.Sprintf("%d", 1990+r.IntN(36))
	case 3:
		return fmt.Sprintf("%d,%03d", 1+r.IntN(99), r.IntN(1000))
	default:
		return fmt.Sprintf("%d", 2+r.IntN(98))
	}
}

// Question returns question i about one of the first n articles (which one
// is a function of i): a wh-question naming some of the article's topic
// words, sometimes with a common word added.
func (g *Generator) Question(i, n int) string {
	r := g.rng(3, uint64(i))
	t := g.topicOf(r.IntN(n))
	name := t.names[r.IntN(len(t.names))]
	s1 := t.subjects[r.IntN(len(t.subjects))]
	s2 := t.subjects[r.IntN(len(t.subjects))]
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("What did %s say about the %s %s?", name, s1, s2)
	case 1:
		return fmt.Sprintf("How did %s respond to %s and %s?", name, s1, g.word(r))
	case 2:
		return fmt.Sprintf("%s %s %s", name, s1, s2)
	default:
		return fmt.Sprintf("Why is %s linked to the %s in %s?", name, s1, t.names[0])
	}
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// vocabulary returns n words: the common words at the head, in frequency
// order, then made-up words of one to four syllables.
func vocabulary(seed uint64, n int) []string {
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for _, w := range strings.Fields(commonWords) {
		if !seen[w] && len(out) < n {
			seen[w] = true
			out = append(out, w)
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for len(out) < n {
		var b strings.Builder
		syl := 1 + r.IntN(2) + r.IntN(2)*r.IntN(2)
		for s := 0; s < syl; s++ {
			if s > 0 || r.IntN(4) > 0 {
				b.WriteString(onsets[r.IntN(len(onsets))])
			}
			b.WriteString(vowels[r.IntN(len(vowels))])
			if r.IntN(4) == 0 || s == syl-1 && r.IntN(2) == 0 {
				b.WriteString(codas[r.IntN(len(codas))])
			}
		}
		if r.IntN(8) == 0 {
			b.WriteString(suffixes[r.IntN(len(suffixes))])
		}
		w := b.String()
		if len(w) < 3 || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

var (
	onsets   = strings.Fields("b c d f g h j k l m n p r s t v w z b c d l m n p r s t bl br ch cr dr fl gr pr sh st th tr")
	vowels   = strings.Fields("a e i o u a e i o u a e i o ai ea ee oo ou")
	codas    = strings.Fields("b d g l m n n r r s s t t ck ld nd ng nt rd rn rt st")
	suffixes = strings.Fields("ing ed er ers ly tion ment ness s es al ity ist ism able")
	outlets  = []string{"The Guardian", "Reuters", "Associated Press", "BBC News", "The Independent",
		"The New York Times", "The Washington Post", "Financial Times", "Bloomberg", "Politico",
		"The Verge", "TechCrunch", "Al Jazeera", "CNN", "Fox News", "Sky News", "The Telegraph",
		"Le Monde", "Deutsche Welle", "The Economist"}
)

// commonWords are frequent English words, roughly by frequency: function
// words first (the analyser drops most as stop words, as in real text), then
// the vocabulary of news.
const commonWords = `the of and to a in that is was he for it with as his on be at by
i this had not are but from or have an they which one you were her all she there would
their we him been has when who will more no if out so said what up its about into than
them can only other new some could time these two may then do first any my now such like
our over man me even most made after also did many before must through back years where
much your way well down should because each just those people how too little state good
very make world still own see men work long get here between both life being under never
day same another know while last might us great old year off come since against go came
right used take three government minister president said told week month country police
officials report percent million billion market company companies city police election
party vote leader leaders security war peace talks deal court law state states military
economy prices price bank rates inflation energy oil gas climate health hospital schools
school students workers union strike border migrants refugees troops attack ceasefire
summit meeting agreement sanctions trade tariffs exports investors shares profit growth
budget tax taxes spending debt crisis plan plans policy reform campaign candidates senate
congress parliament council judge trial case investigation charges prison family families
children women men community local national international foreign public private social
former chief executive director spokesman spokeswoman statement interview according
officials sources analysts experts critics supporters residents authorities agency
department ministry office house white house power network technology data software
internet phone phones users platform online game games season team players coach match
league final win won lost record points goal goals club fans stadium film music show
series star stars award awards festival book books author history research scientists
study studies university water food farmers land weather storm flood fire fires heat
emissions carbon electricity nuclear weapons missile missiles army navy forces region
capital north south east west central coast island airport flights travel tourism hotel
housing rent homes building construction cars car electric vehicles sales customers
service services staff jobs job employment wages salary pension pensions insurance`

// alias is Vose's alias table: draws from a discrete distribution in O(1).
type alias struct {
	prob  []float64
	alias []int32
}

func newAlias(w []float64) alias {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	a := alias{prob: make([]float64, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	var small, large []int32
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small, large = small[:len(small)-1], large[:len(large)-1]
		a.prob[s], a.alias[s] = scaled[s], l
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			small = append(small, l)
		} else {
			large = append(large, l)
		}
	}
	for _, i := range large {
		a.prob[i] = 1
	}
	for _, i := range small {
		a.prob[i] = 1
	}
	return a
}

// drawFrom draws with the random bits of h instead of a source.
func (a alias) drawFrom(h uint64) int {
	i := int((h & 0xffffffff) % uint64(len(a.prob)))
	if float64(h>>40)/(1<<24) < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// mix64 is the splitmix64 finaliser.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func (a alias) draw(r *rand.Rand) int {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}
