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
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	// DefaultTimeout bounds a non-streaming call, and the silence between
	// two events of a stream, when Options.Timeout is zero. Long thinking
	// turns can take minutes before the first byte.
	DefaultTimeout = 10 * time.Minute
)

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// maxErrorMessage bounds the upstream error message passed to the caller.
const maxErrorMessage = 2048

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
	// Timeout bounds a non-streaming call and the wait for each stream
	// event (DefaultTimeout when zero). Exceeding it is a
	// ModelTimeoutException.
	Timeout time.Duration
	// DefaultMaxTokens is max_tokens for requests that do not set
	// inferenceConfig.maxTokens (DefaultMaxTokens when zero).
	DefaultMaxTokens int
}

// String describes the options without the API key.
func (o Options) String() string {
	key := ""
	if o.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("anthropic.Options{BaseURL:%q APIKey:%q Version:%q Name:%q Timeout:%v DefaultMaxTokens:%d}",
		o.BaseURL, key, o.Version, o.Name, o.Timeout, o.DefaultMaxTokens)
}

// Provider is an Anthropic Messages API backend. It is safe for concurrent
// use.
type Provider struct {
	endpoint  string
	apiKey    string
	version   string
	client    *http.Client
	name      string
	timeout   time.Duration
	maxTokens int
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
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("anthropic: negative timeout %v", opts.Timeout)
	}
	if opts.DefaultMaxTokens < 0 {
		return nil, fmt.Errorf("anthropic: negative default max tokens %d", opts.DefaultMaxTokens)
	}
	p := &Provider{
		endpoint:  strings.TrimRight(u.String(), "/") + "/v1/messages",
		apiKey:    opts.APIKey,
		version:   opts.Version,
		client:    opts.HTTPClient,
		name:      opts.Name,
		timeout:   opts.Timeout,
		maxTokens: opts.DefaultMaxTokens,
		now:       time.Now,
	}
	if p.version == "" {
		p.version = DefaultVersion
	}
	if p.client == nil {
		p.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if p.name == "" {
		p.name = "anthropic"
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
	if p.maxTokens == 0 {
		p.maxTokens = DefaultMaxTokens
	}
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
		return nil, p.transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, p.statusError(resp.StatusCode, raw)
	}
	return resp, nil
}

// transportError classifies a failure to reach the backend (see
// upstream.TransportError).
func (p *Provider) transportError(ctx context.Context, err error) error {
	return upstream.TransportError(ctx, err, p.name, p.timeout)
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

// parseError extracts the error type and a safe message from raw: the API
// key is redacted and the message bounded.
func (p *Provider) parseError(raw []byte) apiError {
	var eb errorBody
	if json.Unmarshal(raw, &eb) != nil {
		return apiError{}
	}
	e := eb.Error
	e.Message = strings.TrimSpace(e.Message)
	if p.apiKey != "" {
		e.Message = strings.ReplaceAll(e.Message, p.apiKey, "[redacted]")
	}
	if len(e.Message) > maxErrorMessage {
		e.Message = strings.ToValidUTF8(e.Message[:maxErrorMessage], "") + "…"
	}
	return e
}

// errorType maps an Anthropic error type to the Bedrock exception a client
// of the real service gets for the same failure; "" when the type is
// unknown.
func errorType(t string) string {
	switch t {
	case "invalid_request_error", "request_too_large":
		return wire.ValidationException
	case "authentication_error", "permission_error", "billing_error":
		return wire.AccessDeniedException
	case "not_found_error":
		return wire.ResourceNotFoundException
	case "rate_limit_error":
		return wire.ThrottlingException
	case "timeout_error":
		return wire.ModelTimeoutException
	case "overloaded_error":
		return wire.ServiceUnavailableException
	case "api_error":
		return wire.ModelErrorException
	}
	return ""
}

// statusErrorType maps an HTTP status to a Bedrock exception when the body
// named no known error type.
func statusErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusPaymentRequired:
		return wire.AccessDeniedException
	case status == http.StatusNotFound:
		return wire.ResourceNotFoundException
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return wire.ModelTimeoutException
	case status == http.StatusTooManyRequests:
		return wire.ThrottlingException
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == 529:
		return wire.ServiceUnavailableException
	case status >= 500:
		return wire.ModelErrorException
	}
	// 400, 413, 422 and other 4xx are complaints about the request.
	return wire.ValidationException
}

// statusError maps an upstream HTTP error to a Bedrock exception, keeping
// Anthropic's message.
func (p *Provider) statusError(status int, raw []byte) *wire.Exception {
	e := p.parseError(raw)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(status)
		if status == 529 {
			msg = "Overloaded"
		}
	}
	kind := e.Type
	if kind == "" {
		kind = "no error type"
	}
	text := fmt.Sprintf("Backend %q returned HTTP %d (%s): %s", p.name, status, kind, msg)
	typ := errorType(e.Type)
	if typ == "" {
		typ = statusErrorType(status)
	}
	ex := &wire.Exception{Type: typ, Message: text}
	if typ == wire.ModelErrorException {
		ex.OriginalStatusCode = status
	}
	return ex
}

// streamError maps an "error" event that arrived after the 200: the
// stream has started, so the exception must be one ConverseStream can
// carry. overloaded_error is a ServiceUnavailableException (retryable, as
// the 529 would have been); api_error and unknown types are a
// ModelStreamErrorException with originalStatusCode 500 and the upstream
// message; rate limits, invalid requests and timeouts keep their mapping
// (wire.Exception.StreamMember turns the rest into members the stream has).
func (p *Provider) streamError(raw []byte) *wire.Exception {
	e := p.parseError(raw)
	msg := e.Message
	if msg == "" {
		msg = "unknown error"
	}
	kind := e.Type
	if kind == "" {
		kind = "no error type"
	}
	text := fmt.Sprintf("Backend %q failed mid-stream (%s): %s", p.name, kind, msg)
	typ := errorType(e.Type)
	switch typ {
	case "", wire.ModelErrorException:
		return &wire.Exception{Type: wire.ModelStreamErrorException, Message: text, OriginalStatusCode: http.StatusInternalServerError, OriginalMessage: msg}
	case wire.ModelTimeoutException:
		return &wire.Exception{Type: wire.ModelStreamErrorException, Message: text, OriginalStatusCode: http.StatusGatewayTimeout, OriginalMessage: msg}
	}
	return &wire.Exception{Type: typ, Message: text}
}

// Provider implements the backend contract.
var _ provider.Provider = (*Provider)(nil)
