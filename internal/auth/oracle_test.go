package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signTime is the fixed signing time of the tests.
var signTime = time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken  = "FwoGZXIvYXdzSESSIONTOKEN/abc+def=="
)

func testVerifier(t testing.TB, now time.Time) *Verifier {
	t.Helper()
	v, err := New(Options{
		Principals: []Principal{{Name: "team", Models: []string{"*"}}},
		AccessKeys: []AccessKey{{ID: testAKID, Secret: testSecret, Principal: "team"}},
		APIKeys:    []APIKey{{Key: "bedrock-api-key-abc123", Principal: "team"}},
		Now:        func() time.Time { return now },
		Regions:    regions,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// smithyEscape escapes a path segment as the SDKs do (all but unreserved).
func smithyEscape(s string) string {
	var b strings.Builder
	escape(&b, s, false)
	return b.String()
}

var regions = []string{"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1", "local"}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func randModelID(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return "anthropic.claude-3-haiku-20240307-v1:0"
	case 1:
		return fmt.Sprintf("arn:aws:bedrock:%s:123456789012:inference-profile/us.%s-v1:%d",
			regions[r.IntN(len(regions))], randString(r, "abcdefghij.-", 1+r.IntN(20)), r.IntN(3))
	}
	return randString(r, "abcdefghijklmnopqrstuvwxyz0123456789.-_:/~", 1+r.IntN(40))
}

// oracleCase is one request signed by the SDK, serialised as it goes on the
// wire.
type oracleCase struct {
	wire      []byte
	signed    map[string]bool // signed header names, lower case
	presigned bool
	unsigned  bool // payload not covered
}

func buildOracleCase(t *testing.T, r *rand.Rand) oracleCase {
	t.Helper()
	model := randModelID(r)
	op := []string{"converse", "converse-stream", "count-tokens"}[r.IntN(3)]
	u := &url.URL{
		Scheme:  "http",
		Host:    []string{"localhost:8080", "127.0.0.1:4000", "bedrock.example.com"}[r.IntN(3)],
		Path:    "/model/" + model + "/" + op,
		RawPath: "/model/" + smithyEscape(model) + "/" + op,
	}
	if r.IntN(3) == 0 {
		q := url.Values{}
		for range 1 + r.IntN(3) {
			q.Add(randString(r, "abcXYZ-_.~ ", 1+r.IntN(5)), randString(r, "abc 123/+=&%:", r.IntN(8)))
		}
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	body := []byte(randString(r, `{}":,abcdefghijklmnopqrstuvwxyz0123456789 \é`, r.IntN(3000)))
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawPath = u.RawPath // keep the SDK's escaping of ':' and '/'
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Amz-Sdk-Invocation-Id", randString(r, "0123456789abcdef-", 36))
	for i := range r.IntN(4) {
		name := fmt.Sprintf("X-Test-%d", i)
		for range 1 + r.IntN(2) {
			req.Header.Add(name, randString(r, "abc  XYZ\t,;=012", 1+r.IntN(12)))
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if r.IntN(2) == 0 {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	if r.IntN(2) == 0 {
		creds.SessionToken = testToken
	}
	region := regions[r.IntN(len(regions))]
	c := oracleCase{signed: map[string]bool{}}
	signer := v4.NewSigner()
	if r.IntN(4) == 0 {
		c.presigned = true
		// As the SDK's presign clients do, the caller sets the lifetime.
		q := req.URL.Query()
		q.Set("X-Amz-Expires", fmt.Sprint(300+r.IntN(3000)))
		req.URL.RawQuery = q.Encode()
		if _, ok := req.Header["X-Amz-Content-Sha256"]; !ok && r.IntN(2) == 0 {
			payloadHash, c.unsigned = unsignedPayload, true
		}
		signedURL, hdr, err := signer.PresignHTTP(t.Context(), creds, req, payloadHash, "bedrock", region, signTime)
		if err != nil {
			t.Fatal(err)
		}
		preq, err := http.NewRequest(http.MethodPost, signedURL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			c.signed[strings.ToLower(k)] = true
			if strings.EqualFold(k, "host") || strings.EqualFold(k, "content-length") {
				continue
			}
			preq.Header[k] = vs
		}
		req = preq
	} else {
		if err := signer.SignHTTP(t.Context(), creds, req, payloadHash, "bedrock", region, signTime); err != nil {
			t.Fatal(err)
		}
		_, after, _ := strings.Cut(req.Header.Get("Authorization"), "SignedHeaders=")
		list, _, _ := strings.Cut(after, ",")
		for h := range strings.SplitSeq(list, ";") {
			c.signed[h] = true
		}
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c.wire = buf.Bytes()
	return c
}

// serve parses wire bytes as net/http's server does and verifies them, as
// if they arrived over TLS when overTLS is set.
func serve(v *Verifier, wireBytes []byte, overTLS bool) (*Identity, error) {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wireBytes)))
	if err != nil {
		return nil, fmt.Errorf("unparseable: %w", err)
	}
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("unreadable body: %w", err)
	}
	return v.Verify(req, body)
}

type region struct {
	kind       string
	start, end int
}

// regions of the wire form whose bytes must all be covered by the signature.
func (c oracleCase) regions(t *testing.T) []region {
	t.Helper()
	w := c.wire
	head, _, ok := bytes.Cut(w, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no header end")
	}
	var out []region
	lineEnd := bytes.Index(w, []byte("\r\n"))
	line := w[:lineEnd]
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	target := line[sp1+1 : sp2]
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		out = append(out, region{"path", sp1 + 1, sp1 + 1 + q})
		var queryEnd = sp2
		// The presigned signature itself is checked, but flipping it is
		// not a "query" change covered by the signature.
		if i := bytes.Index(line, []byte("X-Amz-Signature=")); i >= 0 && c.presigned {
			out = append(out, region{"query", sp1 + 2 + q, i})
			out = append(out, region{"signature", i + len("X-Amz-Signature="), queryEnd})
		} else {
			out = append(out, region{"query", sp1 + 2 + q, queryEnd})
		}
	} else {
		out = append(out, region{"path", sp1 + 1, sp2})
	}
	pos := lineEnd + 2
	for hl := range bytes.SplitSeq(head[lineEnd+2:], []byte("\r\n")) {
		name, _, _ := bytes.Cut(hl, []byte(":"))
		lname := strings.ToLower(string(name))
		if c.signed[lname] && lname != "content-length" {
			start := pos + len(name) + 1
			for start < pos+len(hl) && w[start] == ' ' {
				start++
			}
			if start < pos+len(hl) {
				out = append(out, region{"header " + lname, start, pos + len(hl)})
			}
		}
		pos += len(hl) + 2
	}
	if body := len(head) + 4; body < len(w) && !c.unsigned {
		out = append(out, region{"body", body, len(w)})
	}
	return out
}

// flip returns w with the byte at i replaced by a different alphanumeric
// byte, so the request usually still parses.
func flip(r *rand.Rand, w []byte, i int) []byte {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := bytes.Clone(w)
	for out[i] == w[i] {
		out[i] = alnum[r.IntN(len(alnum))]
	}
	return out
}

func TestOracleSDKSignedRequestsVerify(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 2000
	if testing.Short() {
		n = 200
	}
	var verified, rejected, presigned int
	for i := range n {
		c := buildOracleCase(t, r)
		skew := time.Duration(r.IntN(int(8*time.Minute))) - 4*time.Minute
		v := testVerifier(t, signTime.Add(skew))
		// An unsigned payload is accepted over TLS only (TestUnsignedPayload).
		id, err := serve(v, c.wire, c.unsigned)
		if err != nil {
			t.Fatalf("case %d: signed request rejected: %v\n%s", i, err, c.wire)
		}
		if id.Principal.Name != "team" || id.AccessKeyID != testAKID {
			t.Fatalf("case %d: identity %+v", i, id)
		}
		verified++
		if c.presigned {
			presigned++
		}
		regs := c.regions(t)
		exhaustive := i < 20
		for _, reg := range regs {
			positions := []int{reg.start + r.IntN(reg.end-reg.start)}
			if exhaustive {
				positions = positions[:0]
				for p := reg.start; p < reg.end; p++ {
					positions = append(positions, p)
				}
			}
			for _, p := range positions {
				mutated := flip(r, c.wire, p)
				if id, err := serve(v, mutated, c.unsigned); err == nil {
					t.Fatalf("case %d: FALSE ACCEPT after flipping byte %d (%s) to %q: identity %+v\n%s",
						i, p, reg.kind, mutated[p], id, mutated)
				}
				rejected++
			}
		}
	}
	t.Logf("%d SDK-signed requests verified (%d presigned), %d single-byte mutations all rejected", verified, presigned, rejected)
	if presigned == 0 {
		t.Error("no presigned case was generated")
	}
}
