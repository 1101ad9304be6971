package answer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/llm"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/retrieval"
)

// CompleteFunc sends a request to the model that writes answers from
// numbered passages, a chat model behind an OpenAI-compatible API, and
// returns its reply: cmd/bot passes (*llm.Client).Complete, tests may pass
// any func. Its errors should wrap llm's sentinel errors (llm.ErrUnavailable, llm.ErrConfig, llm.ErrAuth,
// ...), which decide the note shown when the composer falls back to an
// extractive answer.
//
// Nothing the model writes is trusted: every quote is checked against the
// articles (package quote) before it is shown. A quote found verbatim in the
// passage it cites stays; one that differs only slightly from a span of that
// passage (see RepairSimilarity) is replaced by the article's exact words;
// anything else is dropped. Citations are built only from verified quotes,
// so a citation of a passage that was not retrieved, or without a verified
// quote, is dropped; a sentence left without one is removed, and so is a
// sentence whose text quotes words ("…") that are not in the articles (a
// quote starts and ends on word boundaries: "no" is not in "not") or links
// to any address, bare domains included, other than a cited article's own
// URL. The reply itself is bounded: the client reads at most 1 MiB of it,
// and sentences, quotes, citations and disagreements past a few are
// dropped unread; verification stops when the model's time is up. When nothing verifiable is
// left, or the model fails or takes longer than Options.ModelTimeout, the
// answer is extracted from the articles with a note that says so.
//
// A model that finds no answer in the passages is believed: declining is
// safe. A model's answer is accepted even when the extractive grounding
// cut-off (Options.MinCoverage) would decline the question, provided at
// least one of its quotes verifies: the cut-off measures shared words, and
// a model may answer in other words; what it shows is still only verified
// quotes. Such answers are logged.
type CompleteFunc func(ctx context.Context, req llm.CompletionRequest) (string, error)

// Defaults of the model options.
const (
	DefaultModelTimeout   = 60 * time.Second
	DefaultRewriteTimeout = 10 * time.Second
)

// Notes shown with an answer when the model's could not be used, or only in
// part. They are plain sentences for the reader; why the model failed, and
// which setting to check, goes to the log (see fallback).
const (
	NoteUnavailable      = "The language model is unavailable, so this answer was extracted from the articles."
	NoteUnverified       = "The model's answer could not be verified against the articles, so this answer was extracted from them directly."
	NoteUnreadable       = "The model's reply could not be read, so this answer was extracted from the articles directly."
	NotePartlyUnverified = "Parts of the model's answer could not be verified against the articles and were left out."
)

// answerMaxTokens bounds the model's reply to the answer prompt.
const answerMaxTokens = 1500

// modelAnswer answers q with the model: rewrite a follow-up, retrieve,
// have the model write from the passages, verify, and fall back to the
// extractive answer when the model fails or nothing verifiable is left.
func (c *Composer) modelAnswer(ctx context.Context, q string, notes []string, history []Turn) (Answer, error) {
	mctx, cancel := context.WithTimeout(ctx, c.opts.ModelTimeout)
	defer cancel()
	query, modelErr := c.rewrite(mctx, q, history)
	hits, err := c.index.Search(ctx, retrieval.Query{Text: query, K: c.opts.K, Filter: c.opts.Filter, Diverse: true})
	if err != nil {
		return Answer{}, fmt.Errorf("search %q: %w", query, err)
	}
	ext := c.extract(q, query, hits)
	var ans Answer
	switch {
	case ctx.Err() != nil:
		return Answer{}, fmt.Errorf("answer: %w", ctx.Err())
	case len(hits) == 0:
		ans = ext // no passages: nothing for the model to write from
	case modelErr != nil:
		ans = c.fallback(ext, NoteUnavailable, modelErr)
	default:
		ans, err = c.writeWithModel(mctx, q, query, hits, ext)
		if ctx.Err() != nil {
			return Answer{}, fmt.Errorf("answer: %w", ctx.Err())
		}
		if err != nil {
			return Answer{}, err
		}
	}
	ans.Notes = append(notes, ans.Notes...)
	if !ans.Grounded {
		c.stats.Declined.Add(1)
	}
	c.stats.QuotesShown.Add(int64(len(ans.Citations)))
	return ans, nil
}

// writeWithModel has the model answer question (the standalone form of q)
// from hits and verifies its reply; ext is the extractive answer to fall
// back on.
func (c *Composer) writeWithModel(ctx context.Context, q, question string, hits []retrieval.Hit, ext Answer) (Answer, error) {
	pq := parseQuestion(question)
	p, err := prompts.Answer(prompts.AnswerData{Question: question, Kind: string(pq.Kind), Want: string(pq.Want), Passages: promptPassages(hits)})
	if err != nil {
		return c.fallback(ext, NoteUnavailable, fmt.Errorf("answer prompt: %w", err)), nil
	}
	c.log.Debug("asking the model", "question", question, "passages", len(hits))
	progressOf(ctx).writing(len(hits))
	reply, err := c.opts.Model(ctx, llm.CompletionRequest{
		System:    p.System,
		User:      p.User,
		Schema:    &llm.Schema{Name: p.SchemaName, JSON: p.Schema},
		MaxTokens: answerMaxTokens,
	})
	if err != nil {
		return c.fallback(ext, NoteUnavailable, err), nil
	}
	c.log.Debug("model reply", "reply", reply)
	r, err := prompts.ParseAnswerReply(reply)
	if err != nil {
		return c.fallback(ext, NoteUnreadable, err), nil
	}
	if !r.Grounded {
		c.stats.ModelAnswers.Add(1)
		c.log.Info("the model found no answer in the passages", "passages", len(hits))
		return Answer{Question: q, Answer: NotCovered, Mode: "model", Passages: passages(hits), Citations: []citation.Citation{}}, nil
	}
	quotes := 0
	for _, s := range r.Sentences {
		quotes += len(s.Quotes)
	}
	progressOf(ctx).checking(quotes)
	v := newVerification(c, hits)
	ans, ok, err := v.reply(ctx, r)
	v.log(len(r.Sentences))
	if err != nil {
		return c.fallback(ext, NoteUnavailable, err), nil
	}
	if !ok {
		return c.fallback(ext, NoteUnverified, errors.New("no sentence of the model's answer could be verified")), nil
	}
	c.stats.ModelAnswers.Add(1)
	if !ext.Grounded {
		// Safe, since only verified quotes are shown; logged so that
		// the grounding cut-off can be recalibrated.
		c.log.Info("model answer accepted below the extractive grounding cut-off", "citations", len(ans.Citations))
	}
	ans.Question = q
	ans.Passages = passages(hits)
	if v.sentsDropped > 0 {
		ans.Notes = append(ans.Notes, NotePartlyUnverified)
	}
	return ans, nil
}

// fallback returns the extractive answer ext with note, and counts and
// logs why the model's answer was not used. It is the one place a model
// failure becomes a note for the reader and a log line for the operator:
// the note is a plain sentence, the log line says what went wrong and,
// for a wrong setting, which one to check.
func (c *Composer) fallback(ext Answer, note string, cause error) Answer {
	c.stats.ModelFallbacks.Add(1)
	attrs := []any{"reason", note}
	if note == NoteUnavailable {
		attrs = append(attrs, "detail", unavailableReason(cause, c.opts.ModelTimeout))
	}
	c.log.Warn("model answer not used; answering extractively", append(attrs, "err", cause)...)
	ext.Notes = append(ext.Notes, note)
	return ext
}

// promptPassages numbers hits from 1 for the answer prompt; the numbers are
// the passages' ranks.
func promptPassages(hits []retrieval.Hit) []prompts.Passage {
	out := make([]prompts.Passage, 0, len(hits))
	for i, h := range hits {
		p := prompts.Passage{N: i + 1, Source: h.Chunk.ArticleID, Text: h.Chunk.Text}
		if a := h.Article; a != nil {
			p.Title, p.Outlet, p.Date = a.DisplayTitle(), a.Outlet, a.Date()
		}
		out = append(out, p)
	}
	return out
}

// unavailableReason tells the operator, in a few words, why the model could
// not answer; a wrong setting is named so that it can be fixed.
func unavailableReason(err error, timeout time.Duration) string {
	var e *llm.Error
	isLLM := errors.As(err, &e)
	switch {
	case errors.Is(err, llm.ErrAuth):
		return "the model server rejected the API key: check " + llm.EnvAPIKey
	case errors.Is(err, llm.ErrNotFound):
		return fmt.Sprintf("the model server has no such model: check %s or %s", llm.EnvChatModel, llm.EnvAzureDeployment)
	case errors.Is(err, llm.ErrConfig):
		return fmt.Sprintf("the model server's address or certificate is wrong: check %s or %s", llm.EnvBaseURL, llm.EnvAzureEndpoint)
	case errors.Is(err, context.DeadlineExceeded), isLLM && e.Kind == llm.KindTimeout:
		return fmt.Sprintf("no reply within %v", timeout)
	case isLLM && e.Kind == llm.KindQuota:
		return "its quota is used up"
	case isLLM && e.Kind == llm.KindRateLimit:
		return "it is rate limiting requests"
	case isLLM && e.Kind == llm.KindServer:
		return fmt.Sprintf("server error %d", e.StatusCode)
	case isLLM && e.Kind == llm.KindConnection:
		return "could not connect to the model server"
	case errors.Is(err, llm.ErrBadResponse):
		return "its reply was unusable"
	case errors.Is(err, llm.ErrBadRequest):
		return "it refused the request"
	case errors.Is(err, llm.ErrUnavailable):
		return "the model server is unavailable"
	}
	return "an unexpected error"
}
