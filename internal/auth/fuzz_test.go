package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers, query
// strings and X-Amz-Date values through the whole verifier: nothing may
// panic, and nothing unsigned may be accepted.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", "20240102T150405Z")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=:authority;host,Signature=zz", "a=b&c", "x")
	f.Add("Bearer bedrock-api-key-abc123", "", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fbedrock%2Faws4_request&X-Amz-Date=20240102T150405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "")
	f.Add("AWS4-HMAC-SHA256 Credential=//////,,,,==", "%zz&&=&X-Amz-Algorithm", "99999999T999999Z")
	f.Add("AWS4-ECDSA-P256-SHA256 x", "X-Amz-Expires=-1", "")
	v := testVerifier(f, signTime)
	f.Fuzz(func(t *testing.T, authz, rawQuery, amzDate string) {
		_, _, _, _ = parseAuthorizationParams(authz)
		_, _ = parseQuery(rawQuery)
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: "/model/m/converse", RawQuery: rawQuery},
			Host:   "localhost",
			Header: http.Header{},
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		if id, err := v.Verify(r, nil); err == nil && id.Method != MethodBearer {
			t.Fatalf("unsigned request accepted: %+v", id)
		}
	})
}

func BenchmarkAuthenticate(b *testing.B) {
	body := bytes.Repeat([]byte(`{"text":"abcdefghijklmnopqrstuvwxyz"},`), 2048/36+1)[:2048]
	req, _ := http.NewRequest(http.MethodPost, "http://localhost:8080"+arnPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Amz-Sdk-Invocation-Id", "6a0c6f0e-0000-4000-8000-000000000000")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: testToken}
	if err := v4.NewSigner().SignHTTP(b.Context(), creds, req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1", signTime); err != nil {
		b.Fatal(err)
	}
	v := testVerifier(b, signTime.Add(time.Second))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(req, body); err != nil {
			b.Fatal(err)
		}
	}
}
