package bedrock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

var modelIDs = []string{
	"anthropic.claude-3-haiku-20240307-v1:0",
	"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
	"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
	"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
	"arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
	"odd id ~with+spaces&%",
}

// capture is an SDK HTTP client that keeps the request and sends nothing.
type capture struct{ req *http.Request }

var errCaptured = errors.New("captured")

func (c *capture) Do(r *http.Request) (*http.Response, error) {
	c.req = r
	return nil, errCaptured
}

// The path on the wire is byte for byte the one the official Go SDK sends
// for the same model ID and endpoint, so the upstream (AWS included) sees
// what it sees from any SDK.
func TestPathMatchesSDK(t *testing.T) {
	for _, endpoint := range []string{"https://bedrock-runtime.us-west-2.amazonaws.com", "http://127.0.0.1:8080/base/path/"} {
		p, err := New(t.Context(), Options{Region: "us-west-2", Endpoint: endpoint, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
		if err != nil {
			t.Fatal(err)
		}
		cap := &capture{}
		sdk := bedrockruntime.NewFromConfig(aws.Config{
			Region:      "us-west-2",
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			HTTPClient:  cap,
		}, func(o *bedrockruntime.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			o.RetryMaxAttempts = 1
		})
		for _, id := range modelIDs {
			for _, op := range []string{"converse", "converse-stream"} {
				var err error
				if op == "converse" {
					_, err = sdk.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: []types.Message{}})
				} else {
					_, err = sdk.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(id), Messages: []types.Message{}})
				}
				if !errors.Is(err, errCaptured) {
					t.Fatalf("SDK %s %q: %v", op, id, err)
				}
				ours, err := p.newRequest(t.Context(), id, op, []byte("{}"), "application/json")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(cap.req.URL.String(), ours.URL.String()); diff != "" {
					t.Errorf("%s %s %q URL (-sdk +ours):\n%s", endpoint, op, id, diff)
				}
				if got := ours.URL.RequestURI(); got != cap.req.URL.RequestURI() {
					t.Errorf("%s %q request line %q, SDK %q", op, id, got, cap.req.URL.RequestURI())
				}
				if cap.req.Host != "" && ours.Host != "" && cap.req.Host != ours.Host {
					t.Errorf("Host %q, SDK %q", ours.Host, cap.req.Host)
				}
			}
		}
	}
}

// Our own SigV4 verifier accepts the signed request exactly as it arrives
// on the wire, for every model ID, with and without a session token; a
// changed body or path does not verify.
func TestSignatureVerifies(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	v, err := auth.New(auth.Options{
		Principals: []auth.Principal{{Name: "hop", Models: []string{"*"}}},
		AccessKeys: []auth.AccessKey{{ID: "AKIDHOP", Secret: "s3cret", Principal: "hop"}},
		Regions:    []string{"eu-central-1"}, // the region the hop signs for
		Now:        func() time.Time { return at },
	})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"héllo"}]}]}`)
	for _, token := range []string{"", "session-token-value"} {
		p, err := New(t.Context(), Options{Region: "eu-central-1", Endpoint: "http://upstream.test:9000/prefix", Credentials: credentials.NewStaticCredentialsProvider("AKIDHOP", "s3cret", token)})
		if err != nil {
			t.Fatal(err)
		}
		p.now = func() time.Time { return at }
		for _, id := range modelIDs {
			req, err := p.newRequest(t.Context(), id, "converse", body, "application/json")
			if err != nil {
				t.Fatal(err)
			}
			if token != "" && req.Header.Get("X-Amz-Security-Token") != token {
				t.Errorf("session token not sent")
			}
			if !strings.Contains(req.Header.Get("Authorization"), "/eu-central-1/bedrock/aws4_request") {
				t.Errorf("credential scope: %q", req.Header.Get("Authorization"))
			}
			for _, tc := range []struct {
				name   string
				mutate func([]byte) []byte
				ok     bool
			}{
				{"as sent", func(b []byte) []byte { return b }, true},
				{"body changed", func(b []byte) []byte { return bytes.Replace(b, []byte("héllo"), []byte("heello"), 1) }, false},
				{"path changed", func(b []byte) []byte {
					return bytes.Replace(b, []byte("/converse HTTP"), []byte("/converse-stream HTTP"), 1)
				}, false},
			} {
				var wireBytes bytes.Buffer
				if err := req.Write(&wireBytes); err != nil {
					t.Fatal(err)
				}
				raw := tc.mutate(wireBytes.Bytes())
				in, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
				if err != nil {
					t.Fatal(err)
				}
				got, _ := readAll(in)
				req.Body, _ = req.GetBody()
				principal, err := v.Authenticate(in, got)
				if tc.ok && (err != nil || principal.Name != "hop") {
					t.Errorf("%q token=%v %s: %v", id, token != "", tc.name, err)
				}
				if !tc.ok && err == nil {
					t.Errorf("%q %s: verified, want a signature error", id, tc.name)
				}
			}
		}
	}
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

// Upstream error responses become the same exception, except a refusal of
// this server's own credentials, and untyped or unknown errors, which go
// through the one status mapping (upstream.ExceptionForStatus).
func TestUpstreamError(t *testing.T) {
	refused := func(status int) *wire.Exception {
		return &wire.Exception{Type: wire.ServiceUnavailableException, Message: fmt.Sprintf("Backend \"aws\" is unavailable: it refused this server's credentials (HTTP %d). This is a server configuration problem, not a problem with your request.", status)}
	}
	for _, tc := range []struct {
		name   string
		status int
		header string
		body   string
		want   *wire.Exception
	}{
		{"header with coral suffix", 400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"bad input"}`,
			&wire.Exception{Type: wire.ValidationException, Message: "bad input"}},
		{"header wins over body", 429, "ThrottlingException", `{"__type":"ValidationException","message":"Too many requests"}`,
			&wire.Exception{Type: wire.ThrottlingException, Message: "Too many requests"}},
		{"body __type with namespace", 429, "", `{"__type":"com.amazon.bedrock#ThrottlingException","message":"slow"}`,
			&wire.Exception{Type: wire.ThrottlingException, Message: "slow"}},
		{"body code, capital Message", 400, "", `{"code":"ValidationException","Message":"Capital"}`,
			&wire.Exception{Type: wire.ValidationException, Message: "Capital"}},
		{"424 members kept", 424, "ModelErrorException", `{"message":"m","originalStatusCode":500,"resourceName":"arn:x"}`,
			&wire.Exception{Type: wire.ModelErrorException, Message: "m", OriginalStatusCode: 500, ResourceName: "arn:x"}},
		{"stream error members kept", 424, "ModelStreamErrorException", `{"message":"m","originalStatusCode":502,"originalMessage":"gw"}`,
			&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 502, OriginalMessage: "gw"}},
		{"extra members dropped elsewhere", 400, "ValidationException", `{"message":"m","originalStatusCode":500}`,
			&wire.Exception{Type: wire.ValidationException, Message: "m"}},
		{"typed 500 passes", 500, "InternalServerException", `{"message":"oops"}`,
			&wire.Exception{Type: wire.InternalServerException, Message: "oops"}},
		{"our signature refused", 403, "InvalidSignatureException", `{"message":"The request signature we calculated does not match"}`, refused(403)},
		{"our key unknown", 403, "UnrecognizedClientException", `{"message":"The security token included in the request is invalid."}`, refused(403)},
		{"our principal denied", 403, "AccessDeniedException", `{"message":"You don't have access to the model with the specified model ID."}`, refused(403)},
		{"our token expired", 403, "ExpiredTokenException", `{"message":"The security token included in the request is expired"}`, refused(403)},
		{"untyped 401", 401, "", ``, refused(401)},
		{"unknown type keeps its name in the message", 400, "SomeFutureException", `{"message":"new"}`,
			&wire.Exception{Type: wire.ValidationException, Message: `Backend "aws" returned HTTP 400 (SomeFutureException): new`}},
		{"untyped 503 empty body", 503, "", ``,
			&wire.Exception{Type: wire.ServiceUnavailableException, Message: `Backend "aws" returned HTTP 503: Service Unavailable`}},
		{"untyped 504", 504, "", ``,
			&wire.Exception{Type: wire.ModelTimeoutException, Message: `Backend "aws" returned HTTP 504: Gateway Timeout`}},
		{"untyped 500 HTML", 500, "", `<html>oops</html>`,
			&wire.Exception{Type: wire.ModelErrorException, Message: `Backend "aws" returned HTTP 500: Internal Server Error`, OriginalStatusCode: 500}},
		{"untyped 404", 404, "", `{"message":"no such model"}`,
			&wire.Exception{Type: wire.ResourceNotFoundException, Message: `Backend "aws" returned HTTP 404: no such model`}},
		{"untyped 413", 413, "", `{}`,
			&wire.Exception{Type: wire.ValidationException, Message: `Backend "aws" returned HTTP 413: Request Entity Too Large`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provider{name: "aws", up: upstream.Backend{Name: "aws"}}
			got := p.upstreamError(t.Context(), tc.status, tc.header, []byte(tc.body))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A refusal of our own credentials is logged for the operator, with the
// backend, the upstream status and error type.
func TestCredentialsRefusedLogged(t *testing.T) {
	var logs bytes.Buffer
	p := &Provider{name: "aws", up: upstream.Backend{Name: "aws", Logger: slog.New(slog.NewTextHandler(&logs, nil))}}
	p.upstreamError(t.Context(), 403, "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/", []byte(`{"message":"The security token included in the request is invalid."}`))
	for _, want := range []string{"level=WARN", "backend=aws", "status=403", "error=UnrecognizedClientException", "security token"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func FuzzUpstreamError(f *testing.F) {
	f.Add(400, "ValidationException:http://x", []byte(`{"message":"m"}`))
	f.Add(424, "", []byte(`{"__type":"a#ModelErrorException","originalStatusCode":500}`))
	f.Add(418, "#:", []byte(`{"code":1}`))
	p := &Provider{name: "aws", up: upstream.Backend{Name: "aws"}}
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		ex := p.upstreamError(context.Background(), status, header, body)
		if ex == nil || ex.Type == "" || ex.Message == "" || !knownType(ex.Type) {
			t.Fatalf("%d %q %q → %#v", status, header, body, ex)
		}
		if ex.OriginalStatusCode != 0 && ex.Type != wire.ModelErrorException && ex.Type != wire.ModelStreamErrorException {
			t.Fatalf("424 members on %s", ex.Type)
		}
		if ex.Type == wire.AccessDeniedException || ex.Type == wire.InvalidSignatureException || ex.Type == wire.UnrecognizedClientException {
			t.Fatalf("a refusal of our own credentials reaches the caller as %s", ex.Type)
		}
	})
}

func TestNewOptions(t *testing.T) {
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	for _, tc := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"region and creds", Options{Region: "us-east-1", Credentials: creds}, true},
		{"negative timeout", Options{Region: "us-east-1", Credentials: creds, Timeout: -1}, false},
		{"relative endpoint", Options{Region: "us-east-1", Credentials: creds, Endpoint: "localhost:8080"}, false},
		{"endpoint with query", Options{Region: "us-east-1", Credentials: creds, Endpoint: "http://h/?x=1"}, false},
		{"ftp endpoint", Options{Region: "us-east-1", Credentials: creds, Endpoint: "ftp://h"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(ctx, tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err == nil && p.base.String() != "https://bedrock-runtime.us-east-1.amazonaws.com" {
				t.Errorf("default endpoint %q", p.base)
			}
		})
	}
}

// With no credentials given, the standard chain is used: here, the
// environment.
func TestDefaultChain(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
	t.Setenv("AWS_REGION", "ap-southeast-2")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	p, err := New(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.region != "ap-southeast-2" || p.base.Host != "bedrock-runtime.ap-southeast-2.amazonaws.com" {
		t.Errorf("region %q, endpoint %q", p.region, p.base)
	}
	req, err := p.newRequest(t.Context(), "m", "converse", []byte("{}"), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if a := req.Header.Get("Authorization"); !strings.Contains(a, "Credential=AKIDFROMENV/") {
		t.Errorf("Authorization %q, want the environment's key", a)
	}
}
