package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

const opModels = "list models"

// Check makes one cheap request to see that the server is reachable, takes
// the API key and serves the chat model: it lists the models (for Azure,
// and for servers without GET /models, it asks the chat model for a
// one-token completion instead; and when the list does not name the chat
// model, it confirms with that completion). It sends no retries.
//
// A failure comes back as one English sentence naming the setting to fix,
// e.g. "the model server at http://localhost:8080/v1 rejected the API key
// (401): check OPENAI_API_KEY"; the error wraps the *Error and so the
// sentinel errors. A rate limit (429 without insufficient_quota) passes:
// the key and the model are then fine. Check does not try the embedding
// model.
func (c *Client) Check(ctx context.Context) error {
	limit := c.timeout
	if deadline, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(deadline).Round(time.Millisecond))
	}
	if c.azure {
		return c.explain(c.checkCompletion(ctx), nil, limit)
	}
	var models openai.ModelsList
	err := c.do(ctx, opModels, 0, func(ctx context.Context) error {
		var err error
		models, err = c.api.ListModels(ctx)
		return err
	})
	if err == nil {
		ids := make([]string, 0, len(models.Models))
		for _, m := range models.Models {
			ids = append(ids, m.ID)
			if m.ID == c.chatModel || m.ID == c.chatModel+":latest" {
				return nil
			}
		}
		// Not listed (or an empty list): ask the model itself.
		return c.explain(c.checkCompletion(ctx), ids, limit)
	}
	var e *Error
	if errors.As(err, &e) && (e.Kind == KindBadResponse || e.StatusCode == http.StatusNotFound ||
		e.StatusCode == http.StatusMethodNotAllowed || e.StatusCode == http.StatusNotImplemented) {
		// No (usable) GET /models here; the chat endpoint decides.
		return c.explain(c.checkCompletion(ctx), nil, limit)
	}
	return c.explain(err, nil, limit)
}

// checkCompletion asks the chat model for a one-token completion, once.
func (c *Client) checkCompletion(ctx context.Context) error {
	req := openai.ChatCompletionRequest{
		Model:    c.chatModel,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Reply with OK."}},
	}
	if isReasoningModel(c.chatModel) {
		req.MaxCompletionTokens = 1
	} else {
		//lint:ignore SA1019 OpenAI-compatible servers (Ollama, vLLM, LiteLLM) know only max_tokens; reasoning models get MaxCompletionTokens above.
		req.MaxTokens = 1
	}
	return c.do(ctx, opChat, 0, func(ctx context.Context) error {
		_, err := c.api.CreateChatCompletion(ctx, req)
		return err
	})
}

// explain turns a failed check into a sentence naming the setting to fix.
// listed is the server's list of models, when it gave one; limit is how
// long the check could wait for an answer.
func (c *Client) explain(err error, listed []string, limit time.Duration) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	if e.Kind == KindRateLimit {
		c.log.Warn("model check: the server is rate limiting; the key and model look fine", "server", c.baseURL)
		return nil
	}
	c.stats.count(err)
	keySetting, urlSetting, modelSetting := EnvAPIKey, EnvBaseURL, EnvChatModel
	server := "the model server at " + c.baseURL
	if c.azure {
		urlSetting, modelSetting = EnvAzureEndpoint, EnvAzureDeployment
		server = "Azure OpenAI at " + c.baseURL
	}
	var msg string
	switch e.Kind {
	case KindAuth:
		if c.apiKey == "" {
			msg = fmt.Sprintf("%s asks for an API key (%d): set %s", server, e.StatusCode, keySetting)
		} else {
			msg = fmt.Sprintf("%s rejected the API key (%d): check %s", server, e.StatusCode, keySetting)
		}
	case KindNotFound:
		switch {
		case c.azure:
			msg = fmt.Sprintf("%s has no deployment %q, or does not support API version %q (404): check %s and %s",
				server, c.deployment, c.apiVersion, EnvAzureDeployment, EnvAzureAPIVersion)
		case listed != nil || e.Code == "model_not_found" || strings.Contains(e.Message, c.chatModel):
			msg = fmt.Sprintf("%s does not serve the model %q (404): check %s", server, c.chatModel, modelSetting)
			if len(listed) > 0 {
				msg += " (it offers " + offered(listed) + ")"
			}
		default:
			msg = fmt.Sprintf("%s has no OpenAI-compatible API at that address (404): check %s (it usually ends in /v1)", server, urlSetting)
		}
	case KindBadRequest:
		msg = fmt.Sprintf("%s refused a test request to the model %q (%d: %s): check %s", server, c.chatModel, e.StatusCode, e.Message, modelSetting)
	case KindQuota:
		msg = fmt.Sprintf("%s says the account has no quota left (429 insufficient_quota): add credit or check %s", server, keySetting)
	case KindServer:
		msg = fmt.Sprintf("%s failed with status %d: try again later or check the server's logs", server, e.StatusCode)
	case KindTimeout:
		msg = fmt.Sprintf("%s did not answer within %v: check %s and that the server is up", server, limit, urlSetting)
	case KindDNS:
		msg = fmt.Sprintf("%s cannot be found (DNS lookup failed): check the host name in %s", server, urlSetting)
	case KindTLS:
		msg = fmt.Sprintf("%s has a TLS certificate that is not trusted: check %s (http:// or https://) and the server's certificate", server, urlSetting)
	case KindBadResponse:
		msg = fmt.Sprintf("%s did not answer like an OpenAI-compatible API: check %s (it usually ends in /v1)", server, urlSetting)
	case KindConnection:
		if isRefused(err) {
			msg = fmt.Sprintf("could not connect to %s (connection refused): check %s and that the server is running", server, urlSetting)
		} else {
			msg = fmt.Sprintf("lost the connection to %s (%s): check %s and that the server is running", server, e.Message, urlSetting)
		}
	default:
		return err
	}
	return &sentenceError{msg: msg, err: err}
}

// offered lists a few of the server's model IDs.
func offered(ids []string) string {
	const most = 5
	if len(ids) <= most {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:most], ", ") + fmt.Sprintf(" and %d more", len(ids)-most)
}
