// Package bedrock is the backend for real Amazon Bedrock (or anything else
// speaking the Bedrock Runtime protocol, such as another converse). A
// Converse request's body is forwarded byte for byte, re-signed with SigV4
// under this server's own AWS credentials; the JSON answer is decoded for
// usage accounting, the event stream is decoded message by message as it
// arrives, and upstream exceptions pass through with their own type.
package bedrock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/conversekit/converse/internal/provider/upstream"
)

// DefaultTimeout bounds a non-streaming call when Options.Timeout is zero.
// Long generations of large models take minutes, so it errs long.
const DefaultTimeout = 10 * time.Minute

// signingName is the SigV4 service name of Bedrock Runtime: bedrock, not
// bedrock-runtime.
const signingName = "bedrock"

// Options configures a Provider. The zero value of each optional field means
// its default.
type Options struct {
	// Region is the AWS region to call and sign for. When empty, the region
	// of the standard AWS configuration (AWS_REGION, the profile) is used;
	// New fails if there is none.
	Region string
	// Endpoint overrides https://bedrock-runtime.{Region}.amazonaws.com:
	// a VPC endpoint, a FIPS endpoint, or another converse. The operation
	// path is appended to it, as the AWS SDKs append it to BaseEndpoint.
	Endpoint string
	// Credentials sign the upstream requests. Nil means the standard AWS
	// chain (environment, shared files, SSO, web identity, container and
	// instance roles) via config.LoadDefaultConfig.
	Credentials aws.CredentialsProvider
	// Profile selects a shared-config profile for the standard chain; it is
	// ignored when Credentials is set and Region is not empty.
	Profile string
	// HTTPClient makes the upstream calls; nil means a client of its own
	// with a clone of the default transport (never http.DefaultClient).
	// Either way redirects are not followed (see upstream.Client). Its
	// Timeout, if set, bounds whole streams; leave it zero and use the
	// timeouts below.
	HTTPClient *http.Client
	// Name is the backend's name in error messages; "bedrock" when empty.
	Name string
	// Timeout bounds a non-streaming call (DefaultTimeout when zero).
	// Exceeding it is a ModelTimeoutException.
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait from sending a stream request to the
	// first content event (upstream.DefaultFirstTokenTimeout when zero);
	// IdleTimeout the wait for each later one (upstream.DefaultIdleTimeout).
	// A messageStart on its own and event types this version does not know
	// do not count. Exceeding either is a ModelTimeoutException; before the
	// first content no event was sent, so the router may fall back. A
	// stream holds one event-stream message at a time (at most
	// eventstream.DefaultMaxMessageBytes, the SDKs' own limit) and nothing
	// across messages, so it needs no other bound.
	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration
	// Logger receives operator-facing warnings (refused or missing AWS
	// credentials, redirects); nil discards them.
	Logger *slog.Logger
}

// Provider forwards calls to Bedrock Runtime. It is safe for concurrent use.
type Provider struct {
	base       *url.URL // endpoint; Path and RawPath without a trailing slash
	region     string
	creds      aws.CredentialsProvider
	signer     *v4.Signer
	client     *http.Client
	name       string
	up         upstream.Backend
	timeout    time.Duration
	firstToken time.Duration
	idle       time.Duration
	// now is the signing clock; replaced in tests.
	now func() time.Time
}

// New checks the options, resolves credentials and region from the standard
// AWS configuration where they are not given, and returns a Provider.
// Credentials are only retrieved when the first call is signed.
func New(ctx context.Context, opts Options) (*Provider, error) {
	if opts.Timeout < 0 || opts.FirstTokenTimeout < 0 || opts.IdleTimeout < 0 {
		return nil, fmt.Errorf("bedrock: negative timeout (timeout %v, first token %v, idle %v)", opts.Timeout, opts.FirstTokenTimeout, opts.IdleTimeout)
	}
	p := &Provider{
		region:     opts.Region,
		creds:      opts.Credentials,
		client:     upstream.Client(opts.HTTPClient),
		name:       cmp.Or(opts.Name, "bedrock"),
		timeout:    cmp.Or(opts.Timeout, DefaultTimeout),
		firstToken: cmp.Or(opts.FirstTokenTimeout, upstream.DefaultFirstTokenTimeout),
		idle:       cmp.Or(opts.IdleTimeout, upstream.DefaultIdleTimeout),
		now:        time.Now,
	}
	p.up = upstream.Backend{Name: p.name, Logger: opts.Logger}
	if p.creds == nil || p.region == "" {
		var loads []func(*config.LoadOptions) error
		if opts.Profile != "" {
			loads = append(loads, config.WithSharedConfigProfile(opts.Profile))
		}
		if opts.Region != "" {
			loads = append(loads, config.WithRegion(opts.Region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, loads...)
		if err != nil {
			return nil, fmt.Errorf("bedrock: load AWS configuration: %w", err)
		}
		if p.region == "" {
			p.region = cfg.Region
		}
		if p.creds == nil {
			p.creds = cfg.Credentials
		}
	}
	if p.region == "" {
		return nil, errors.New("bedrock: no region: set one in the backend's options or AWS_REGION")
	}
	if p.creds == nil {
		return nil, errors.New("bedrock: no AWS credentials provider")
	}
	if _, cached := p.creds.(*aws.CredentialsCache); !cached {
		// Retrieving credentials can mean an STS or IMDS round trip; the
		// cache refreshes them shortly before they expire.
		p.creds = aws.NewCredentialsCache(p.creds)
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = "https://bedrock-runtime." + p.region + ".amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("bedrock: endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("bedrock: endpoint %q: want an absolute http or https URL without query, fragment or user", endpoint)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.EscapedPath(), "/")
	p.base = u
	p.signer = v4.NewSigner()
	return p, nil
}

// readOnlyBody hides the WriteTo of the request body from net/http, the
// guard the Go SDK needs (see internal/sdktest.BodyGuard): when a body is
// closed while the transport is still inside its WriteTo, WriteTo returns
// io.EOF and the transport closes the connection under the response. Our
// bodies are never closed early, but copying through Read, which sends the
// same bytes, keeps every outbound call on the path known to be safe.
type readOnlyBody struct{ r io.Reader }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b readOnlyBody) Close() error               { return nil }

// ReportsCacheUsage reports that Bedrock's own usage, cache reads and
// writes included, passes through unchanged.
func (p *Provider) ReportsCacheUsage() bool { return true }
