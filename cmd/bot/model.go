package main

import (
	"context"
	"log/slog"

	"github.com/briefbot/briefbot/retrieval"
)

// modelSetup is what a configured model server adds to the engine: the
// composer's model and, optionally, the index's embeddings.
type modelSetup struct {
	// answerOpts is applied to the composer's options.
	applyAnswer func(*answerOptions)
	// applyIndex is applied to the index configuration.
	applyIndex func(*retrieval.Config)
}

// openModel connects to the configured OpenAI-compatible server, if any.
// STUB: the model integration replaces it.
func openModel(ctx context.Context, cfg config, logger *slog.Logger) (*modelSetup, error) {
	return nil, nil
}
