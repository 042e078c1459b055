// Package openai is the backend for OpenAI-compatible chat-completions
// servers (OpenAI, vLLM, Ollama, llama.cpp, LM Studio and the many hosted
// look-alikes). It translates Converse requests to POST /chat/completions,
// and the JSON or Server-Sent-Events answers back to Converse responses and
// ConverseStream events, mapping upstream failures to Bedrock exceptions.
package openai

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/provider/upstream"
)

// DefaultTimeout bounds a non-streaming call when Options.Timeout is zero.
// Local models can be slow, and the whole answer must be generated first.
const DefaultTimeout = 10 * time.Minute

// Options configures a Provider. The zero value of each optional field means
// its default.
type Options struct {
	// BaseURL is the API root including its version path, as the OpenAI
	// SDKs take it: "https://api.openai.com/v1", "http://localhost:11434/v1"
	// (Ollama), "http://localhost:8000/v1" (vLLM). Required.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>" when set. It never
	// appears in errors or logs.
	APIKey string
	// HTTPClient makes the upstream calls; nil means a client of its own
	// with a clone of the default transport (never http.DefaultClient).
	// Either way redirects are not followed (see upstream.Client).
	HTTPClient *http.Client
	// Name is the backend's name in error messages; "openai" when empty.
	Name string
	// Timeout bounds a non-streaming call (DefaultTimeout when zero).
	// Exceeding it is a ModelTimeoutException.
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait from sending a stream request to the
	// first content (upstream.DefaultFirstTokenTimeout when zero); IdleTimeout
	// the wait for each later piece of content (upstream.DefaultIdleTimeout).
	// Chunks without content do not count. Exceeding either is a
	// ModelTimeoutException; before the first content no event was sent, so
	// the router may fall back.
	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration
	// MaxBufferedBytes bounds what one stream holds back from the upstream
	// (upstream.DefaultMaxBufferedBytes when zero): content waiting for an
	// earlier tool call to complete, the arguments of each tool call until
	// it is closed, and a fixed charge per content block. Past it the stream
	// ends with a ModelStreamErrorException. It also caps one SSE event.
	MaxBufferedBytes int
	// Logger receives operator-facing warnings (refused credentials,
	// redirects); nil discards them.
	Logger *slog.Logger
}

// Provider is an OpenAI-compatible backend. It is safe for concurrent use.
type Provider struct {
	endpoint    string
	apiKey      string
	client      *http.Client
	name        string
	up          upstream.Backend
	timeout     time.Duration
	firstToken  time.Duration
	idle        time.Duration
	maxBuffered int
	// newID makes tool-use IDs for upstream tool calls that came without a
	// usable one; replaced in tests for deterministic output.
	newID func() string
	// now is the clock for latencyMs; replaced in tests.
	now func() time.Time
}

// New checks the options and returns a Provider.
func New(opts Options) (*Provider, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("openai: base URL is required")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("openai: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("openai: base URL %q: want an absolute http or https URL", opts.BaseURL)
	}
	if opts.Timeout < 0 || opts.FirstTokenTimeout < 0 || opts.IdleTimeout < 0 {
		return nil, fmt.Errorf("openai: negative timeout (timeout %v, first token %v, idle %v)", opts.Timeout, opts.FirstTokenTimeout, opts.IdleTimeout)
	}
	if opts.MaxBufferedBytes < 0 {
		return nil, fmt.Errorf("openai: negative MaxBufferedBytes %d", opts.MaxBufferedBytes)
	}
	p := &Provider{
		endpoint:    strings.TrimRight(u.String(), "/") + "/chat/completions",
		apiKey:      opts.APIKey,
		client:      upstream.Client(opts.HTTPClient),
		name:        cmp.Or(opts.Name, "openai"),
		timeout:     cmp.Or(opts.Timeout, DefaultTimeout),
		firstToken:  cmp.Or(opts.FirstTokenTimeout, upstream.DefaultFirstTokenTimeout),
		idle:        cmp.Or(opts.IdleTimeout, upstream.DefaultIdleTimeout),
		maxBuffered: cmp.Or(opts.MaxBufferedBytes, upstream.DefaultMaxBufferedBytes),
		newID:       randomToolUseID,
		now:         time.Now,
	}
	p.up = upstream.Backend{Name: p.name, Logger: opts.Logger, Secret: opts.APIKey}
	return p, nil
}

// post sends body to the chat-completions endpoint and returns the response
// when its status is 2xx; any other status, or a transport failure, comes
// back as a *wire.Exception (or the caller's own context error).
func (p *Provider) post(ctx context.Context, body []byte, stream bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("backend %q: build request: %w", p.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if p.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.apiKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.up.TransportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw := upstream.ReadErrorBody(resp)
		return nil, p.up.StatusError(ctx, resp.StatusCode, "", errorMessage(raw))
	}
	return resp, nil
}

// errorBody covers the error shapes of OpenAI ({"error":{"message":…}}),
// vLLM's older {"object":"error","message":…}, Ollama's native
// {"error":"…"} and FastAPI's {"detail":…}.
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

// errorMessage extracts the human-readable message of an error body, as
// the backend wrote it (upstream.Backend.Clean makes it safe).
func errorMessage(raw []byte) string {
	var eb errorBody
	if json.Unmarshal(raw, &eb) != nil {
		return ""
	}
	var obj struct {
		Message string `json:"message"`
	}
	var s string
	switch {
	case json.Unmarshal(eb.Error, &obj) == nil && obj.Message != "":
		return obj.Message
	case json.Unmarshal(eb.Error, &s) == nil && s != "":
		return s
	case eb.Message != "":
		return eb.Message
	case json.Unmarshal(eb.Detail, &s) == nil && s != "":
		return s
	case len(eb.Detail) > 0 && string(eb.Detail) != "null":
		return string(eb.Detail)
	}
	return ""
}
