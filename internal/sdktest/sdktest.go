// Package sdktest builds official aws-sdk-go-v2 Bedrock Runtime clients for
// tests that drive a converse server over real HTTP with real SigV4.
package sdktest

import (
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/auth/bearer"
)

// Options configure a test client; zero values are the development key
// (test/test) in us-east-1.
type Options struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Region                                     string
	// HTTPClient replaces the default transport (e.g. to trust a test CA).
	HTTPClient *http.Client
	// BearerToken, when set, authenticates with a Bedrock API key
	// (Authorization: Bearer) instead of SigV4; the SDK sends it only over
	// HTTPS.
	BearerToken string
	// MaxAttempts overrides the SDK's retry attempts (default 1: tests see
	// every error the server sends).
	MaxAttempts int
}

// Client returns a bedrockruntime client whose endpoint is the given URL.
func Client(t testing.TB, endpoint string, o Options) *bedrockruntime.Client {
	t.Helper()
	if o.AccessKeyID == "" {
		o.AccessKeyID, o.SecretAccessKey = "test", "test"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 1
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		t.Cleanup(hc.CloseIdleConnections)
	}
	cfg := aws.Config{
		Region:      o.Region,
		Credentials: credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, o.SessionToken),
		HTTPClient:  BodyGuard(hc),
	}
	return bedrockruntime.NewFromConfig(cfg, func(opts *bedrockruntime.Options) {
		opts.BaseEndpoint = aws.String(endpoint)
		opts.RetryMaxAttempts = o.MaxAttempts
		if o.BearerToken != "" {
			opts.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: o.BearerToken}}
			opts.AuthSchemePreference = []string{"httpBearerAuth"}
		}
	})
}

// BodyGuard wraps an HTTP client so request bodies do not offer WriteTo.
//
// The SDK closes a request body as soon as http.Client.Do returns. Against a
// fast server, net/http can still be inside the body's WriteTo at that
// moment; WriteTo then returns io.EOF, the transport takes it for a failed
// write and closes the connection under the response ("use of closed
// network connection"). Without WriteTo the transport copies through Read,
// which finishes before Do can return. The bytes sent are the same.
func BodyGuard(c *http.Client) aws.HTTPClient {
	return guardedClient{c}
}

type guardedClient struct{ c *http.Client }

func (g guardedClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return g.c.Do(r)
}

type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }
