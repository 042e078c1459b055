package auth

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/conversekit/converse/internal/wire"
)

// signed returns a request signed by the Go SDK signer in region over
// body, declaring payloadHash in X-Amz-Content-Sha256 when it is not empty
// (the header is then signed, as the JS SDK does).
func signed(t *testing.T, region, secret, payloadHash string, body []byte) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost:8080"+arnPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	hash := payloadHash
	if hash == "" {
		hash = hashHex(body)
	} else {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hash, "bedrock", region, signTime); err != nil {
		t.Fatal(err)
	}
	return req
}

func wantException(t *testing.T, err error, typ, msgPart string) {
	t.Helper()
	var ex *wire.Exception
	if !errors.As(err, &ex) {
		t.Fatalf("error %v is not a *wire.Exception", err)
	}
	if ex.Type != typ || !strings.Contains(ex.Message, msgPart) {
		t.Errorf("got %s %q, want %s containing %q", ex.Type, ex.Message, typ, msgPart)
	}
}

// Identify refuses, from the headers alone, every request whose caller is
// not known: Identify has no body to read, so these refusals cost none.
func TestIdentifyRefusesBeforeBody(t *testing.T) {
	body := []byte(`{"messages":[]}`)
	v := testVerifier(t, signTime)
	for _, tc := range []struct {
		name    string
		req     func() *http.Request
		typ     string
		msgPart string
	}{
		{"unsigned", func() *http.Request {
			return httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost"+arnPath, nil)
		}, wire.AccessDeniedException, msgMissingAuth},
		{"unknown access key", func() *http.Request {
			r := signed(t, "us-east-1", testSecret, "", body)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAKID, "AKIANOBODY", 1))
			return r
		}, wire.UnrecognizedClientException, msgUnrecognized},
		{"bad api key", func() *http.Request {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost"+arnPath, nil)
			r.Header.Set("Authorization", "Bearer not-a-key")
			return r
		}, wire.AccessDeniedException, msgBadAPIKey},
		{"wrong secret over a declared hash", func() *http.Request {
			return signed(t, "us-east-1", "wrong-secret", hashHex(body), body)
		}, wire.InvalidSignatureException, msgMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Identify(tc.req())
			wantException(t, err, tc.typ, tc.msgPart)
		})
	}
}

// A signature over a declared X-Amz-Content-Sha256 is proven before the
// body; the body must then hash to the declared value.
func TestDeclaredPayloadHash(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"a"}]}]}`)
	other := []byte(`{"messages":[{"role":"user","content":[{"text":"b"}]}]}`)
	v := testVerifier(t, signTime)
	p, err := v.Identify(signed(t, "us-east-1", testSecret, hashHex(body), body))
	if err != nil {
		t.Fatal(err)
	}
	if !p.proven || p.Principal().Name != "team" {
		t.Fatalf("signature over a declared hash not proven before the body: %+v", p)
	}
	if _, err := p.Verify(other); err == nil {
		t.Fatal("a body that does not match the signed hash was accepted")
	} else {
		wantException(t, err, wire.InvalidSignatureException, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	if id, err := p.Verify(body); err != nil || id.AccessKeyID != testAKID {
		t.Fatalf("Verify(signed body) = %+v, %v", id, err)
	}
	// Without the header the signature covers the body itself: Identify
	// knows the key, Verify proves it.
	p, err = v.Identify(signed(t, "us-east-1", testSecret, "", body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(other); err == nil {
		t.Fatal("a different body was accepted")
	}
	if _, err := p.Verify(body); err != nil {
		t.Fatal(err)
	}
}

func TestRegions(t *testing.T) {
	body := []byte(`{}`)
	for _, tc := range []struct {
		name    string
		regions []string
		signIn  string
		wantErr string // "" = accepted
	}{
		{"default accepts us-east-1", nil, "us-east-1", ""},
		{"default refuses eu-west-1", nil, "eu-west-1", "Credential should be scoped to a valid region, not 'eu-west-1'. This server accepts credentials scoped to us-east-1: set the client's region to us-east-1"},
		{"default refuses a made-up region", nil, "attacker-region-1", "not 'attacker-region-1'"},
		{"configured list", []string{"eu-west-1", "eu-central-1"}, "eu-central-1", ""},
		{"configured list refuses others", []string{"eu-west-1", "eu-central-1"}, "us-east-1", "scoped to eu-west-1, eu-central-1: set the client's region to eu-west-1"},
		{"star accepts any", []string{"*"}, "attacker-region-1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Options{
				Principals: []Principal{{Name: "team", Models: []string{"*"}}},
				AccessKeys: []AccessKey{{ID: testAKID, Secret: testSecret, Principal: "team"}},
				Now:        func() time.Time { return signTime },
				Regions:    tc.regions,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Identify(signed(t, tc.signIn, testSecret, "", body))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantException(t, err, wire.InvalidSignatureException, tc.wantErr)
		})
	}
	if _, err := New(Options{Regions: []string{"US East"}}); err == nil || !strings.Contains(err.Error(), `regions[0]: "US East" is not a region name`) {
		t.Errorf("New with a bad region: %v", err)
	}
}

// UNSIGNED-PAYLOAD leaves the body out of the signature. Over cleartext
// that would let anyone who saw one request send another body under its
// signature, so it is accepted over TLS only, or when configured.
func TestUnsignedPayload(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"pay alice"}]}]}`)
	forged := []byte(`{"messages":[{"role":"user","content":[{"text":"pay mally"}]}]}`)
	presigned := func() *http.Request {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost"+arnPath+"?X-Amz-Expires=60", nil)
		u, hdr, err := v4.NewSigner().PresignHTTP(t.Context(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, req, unsignedPayload, "bedrock", "us-east-1", signTime)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, u, bytes.NewReader(forged))
		r.Header = hdr.Clone()
		return r
	}
	for _, tc := range []struct {
		name       string
		req        func() *http.Request
		overTLS    bool
		allowHTTP  bool
		wantErrMsg string
	}{
		{"header over http", func() *http.Request { return signed(t, "us-east-1", testSecret, unsignedPayload, body) }, false, false, msgUnsignedOverHTTP},
		{"header over tls", func() *http.Request { return signed(t, "us-east-1", testSecret, unsignedPayload, body) }, true, false, ""},
		{"header over http, configured", func() *http.Request { return signed(t, "us-east-1", testSecret, unsignedPayload, body) }, false, true, ""},
		{"presigned over http", presigned, false, false, "This presigned URL was signed with UNSIGNED-PAYLOAD. " + msgUnsignedOverHTTP},
		{"presigned over tls", presigned, true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Options{
				Principals:              []Principal{{Name: "team", Models: []string{"*"}}},
				AccessKeys:              []AccessKey{{ID: testAKID, Secret: testSecret, Principal: "team"}},
				Now:                     func() time.Time { return signTime },
				UnsignedPayloadOverHTTP: tc.allowHTTP,
			})
			if err != nil {
				t.Fatal(err)
			}
			r := tc.req()
			if tc.overTLS {
				r.TLS = &tls.ConnectionState{}
			}
			p, err := v.Identify(r)
			if tc.wantErrMsg != "" {
				wantException(t, err, wire.IncompleteSignatureException, tc.wantErrMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Where it is accepted, the body is not covered: any body passes.
			if _, err := p.Verify(forged); err != nil {
				t.Fatal(err)
			}
		})
	}
}
