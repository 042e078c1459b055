// Package openai is the backend for OpenAI-compatible chat-completions
// servers (OpenAI, vLLM, Ollama, llama.cpp, LM Studio and the many hosted
// look-alikes). It translates Converse requests to POST /chat/completions,
// and the JSON or Server-Sent-Events answers back to Converse responses and
// ConverseStream events, mapping upstream failures to Bedrock exceptions.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

// DefaultTimeout bounds a non-streaming call, and the silence between two
// chunks of a stream, when Options.Timeout is zero. Local models can be slow.
const DefaultTimeout = 10 * time.Minute

// maxErrorMessage bounds the upstream error message passed to the caller.
const maxErrorMessage = 2048

// Options configures a Provider. The zero value of each optional field means
// its default.
type Options struct {
	// BaseURL is the API root including its version path, as the OpenAI
	// SDKs take it: "https://api.openai.com/v1", "http://localhost:11434/v1"
	// (Ollama), "http://localhost:8000/v1" (vLLM). Required.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>" when set. It never
	// appears in errors.
	APIKey string
	// HTTPClient makes the upstream calls; nil means a client of its own
	// with a clone of the default transport (never http.DefaultClient).
	HTTPClient *http.Client
	// Name is the backend's name in error messages; "openai" when empty.
	Name string
	// Timeout bounds a non-streaming call and the wait for each stream chunk
	// (DefaultTimeout when zero). Exceeding it is a ModelTimeoutException.
	Timeout time.Duration
}

// Provider is an OpenAI-compatible backend. It is safe for concurrent use.
type Provider struct {
	endpoint string
	apiKey   string
	client   *http.Client
	name     string
	timeout  time.Duration
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
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("openai: negative timeout %v", opts.Timeout)
	}
	p := &Provider{
		endpoint: strings.TrimRight(u.String(), "/") + "/chat/completions",
		apiKey:   opts.APIKey,
		client:   opts.HTTPClient,
		name:     opts.Name,
		timeout:  opts.Timeout,
		newID:    randomToolUseID,
		now:      time.Now,
	}
	if p.client == nil {
		p.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if p.name == "" {
		p.name = "openai"
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
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
		return nil, p.transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, p.statusError(resp.StatusCode, raw)
	}
	return resp, nil
}

// transportError classifies a failure to reach the backend (see
// upstream.TransportError).
func (p *Provider) transportError(ctx context.Context, err error) error {
	return upstream.TransportError(ctx, err, p.name, p.timeout)
}

// errorBody covers the error shapes of OpenAI ({"error":{"message":…}}),
// vLLM's older {"object":"error","message":…}, Ollama's native
// {"error":"…"} and FastAPI's {"detail":…}.
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

// upstreamMessage extracts the human-readable message of an error body,
// without the API key, bounded in length.
func (p *Provider) upstreamMessage(raw []byte) string {
	var msg string
	var eb errorBody
	if json.Unmarshal(raw, &eb) == nil {
		var obj struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(eb.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message
		case json.Unmarshal(eb.Error, &s) == nil && s != "":
			msg = s
		case eb.Message != "":
			msg = eb.Message
		case json.Unmarshal(eb.Detail, &s) == nil && s != "":
			msg = s
		case len(eb.Detail) > 0 && string(eb.Detail) != "null":
			msg = string(eb.Detail)
		}
	}
	msg = strings.TrimSpace(msg)
	if p.apiKey != "" {
		msg = strings.ReplaceAll(msg, p.apiKey, "[redacted]")
	}
	if len(msg) > maxErrorMessage {
		msg = strings.ToValidUTF8(msg[:maxErrorMessage], "") + "…"
	}
	return msg
}

// statusError maps an upstream HTTP error to the Bedrock exception a client
// of the real service would get for the same kind of failure.
func (p *Provider) statusError(status int, raw []byte) *wire.Exception {
	msg := p.upstreamMessage(raw)
	if msg == "" {
		msg = http.StatusText(status)
	}
	text := fmt.Sprintf("Backend %q returned HTTP %d: %s", p.name, status, msg)
	var typ string
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusRequestEntityTooLarge:
		typ = wire.ValidationException
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		typ = wire.AccessDeniedException
	case status == http.StatusNotFound:
		typ = wire.ResourceNotFoundException
	case status == http.StatusRequestTimeout:
		typ = wire.ModelTimeoutException
	case status == http.StatusTooManyRequests:
		typ = wire.ThrottlingException
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		typ = wire.ServiceUnavailableException
	case status >= 500:
		return &wire.Exception{Type: wire.ModelErrorException, Message: text, OriginalStatusCode: status}
	default:
		// Other 4xx (409, 415, …) are complaints about the request.
		typ = wire.ValidationException
	}
	return &wire.Exception{Type: typ, Message: text}
}
