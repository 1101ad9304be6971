package llmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// post sends body to path with headers and returns the status, the
// Retry-After header and the body decoded as JSON (nil if it is not JSON).
func post(tb testing.TB, method, url, body string, header map[string]string) (int, http.Header, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		m = nil
	}
	return resp.StatusCode, resp.Header, m
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// keys returns m's keys in sorted order, as a string.
func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return fmt.Sprint(ks)
}

func TestChatResponseShape(t *testing.T) {
	srv := NewServer(t)
	srv.Queue(KindChat, Text("hello there"))
	status, _, body := post(t, "POST", srv.URL+"/chat/completions",
		`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi you"}]}`, bearer(srv.APIKey))
	if status != 200 {
		t.Fatalf("status: got %d, want 200", status)
	}
	if got, want := keys(body), "[choices created id model object system_fingerprint usage]"; got != want {
		t.Errorf("keys: got %s, want %s", got, want)
	}
	if body["object"] != "chat.completion" || body["model"] != "gpt-4o-mini" || !strings.HasPrefix(body["id"].(string), "chatcmpl-") {
		t.Errorf("body: got %v, want object chat.completion, the model, a chatcmpl- id", body)
	}
	choice := body["choices"].([]any)[0].(map[string]any)
	if got, want := keys(choice), "[finish_reason index logprobs message]"; got != want {
		t.Errorf("choice keys: got %s, want %s", got, want)
	}
	msg := choice["message"].(map[string]any)
	if msg["role"] != "assistant" || msg["content"] != "hello there" || choice["finish_reason"] != "stop" {
		t.Errorf("choice: got %v, want assistant, hello there, stop", choice)
	}
	u := body["usage"].(map[string]any)
	if u["prompt_tokens"] != 2.0 || u["completion_tokens"] != 2.0 || u["total_tokens"] != 4.0 {
		t.Errorf("usage: got %v, want 2 + 2 = 4", u)
	}
}

func TestEmbeddingsResponseShape(t *testing.T) {
	srv := NewServer(t, WithEmbeddingDim(8))
	status, _, body := post(t, "POST", srv.URL+"/embeddings",
		`{"model":"text-embedding-3-small","input":["a b","c"]}`, bearer(srv.APIKey))
	if status != 200 {
		t.Fatalf("status: got %d, want 200", status)
	}
	if got, want := keys(body), "[data model object usage]"; got != want {
		t.Errorf("keys: got %s, want %s", got, want)
	}
	data := body["data"].([]any)
	if body["object"] != "list" || len(data) != 2 {
		t.Fatalf("body: got %v, want a list of 2", body)
	}
	for i, d := range data {
		e := d.(map[string]any)
		if e["object"] != "embedding" || e["index"] != float64(i) || len(e["embedding"].([]any)) != 8 {
			t.Errorf("data[%d]: got %v, want an embedding of 8 at index %d", i, e, i)
		}
	}
	status, _, body = post(t, "POST", srv.URL+"/embeddings", `{"model":"text-embedding-3-small","input":"one"}`, bearer(srv.APIKey))
	if status != 200 || len(body["data"].([]any)) != 1 {
		t.Errorf("single string input: got %d %v, want one embedding", status, body)
	}
}

func TestModelsList(t *testing.T) {
	srv := NewServer(t, WithModels("m1", "m2"))
	status, _, body := post(t, "GET", srv.URL+"/models", "", bearer(srv.APIKey))
	if status != 200 || body["object"] != "list" {
		t.Fatalf("models: got %d %v, want 200 list", status, body)
	}
	var ids []string
	for _, d := range body["data"].([]any) {
		m := d.(map[string]any)
		ids = append(ids, m["id"].(string))
		if m["object"] != "model" || m["owned_by"] != "system" {
			t.Errorf("model: got %v, want object model owned by system", m)
		}
	}
	if fmt.Sprint(ids) != "[m1 m2]" {
		t.Errorf("ids: got %v, want [m1 m2]", ids)
	}
}

func TestErrors(t *testing.T) {
	srv := NewServer(t, WithModels("gpt-4o-mini"), WithDeployments("dep"), WithRejectedFormats("json_schema"))
	chat := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		header     map[string]string
		wantStatus int
		wantError  string // the error object, as JSON
	}{
		{
			name: "wrong key", method: "POST", path: "/v1/chat/completions", body: chat,
			header:     bearer("sk-wrong-0123456789abcd"),
			wantStatus: 401,
			wantError:  `{"code":"invalid_api_key","message":"Incorrect API key provided: sk-****************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","param":null,"type":"invalid_request_error"}`,
		},
		{
			name: "no key", method: "POST", path: "/v1/embeddings", body: `{"model":"gpt-4o-mini","input":"x"}`,
			wantStatus: 401,
		},
		{
			name: "Azure wrong key", method: "POST", path: "/openai/deployments/dep/chat/completions?api-version=2024-10-21", body: chat,
			header:     map[string]string{"api-key": "nope"},
			wantStatus: 401,
			wantError:  `{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}`,
		},
		{
			name: "Azure bearer is not the api-key", method: "POST", path: "/openai/deployments/dep/chat/completions?api-version=2024-10-21", body: chat,
			header:     bearer(DefaultAPIKey),
			wantStatus: 401,
		},
		{
			name: "Azure without api-version", method: "POST", path: "/openai/deployments/dep/chat/completions", body: chat,
			header:     map[string]string{"api-key": DefaultAPIKey},
			wantStatus: 404,
			wantError:  `{"code":"404","message":"Resource not found"}`,
		},
		{
			name: "Azure unknown deployment", method: "POST", path: "/openai/deployments/other/embeddings?api-version=2024-10-21",
			body: `{"input":"x"}`, header: map[string]string{"api-key": DefaultAPIKey},
			wantStatus: 404,
		},
		{
			name: "unknown model", method: "POST", path: "/v1/chat/completions",
			body:       `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`,
			header:     bearer(DefaultAPIKey),
			wantStatus: 404,
			wantError:  "{\"code\":\"model_not_found\",\"message\":\"The model `gpt-9` does not exist or you do not have access to it.\",\"param\":null,\"type\":\"invalid_request_error\"}",
		},
		{
			name: "rejected response_format", method: "POST", path: "/v1/chat/completions",
			body:       `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","strict":true,"schema":{}}}}`,
			header:     bearer(DefaultAPIKey),
			wantStatus: 400,
			wantError:  `{"code":null,"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.","param":"response_format","type":"invalid_request_error"}`,
		},
		{
			name: "body not JSON", method: "POST", path: "/v1/chat/completions", body: "{", header: bearer(DefaultAPIKey),
			wantStatus: 400,
		},
		{
			name: "no messages", method: "POST", path: "/v1/chat/completions", body: `{"model":"gpt-4o-mini","messages":[]}`,
			header: bearer(DefaultAPIKey), wantStatus: 400,
		},
		{
			name: "empty embedding input", method: "POST", path: "/v1/embeddings", body: `{"model":"gpt-4o-mini","input":["a",""]}`,
			header: bearer(DefaultAPIKey), wantStatus: 400,
		},
		{
			name: "unknown /v1 path", method: "POST", path: "/v1/completion", body: chat, header: bearer(DefaultAPIKey),
			wantStatus: 404,
			wantError:  `{"code":null,"message":"Invalid URL (POST /v1/completion)","param":null,"type":"invalid_request_error"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, tt.method, srv.AzureEndpoint+tt.path, tt.body, tt.header)
			if status != tt.wantStatus {
				t.Errorf("status: got %d, want %d", status, tt.wantStatus)
			}
			e, ok := body["error"]
			if !ok {
				t.Fatalf("body: got %v, want an error object", body)
			}
			if tt.wantError != "" {
				got, _ := json.Marshal(e)
				if string(got) != tt.wantError {
					t.Errorf("error:\ngot  %s\nwant %s", got, tt.wantError)
				}
			}
		})
	}
	if n := len(srv.Requests()); n != len(tests) {
		t.Errorf("recorded requests: got %d, want %d", n, len(tests))
	}
}

func TestScriptedReplies(t *testing.T) {
	srv := NewServer(t)
	srv.Queue(KindChat, RateLimited("2"), Status(503, ""), Malformed(), Text("done"))
	chat := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	status, header, body := post(t, "POST", srv.URL+"/chat/completions", chat, bearer(srv.APIKey))
	if status != 429 || header.Get("Retry-After") != "2" || body["error"].(map[string]any)["code"] != "rate_limit_exceeded" {
		t.Errorf("reply 1: got %d Retry-After %q %v, want 429 with Retry-After 2", status, header.Get("Retry-After"), body)
	}
	status, _, body = post(t, "POST", srv.URL+"/chat/completions", chat, bearer(srv.APIKey))
	if status != 503 || body["error"].(map[string]any)["type"] != "server_error" {
		t.Errorf("reply 2: got %d %v, want 503 server_error", status, body)
	}
	status, _, body = post(t, "POST", srv.URL+"/chat/completions", chat, bearer(srv.APIKey))
	if status != 200 || body != nil {
		t.Errorf("reply 3: got %d %v, want 200 with a body that is not JSON", status, body)
	}
	if srv.Pending(KindChat) != 1 {
		t.Errorf("pending: got %d, want 1", srv.Pending(KindChat))
	}
	_, _, body = post(t, "POST", srv.URL+"/chat/completions", chat, bearer(srv.APIKey))
	if got := body["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"]; got != "done" {
		t.Errorf("reply 4: got %v, want done", got)
	}
	_, _, body = post(t, "POST", srv.URL+"/chat/completions", chat, bearer(srv.APIKey))
	if got := body["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"]; got != DefaultContent {
		t.Errorf("reply 5: got %v, want the default %q", got, DefaultContent)
	}
}

func TestHandlerSeesRequest(t *testing.T) {
	srv := NewServer(t, WithHandler(func(r Request) Reply {
		return Text(fmt.Sprintf("%s|%s|%s", r.Model, r.Messages[len(r.Messages)-1].Content, r.ResponseFormat.JSONSchema.Name))
	}))
	c := openai.NewClientWithConfig(func() openai.ClientConfig {
		cfg := openai.DefaultConfig(srv.APIKey)
		cfg.BaseURL = srv.URL
		return cfg
	}())
	resp, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "question"}},
		ResponseFormat: &openai.ChatCompletionResponseFormat{Type: "json_schema",
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "ans", Strict: true, Schema: json.RawMessage(`{"type":"object"}`)}},
	})
	if err != nil {
		t.Fatalf("CreateChatCompletion: %v", err)
	}
	if got := resp.Choices[0].Message.Content; got != "gpt-4o-mini|question|ans" {
		t.Errorf("content: got %q, want gpt-4o-mini|question|ans", got)
	}
	r := srv.Requests(KindChat)[0]
	if string(r.ResponseFormat.JSONSchema.Schema) != `{"type":"object"}` || !r.ResponseFormat.JSONSchema.Strict {
		t.Errorf("recorded json_schema: got %+v, want the schema, strict", r.ResponseFormat.JSONSchema)
	}
}

func TestHangReleasedByClientAndByClose(t *testing.T) {
	srv := NewServer(t)
	srv.Queue(KindChat, Hang(), Hang())
	chat := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`

	// The client gives up: the server lets go.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/chat/completions", strings.NewReader(chat))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("hung request: got a response, want the client to time out")
	}
	waitFor(t, func() bool { return srv.Hanging() == 0 })

	// A request still held when the server closes: Close does not hang.
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(chat))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return srv.Hanging() == 1 })
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close: still blocked after 5s")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("held request: no end after Close")
	}
	srv.Close() // a second Close is harmless
}

func waitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNoKey(t *testing.T) {
	srv := NewServer(t, WithAPIKey(""))
	status, _, _ := post(t, "GET", srv.URL+"/models", "", nil)
	if status != 200 {
		t.Errorf("status without a key on a keyless server: got %d, want 200", status)
	}
}

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

func TestVector(t *testing.T) {
	const dim = 128
	a := Vector("Zelensky met Trump at the White House", dim)
	if fmt.Sprint(a) != fmt.Sprint(Vector("Zelensky met Trump at the White House", dim)) {
		t.Error("Vector: got different vectors for the same text, want the same")
	}
	for _, text := range []string{"x", "!!!", "a a b", "Ünïcode wörds"} {
		v := Vector(text, dim)
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(math.Sqrt(n)-1) > 1e-6 {
			t.Errorf("Vector(%q): got length %v, want 1", text, math.Sqrt(n))
		}
	}
	near := cosine(a, Vector("zelensky and trump at the white house", dim))
	far := cosine(a, Vector("heavy rain expected over the weekend", dim))
	if near <= 0.5 || near <= far {
		t.Errorf("cosine: got %v for shared words and %v for none, want the first above 0.5 and higher", near, far)
	}
}
