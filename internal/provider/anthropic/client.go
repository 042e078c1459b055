// Package anthropic is the backend for the Anthropic Messages API
// (POST /v1/messages). It translates Converse requests to Messages requests
// (cachePoint blocks become cache_control on the block before them), and
// the JSON or Server-Sent-Events answers back to Converse responses and
// ConverseStream events in Bedrock's order, mapping Anthropic's errors to
// Bedrock exceptions. Usage, including prompt-cache reads and writes, is
// Anthropic's own count.
package anthropic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

// Defaults for the zero values of Options.
const (
	// DefaultBaseURL is Anthropic's API root.
	DefaultBaseURL = "https://api.anthropic.com"
	// DefaultVersion is the anthropic-version header every request carries.
	DefaultVersion = "2023-06-01"
	// DefaultMaxTokens is sent as max_tokens when the Converse request has
	// no inferenceConfig.maxTokens: Anthropic requires the field, Bedrock
	// does not. 4096 is the smallest output limit of current Claude models
	// (Claude 3 Haiku), so it is valid for every model.
	DefaultMaxTokens = 4096
	// DefaultTimeout bounds a non-streaming call when Options.Timeout is
	// zero. Long thinking turns can take minutes before the first byte.
	DefaultTimeout = 10 * time.Minute
)

// Options configures a Provider. The zero value of each field means its
// default; only APIKey is needed to reach api.anthropic.com.
type Options struct {
	// BaseURL is the API root without the /v1 path (DefaultBaseURL when
	// empty); requests go to BaseURL + "/v1/messages".
	BaseURL string
	// APIKey is sent as the x-api-key header when set. It never appears in
	// errors.
	APIKey string
	// Version is the anthropic-version header (DefaultVersion when empty).
	Version string
	// HTTPClient makes the upstream calls; nil means a client of its own
	// with a clone of the default transport (never http.DefaultClient).
	HTTPClient *http.Client
	// Name is the backend's name in error messages; "anthropic" when empty.
	Name string
	// Timeout bounds a non-streaming call (DefaultTimeout when zero).
	// Exceeding it is a ModelTimeoutException.
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait from sending a stream request to the
	// first content (upstream.DefaultFirstTokenTimeout when zero); IdleTimeout
	// the wait for each later piece of content (upstream.DefaultIdleTimeout).
	// ping events and a message_start on its own do not count. Exceeding
	// either is a ModelTimeoutException; before the first content no event
	// was sent, so the router may fall back.
	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration
	// MaxBufferedBytes bounds what one stream holds from the upstream
	// (upstream.DefaultMaxBufferedBytes when zero): a fixed charge per open
	// content block and the last message_delta. Past it the stream ends
	// with a ModelStreamErrorException. It also caps one SSE event.
	MaxBufferedBytes int
	// DefaultMaxTokens is max_tokens for requests that do not set
	// inferenceConfig.maxTokens (DefaultMaxTokens when zero).
	DefaultMaxTokens int
	// Logger receives operator-facing warnings (refused credentials,
	// redirects); nil discards them.
	Logger *slog.Logger
}

// String describes the options without the API key.
func (o Options) String() string {
	key := ""
	if o.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("anthropic.Options{BaseURL:%q APIKey:%q Version:%q Name:%q Timeout:%v FirstTokenTimeout:%v IdleTimeout:%v MaxBufferedBytes:%d DefaultMaxTokens:%d}",
		o.BaseURL, key, o.Version, o.Name, o.Timeout, o.FirstTokenTimeout, o.IdleTimeout, o.MaxBufferedBytes, o.DefaultMaxTokens)
}

// Provider is an Anthropic Messages API backend. It is safe for concurrent
// use.
type Provider struct {
	endpoint    string
	apiKey      string
	version     string
	client      *http.Client
	name        string
	up          upstream.Backend
	timeout     time.Duration
	firstToken  time.Duration
	idle        time.Duration
	maxBuffered int
	maxTokens   int
	// now is the clock for latencyMs; replaced in tests.
	now func() time.Time
}

// New checks the options and returns a Provider.
func New(opts Options) (*Provider, error) {
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("anthropic: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("anthropic: base URL %q: want an absolute http or https URL", base)
	}
	if opts.Timeout < 0 || opts.FirstTokenTimeout < 0 || opts.IdleTimeout < 0 {
		return nil, fmt.Errorf("anthropic: negative timeout (timeout %v, first token %v, idle %v)", opts.Timeout, opts.FirstTokenTimeout, opts.IdleTimeout)
	}
	if opts.DefaultMaxTokens < 0 || opts.MaxBufferedBytes < 0 {
		return nil, fmt.Errorf("anthropic: negative default max tokens %d or MaxBufferedBytes %d", opts.DefaultMaxTokens, opts.MaxBufferedBytes)
	}
	p := &Provider{
		endpoint:    strings.TrimRight(u.String(), "/") + "/v1/messages",
		apiKey:      opts.APIKey,
		version:     cmp.Or(opts.Version, DefaultVersion),
		client:      upstream.Client(opts.HTTPClient),
		name:        cmp.Or(opts.Name, "anthropic"),
		timeout:     cmp.Or(opts.Timeout, DefaultTimeout),
		firstToken:  cmp.Or(opts.FirstTokenTimeout, upstream.DefaultFirstTokenTimeout),
		idle:        cmp.Or(opts.IdleTimeout, upstream.DefaultIdleTimeout),
		maxBuffered: cmp.Or(opts.MaxBufferedBytes, upstream.DefaultMaxBufferedBytes),
		maxTokens:   cmp.Or(opts.DefaultMaxTokens, DefaultMaxTokens),
		now:         time.Now,
	}
	p.up = upstream.Backend{Name: p.name, Logger: opts.Logger, Secret: opts.APIKey}
	return p, nil
}

// ReportsCacheUsage reports that the usage this provider returns already
// counts prompt-cache reads and writes (Anthropic's own numbers), so the
// router should not replace them with its own cache accounting.
func (p *Provider) ReportsCacheUsage() bool { return true }

// post sends body to the Messages endpoint and returns the response when
// its status is 2xx; any other status, or a transport failure, comes back
// as a *wire.Exception (or the caller's own context error).
func (p *Provider) post(ctx context.Context, r *request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(r.body))
	if err != nil {
		return nil, fmt.Errorf("backend %q: build request: %w", p.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if r.stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("anthropic-version", p.version)
	if len(r.betas) > 0 {
		req.Header.Set("anthropic-beta", strings.Join(r.betas, ","))
	}
	if p.apiKey != "" {
		req.Header.Set("x-api-key", p.apiKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.up.TransportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := parseError(upstream.ReadErrorBody(resp))
		return nil, p.up.StatusError(ctx, resp.StatusCode, e.Type, e.Message)
	}
	return resp, nil
}

// apiError is the error object of an error response body
// ({"type":"error","error":{"type":…,"message":…},"request_id":…}) and of
// an "error" stream event.
type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// errorBody is an Anthropic error response or error event.
type errorBody struct {
	Error apiError `json:"error"`
}

// parseError extracts the error type and message from raw, as Anthropic
// wrote them (upstream.Backend.Clean makes the message safe).
func parseError(raw []byte) apiError {
	var eb errorBody
	if json.Unmarshal(raw, &eb) != nil {
		return apiError{}
	}
	return eb.Error
}

// typeStatus is the HTTP status Anthropic documents for each error type,
// so that an error event inside a stream maps like the same error before
// it: the one mapping is upstream.ExceptionForStatus. 0 for a type it does
// not document.
func typeStatus(t string) int {
	switch t {
	case "invalid_request_error":
		return http.StatusBadRequest
	case "authentication_error":
		return http.StatusUnauthorized
	case "billing_error":
		return http.StatusPaymentRequired
	case "permission_error":
		return http.StatusForbidden
	case "not_found_error":
		return http.StatusNotFound
	case "request_too_large":
		return http.StatusRequestEntityTooLarge
	case "rate_limit_error":
		return http.StatusTooManyRequests
	case "api_error":
		return http.StatusInternalServerError
	case "timeout_error":
		return http.StatusGatewayTimeout
	case "overloaded_error":
		return upstream.StatusOverloaded
	}
	return 0
}

// streamError maps an "error" event that arrived after the 200 with the
// status Anthropic documents for its type (see upstream.Backend.StreamError):
// overloaded_error stays a ServiceUnavailableException (retryable, as the
// 529 would have been), rate limits and invalid requests keep their
// mapping, api_error, timeout_error and unknown types are a
// ModelStreamErrorException with the status and the upstream message.
func (p *Provider) streamError(ctx context.Context, raw []byte) *wire.Exception {
	e := parseError(raw)
	return p.up.StreamError(ctx, typeStatus(e.Type), e.Type, e.Message)
}

// Provider implements the backend contract.
var _ provider.Provider = (*Provider)(nil)
