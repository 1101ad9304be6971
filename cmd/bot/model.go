package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/llm"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/retrieval"
)

// modelSetup is what a configured model server adds to the engine: the
// composer's model and, optionally, the index's embeddings.
type modelSetup struct {
	// applyAnswer is applied to the composer's options.
	applyAnswer func(*answerOptions)
	// applyIndex is applied to the index configuration.
	applyIndex func(*retrieval.Config)
	// applyBriefing is applied to the briefing builder's options.
	applyBriefing func(*briefing.Options)
}

const (
	// modelCheckTimeout bounds the start-up check of the model server.
	modelCheckTimeout = 15 * time.Second
	// embedBatchSize is the most texts sent in one embeddings request
	// while indexing, and the number of chunks the index embeds at once.
	embedBatchSize = 32
)

// openModel connects to the configured OpenAI-compatible server, if any,
// and checks it once. A wrong setting (key, base URL, model, deployment)
// is an error whose text is one sentence naming the setting; a server that
// is only unavailable now is logged, and answers fall back to extraction
// until it is back. It returns nil when no model server is configured.
func openModel(ctx context.Context, cfg config, logger *slog.Logger) (*modelSetup, error) {
	if !cfg.modelConfigured() {
		if cfg.ModelEmbeddings {
			logger.Warn("BOT_MODEL_EMBEDDINGS is true, but no model server is configured (OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT): using the local embedder")
		}
		return nil, nil
	}
	client, err := llm.New(llm.Config{
		BaseURL:              cfg.OpenAIBaseURL,
		APIKey:               cfg.OpenAIKey,
		AzureEndpoint:        cfg.AzureEndpoint,
		AzureDeployment:      cfg.AzureDeployment,
		AzureAPIVersion:      cfg.AzureAPIVersion,
		AzureEmbedDeployment: cfg.AzureEmbedDeployment,
		ChatModel:            cfg.ChatModel,
		EmbedModel:           cfg.EmbedModel,
		Timeout:              cfg.ModelTimeout,
	}, logger)
	if err != nil {
		return nil, err
	}
	if err := checkModel(ctx, client, cfg, logger); err != nil {
		return nil, err
	}
	setup := &modelSetup{
		applyAnswer: func(o *answerOptions) {
			o.Model = client.Complete
			o.ModelTimeout = modelBudget(cfg)
		},
		applyBriefing: func(o *briefing.Options) {
			o.Write = func(ctx context.Context, p prompts.Prompt) (string, error) {
				ctx, cancel := context.WithTimeout(ctx, modelBudget(cfg))
				defer cancel()
				return client.Complete(ctx, llm.CompletionRequest{
					System: p.System,
					User:   p.User,
					Schema: &llm.Schema{Name: p.SchemaName, JSON: p.Schema},
				})
			}
		},
	}
	if cfg.ModelEmbeddings {
		b := newEmbedBatcher(client.Embed, embedBatchSize)
		name := embedModelName(cfg)
		setup.applyIndex = func(rc *retrieval.Config) {
			rc.Embed = b.embedOne
			rc.EmbedModel = name
			rc.EmbedConcurrency = embedBatchSize
		}
	}
	return setup, nil
}

// modelBudget is how long the model may take for one answer: the smaller
// of OPENAI_TIMEOUT and two thirds of BOT_ANSWER_TIMEOUT, so that when the
// model hangs the extractive answer, with its citations, still arrives
// within the answer's deadline. Any pair of settings works: an
// OPENAI_TIMEOUT at or above BOT_ANSWER_TIMEOUT is simply cut down.
func modelBudget(cfg config) time.Duration {
	return max(min(cfg.ModelTimeout, (cfg.AnswerTimeout*2/3).Round(time.Millisecond)), time.Millisecond)
}

// checkModel checks the chat model and, when the index embeds through the
// server, the embedding model.
func checkModel(ctx context.Context, client *llm.Client, cfg config, logger *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, min(cfg.ModelTimeout, modelCheckTimeout))
	defer cancel()
	err := client.Check(cctx)
	if err == nil && cfg.ModelEmbeddings {
		err = checkEmbeddings(cctx, client, cfg)
	}
	switch {
	case err == nil:
		logger.Info("model server ready", "chat_model", client.ChatModel(), "embeddings", cfg.ModelEmbeddings)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, llm.ErrUnavailable):
		logger.Warn("the model server is unavailable; answers are extracted from the articles until it is back", "err", err)
		return nil
	}
	return err
}

// checkEmbeddings embeds one text, and explains a failure in a sentence
// that names the setting.
func checkEmbeddings(ctx context.Context, client *llm.Client, cfg config) error {
	_, err := client.Embed(ctx, []string{"briefbot start-up check"})
	var e *llm.Error
	if err == nil || !errors.As(err, &e) || errors.Is(err, llm.ErrUnavailable) {
		return err // nil, a sentence already (Azure without a deployment), or unavailable
	}
	setting, model := llm.EnvEmbedModel, client.EmbedModel()
	if cfg.AzureEndpoint != "" {
		setting, model = llm.EnvAzureEmbedDeployment, cfg.AzureEmbedDeployment
	}
	msg := fmt.Sprintf("the model server refused to embed with %q (%s", model, e.Kind)
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" %d", e.StatusCode)
	}
	msg += fmt.Sprintf("): check %s, or set BOT_MODEL_EMBEDDINGS=false to embed locally", setting)
	return &modelSetupError{msg: msg, err: err}
}

// modelSetupError is a sentence for the user that wraps the error it
// explains.
type modelSetupError struct {
	msg string
	err error
}

func (e *modelSetupError) Error() string { return e.msg }
func (e *modelSetupError) Unwrap() error { return e.err }

// embedModelName names the embedding model for the index, which records
// it with its vectors and re-embeds when it changes.
func embedModelName(cfg config) string {
	if cfg.AzureEndpoint != "" {
		return "azure:" + cfg.AzureEmbedDeployment
	}
	return "openai:" + cfg.EmbedModel
}

// embedBatcher turns the one-text-at-a-time embedding function the index
// calls from many goroutines into batched embeddings requests: while one
// request is out, the texts that arrive queue up and go together in the
// next, up to max. It starts no goroutine: the caller whose text is first
// in the queue sends the batch. A caller that gives up (its ctx done) fails
// alone; the texts of others it was sending are queued again.
type embedBatcher struct {
	embed func(ctx context.Context, texts []string) ([][]float32, error)
	max   int

	mu    sync.Mutex
	busy  bool         // a caller holds the turn to send
	queue []*embedCall // waiting, oldest first
}

// embedCall is one text waiting for its embedding.
type embedCall struct {
	text string
	vec  []float32
	err  error
	done chan struct{} // closed once vec or err is set
	turn chan struct{} // receives when this caller is to send the next batch
	gone bool          // the caller gave up; guarded by embedBatcher.mu
}

func newEmbedBatcher(embed func(ctx context.Context, texts []string) ([][]float32, error), size int) *embedBatcher {
	return &embedBatcher{embed: embed, max: size}
}

// embedOne returns the embedding of text; it has the signature of
// chromem.EmbeddingFunc.
func (b *embedBatcher) embedOne(ctx context.Context, text string) ([]float32, error) {
	c := &embedCall{text: text, done: make(chan struct{}), turn: make(chan struct{}, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.busy {
		b.busy = true
		c.turn <- struct{}{}
	}
	b.mu.Unlock()
	for {
		select {
		case <-c.done:
			return c.vec, c.err
		case <-c.turn:
			b.send(ctx, c)
		case <-ctx.Done():
			b.abandon(c)
			return nil, ctx.Err()
		}
	}
}

// send embeds the texts at the front of the queue, with the sender's ctx,
// and passes the turn on.
func (b *embedBatcher) send(ctx context.Context, sender *embedCall) {
	b.mu.Lock()
	n := min(len(b.queue), b.max)
	batch := slices.Clone(b.queue[:n])
	b.queue = slices.Delete(b.queue, 0, n)
	b.mu.Unlock()
	texts := make([]string, len(batch))
	for i, c := range batch {
		texts[i] = c.text
	}
	vecs, err := b.embed(ctx, texts)
	if err == nil && len(vecs) != len(batch) {
		err = fmt.Errorf("embeddings: sent %d texts, got %d vectors", len(batch), len(vecs))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil && ctx.Err() != nil {
		// The sender gave up: only its own text fails.
		var again []*embedCall
		for _, c := range batch {
			switch {
			case c == sender:
				c.err = ctx.Err()
				close(c.done)
			case !c.gone:
				again = append(again, c)
			}
		}
		b.queue = append(again, b.queue...)
	} else {
		for i, c := range batch {
			if err != nil {
				c.err = err
			} else {
				c.vec = vecs[i]
			}
			close(c.done)
		}
	}
	b.passTurn()
}

// abandon takes a caller that gave up out of the queue, passing its turn
// on if it had one. A text already being sent is left to its batch.
func (b *embedBatcher) abandon(c *embedCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.gone = true
	if i := slices.Index(b.queue, c); i >= 0 {
		b.queue = slices.Delete(b.queue, i, i+1)
	}
	select {
	case <-c.turn:
		b.passTurn()
	default:
	}
}

// passTurn gives the turn to send to the first caller in the queue, or
// ends it. b.mu must be held.
func (b *embedBatcher) passTurn() {
	for len(b.queue) > 0 && b.queue[0].gone {
		b.queue = b.queue[1:]
	}
	if len(b.queue) == 0 {
		b.busy = false
		return
	}
	b.queue[0].turn <- struct{}{}
}
