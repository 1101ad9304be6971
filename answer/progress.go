package answer

import (
	"context"

	"github.com/briefbot/briefbot/citation"
)

// Progress is told the steps of one answer while it is made, so a chat
// surface can show them as they happen. Only verified content reaches it:
// Writing and Checking give counts, and Verified gives a sentence of the
// model's answer only once its quotes have passed verification, with the
// citations it carries (numbered as in the final Answer); never the
// model's text itself. A sentence that fails is never reported. Only a
// model's answer reports steps. Any func may be nil. The funcs are called on
// the answering goroutine, in order; they should return quickly.
//
// The answer returned at the end is still the one to show: it may differ
// from the sentences reported when the model's time ran out during the
// verification and the answer was extracted instead.
type Progress struct {
	// Writing is called when the model is asked to write the answer, with
	// the number of passages it is given.
	Writing func(passages int)
	// Checking is called once the model's reply is read, with the number
	// of quotes it gives, before any is checked.
	Checking func(quotes int)
	// Verified is called for each sentence kept in the model's answer.
	Verified func(s Sentence, cites []citation.Citation)
}

type progressKey struct{}

// WithProgress returns a context that makes Composer.Answer report its
// steps to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// progressOf returns the Progress that ctx carries (the zero one when none).
func progressOf(ctx context.Context) Progress {
	p, _ := ctx.Value(progressKey{}).(Progress)
	return p
}

func (p Progress) writing(passages int) {
	if p.Writing != nil {
		p.Writing(passages)
	}
}

func (p Progress) checking(quotes int) {
	if p.Checking != nil {
		p.Checking(quotes)
	}
}

// verified reports the last sentence of ans when there is one past n (the
// number of sentences before it was verified).
func (p Progress) verified(ans Answer, n int) {
	if p.Verified == nil || len(ans.Sentences) <= n {
		return
	}
	s := ans.Sentences[len(ans.Sentences)-1]
	var cites []citation.Citation
	for _, c := range ans.Citations {
		for _, k := range s.Citations {
			if c.N == k {
				cites = append(cites, c)
			}
		}
	}
	p.Verified(s, cites)
}
