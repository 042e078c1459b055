package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/auth/bearer"
)

// Client calls Converse and ConverseStream through the official
// bedrockruntime client. It is safe for concurrent use; every Prompt is an
// independent value.
type Client struct {
	rt       *bedrockruntime.Client
	hc       *http.Client
	settings Settings
	defaults Options
	tools    []Tool
	retryer  *retry.Standard
}

type clientConfig struct {
	settings Settings
	options  Options
	tools    []Tool
	retry    Retry
	hc       *http.Client
}

// ClientOption configures [New].
type ClientOption func(*clientConfig)

// WithSettings sets the connection settings (default: every default, no
// environment; use [SettingsFromEnv] to read it).
func WithSettings(s Settings) ClientOption { return func(c *clientConfig) { c.settings = s } }

// WithOptions sets the client's default call options, merged over the
// library defaults (temperature 0.8, maxTokens 500).
func WithOptions(o Options) ClientOption {
	return func(c *clientConfig) { c.options = c.options.merge(o) }
}

// WithTools registers tools every prompt of the client may call.
func WithTools(tools ...Tool) ClientOption {
	return func(c *clientConfig) { c.tools = append(c.tools, tools...) }
}

// WithRetry sets the retry policy (default [DefaultRetry]).
func WithRetry(r Retry) ClientOption { return func(c *clientConfig) { c.retry = r } }

// WithHTTPClient replaces the transport Settings would build. The
// connection, acquisition and read timeouts are then the caller's; the
// whole-call timeout still applies.
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *clientConfig) { c.hc = hc } }

// New returns a Client. The context is used only while loading the AWS
// configuration (profiles, SSO).
func New(ctx context.Context, opts ...ClientOption) (*Client, error) {
	cfg := clientConfig{options: defaultOptions(), retry: DefaultRetry()}
	for _, o := range opts {
		o(&cfg)
	}
	s := cfg.settings.withDefaults()
	for _, t := range cfg.tools {
		if t.err != nil {
			return nil, t.err
		}
	}
	if err := uniqueTools(cfg.tools); err != nil {
		return nil, err
	}
	hc := cfg.hc
	var (
		ours *http.Client
		tr   *http.Transport
	)
	if hc == nil {
		ours, tr = newHTTPClient(s)
		hc = ours
	}
	rtr := cfg.retry.retryer()
	awsCfg, err := s.awsConfig(ctx, readOnlyBodies(hc), tr, rtr)
	if err != nil {
		return nil, err
	}
	rt := bedrockruntime.NewFromConfig(awsCfg, func(o *bedrockruntime.Options) {
		o.Retryer, o.RetryMaxAttempts = rtr, 0
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
		switch {
		case s.APIKey != "":
			key := s.APIKey
			o.BearerAuthTokenProvider = bearer.TokenProviderFunc(func(context.Context) (bearer.Token, error) {
				return bearer.Token{Value: key}, nil
			})
			o.AuthSchemePreference = []string{"httpBearerAuth"}
		case s.AccessKey != "":
			// Keys given in Settings win over an ambient
			// AWS_BEARER_TOKEN_BEDROCK, which the SDK would prefer.
			o.BearerAuthTokenProvider = nil
			o.AuthSchemePreference = nil
		}
	})
	return &Client{rt: rt, hc: ours, settings: s, defaults: cfg.options, tools: slices.Clone(cfg.tools), retryer: rtr}, nil
}

// Bedrock returns the underlying SDK client, for calls chat does not wrap.
func (c *Client) Bedrock() *bedrockruntime.Client { return c.rt }

// Settings returns the client's connection settings, defaults filled in.
func (c *Client) Settings() Settings { return c.settings }

// Close releases idle connections of the transport the client built.
func (c *Client) Close() {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
}

// Prompt starts a request. Texts, if any, become the user message (Spring
// AI's chatClient.prompt("…")).
func (c *Client) Prompt(text ...string) Prompt {
	p := Prompt{c: c}
	for _, t := range text {
		p = p.User(t)
	}
	return p
}

func uniqueTools(tools []Tool) error {
	seen := map[string]bool{}
	for _, t := range tools {
		if seen[t.name] {
			return fmt.Errorf("chat: tool %q registered twice", t.name)
		}
		seen[t.name] = true
	}
	return nil
}

// ErrNoModel reports a call without a model ID.
var ErrNoModel = errors.New("chat: no model: set Options.Model (or CONVERSE_CHAT_OPTIONS_MODEL)")
