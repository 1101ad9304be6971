package answer

import (
	"context"
	"errors"
	"strings"

	"github.com/briefbot/briefbot/llm"
	"github.com/briefbot/briefbot/prompts"
)

const (
	// maxRewriteTurns is how many of the latest turns the rewrite sees.
	maxRewriteTurns = 6
	// maxTurnRunes cuts each turn the rewrite sees.
	maxTurnRunes = 2000
	// rewriteMaxTokens bounds the model's rewritten question.
	rewriteMaxTokens = 200
)

// rewrite returns the question to retrieve and answer for q: without
// history, q itself; with history, the standalone question the model
// rewrites q into, or, when the model fails, q widened with the previous
// question (followUpQuery). The error is not nil only when the model cannot
// be used for this answer at all: a wrong setting, or ctx done.
func (c *Composer) rewrite(ctx context.Context, q string, history []Turn) (string, error) {
	turns := rewriteTurns(history)
	if turns == nil {
		return q, nil
	}
	widened := followUpQuery(q, history)
	p, err := prompts.Rewrite(prompts.RewriteData{History: turns, Question: q})
	if err != nil {
		c.log.Warn("follow-up rewrite prompt failed; widening the question instead", "err", err)
		return widened, nil
	}
	rctx, cancel := context.WithTimeout(ctx, c.opts.RewriteTimeout)
	defer cancel()
	reply, err := c.opts.Model(rctx, llm.CompletionRequest{
		System:    p.System,
		User:      p.User,
		Schema:    &llm.Schema{Name: p.SchemaName, JSON: p.Schema},
		MaxTokens: rewriteMaxTokens,
	})
	if err != nil {
		c.log.Warn("follow-up rewrite failed; widening the question instead", "err", err)
		if errors.Is(err, llm.ErrConfig) || ctx.Err() != nil {
			return widened, err
		}
		return widened, nil
	}
	r, err := prompts.ParseRewriteReply(reply)
	if err != nil {
		c.log.Warn("follow-up rewrite unreadable; widening the question instead", "err", err)
		return widened, nil
	}
	rq, _ := c.cleanQuestion(r.Question)
	if rq == "" {
		c.log.Warn("follow-up rewrite empty; widening the question instead")
		return widened, nil
	}
	c.log.Debug("follow-up rewritten", "question", q, "rewritten", rq)
	return rq, nil
}

// rewriteTurns returns the latest turns of history for the rewrite prompt,
// or nil when there is no earlier question to lean on.
func rewriteTurns(history []Turn) []prompts.Turn {
	var out []prompts.Turn
	user := false
	for _, t := range history {
		text := collapse(strings.ToValidUTF8(t.Text, " "))
		if text == "" || (t.Role != "user" && t.Role != "assistant") {
			continue
		}
		if r := []rune(text); len(r) > maxTurnRunes {
			text = string(r[:maxTurnRunes]) + "…"
		}
		out = append(out, prompts.Turn{Role: t.Role, Text: text})
	}
	if len(out) > maxRewriteTurns {
		out = out[len(out)-maxRewriteTurns:]
	}
	for _, t := range out {
		user = user || t.Role == "user"
	}
	if !user {
		return nil
	}
	return out
}
