package auth

import (
	"bytes"
	stdcmp "cmp"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

// handSign is an independent, minimal SigV4 signer written from the spec
// digest: it signs exactly the headers it is given (lower-case names, with
// host or :authority among them) over the already-escaped path.
func handSign(method, escapedPath string, headers map[string]string, body []byte, sendPayloadHash bool, akid, secret, region string, t time.Time) (authorization string) {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	canon.WriteString(method + "\n")
	for _, c := range []byte(escapedPath) { // escape the escaped path again
		if c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			canon.WriteByte(c)
		} else {
			fmt.Fprintf(&canon, "%%%02X", c)
		}
	}
	canon.WriteString("\n\n")
	for _, n := range names {
		canon.WriteString(n + ":" + strings.Join(strings.Fields(headers[n]), " ") + "\n")
	}
	sum := sha256.Sum256(body)
	canon.WriteString("\n" + strings.Join(names, ";") + "\n" + hex.EncodeToString(sum[:]))
	date := t.Format("20060102")
	scope := date + "/" + region + "/bedrock/aws4_request"
	ch := sha256.Sum256([]byte(canon.String()))
	sts := "AWS4-HMAC-SHA256\n" + t.Format("20060102T150405Z") + "\n" + scope + "\n" + hex.EncodeToString(ch[:])
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	k := mac(mac(mac(mac([]byte("AWS4"+secret), date), region), "bedrock"), "aws4_request")
	return "AWS4-HMAC-SHA256 Credential=" + akid + "/" + scope + ", SignedHeaders=" + strings.Join(names, ";") + ", Signature=" + hex.EncodeToString(mac(k, sts))
}

const arnPath = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-x/converse"

// TestClientSignedHeaderSets reproduces what boto3 and the AI SDK sign
// (clients.md), over HTTP/1.1 through a real server.
func TestClientSignedHeaderSets(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}],"system":[]}`)
	var got *Identity
	var gotErr error
	v := testVerifier(t, signTime.Add(time.Minute))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotErr = v.Verify(r, b)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	amzDate := signTime.Format(amzDateFormat)
	for _, tc := range []struct {
		name    string
		headers map[string]string
	}{
		{"boto3", map[string]string{"content-type": "application/json", "host": host, "x-amz-date": amzDate}},
		{"ai-sdk", map[string]string{"host": host, "x-amz-date": amzDate}},
		{"boto3-session", map[string]string{"content-type": "application/json", "host": host, "x-amz-date": amzDate, "x-amz-security-token": testToken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+arnPath, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, val := range tc.headers {
				if k != "host" {
					req.Header.Set(k, val)
				}
			}
			req.Header.Set("Authorization", handSign("POST", arnPath, tc.headers, body, false, testAKID, testSecret, "us-west-2", signTime))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if gotErr != nil {
				t.Fatalf("rejected: %v", gotErr)
			}
			if got.Region != "us-west-2" || got.Method != MethodSigV4 || got.SessionToken != (tc.headers["x-amz-security-token"] != "") {
				t.Errorf("identity %+v", got)
			}
		})
	}
}

// TestJSSDKOverH2C signs like @aws-sdk/client-bedrock-runtime over cleartext
// HTTP/2: :authority instead of host, x-amz-content-sha256 sent, no host
// header. Go's HTTP/2 server must present :authority as r.Host and keep
// content-length in r.Header.
func TestJSSDKOverH2C(t *testing.T) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"hello over h2"}]}]}`)
	v := testVerifier(t, signTime)
	var got *Identity
	var gotErr error
	var proto int
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto = r.ProtoMajor
		b, _ := io.ReadAll(r.Body)
		got, gotErr = v.Verify(r, b)
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	sum := sha256.Sum256(body)
	headers := map[string]string{
		":authority":            strings.TrimPrefix(srv.URL, "http://"),
		"amz-sdk-invocation-id": "6a0c6f0e-0000-4000-8000-000000000000",
		"amz-sdk-request":       "attempt=1; max=3",
		"content-length":        fmt.Sprint(len(body)),
		"content-type":          "application/json",
		"x-amz-content-sha256":  hex.EncodeToString(sum[:]),
		"x-amz-date":            signTime.Format(amzDateFormat),
		"x-amz-user-agent":      "aws-sdk-js/3.1163.0",
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+arnPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range headers {
		if k[0] != ':' && k != "content-length" {
			req.Header.Set(k, val)
		}
	}
	req.Header.Set("Authorization", handSign("POST", arnPath, headers, body, true, testAKID, testSecret, "eu-central-1", signTime))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proto != 2 {
		t.Fatalf("request arrived over HTTP/%d, want HTTP/2", proto)
	}
	if gotErr != nil {
		t.Fatalf("rejected: %v", gotErr)
	}
	if got.Principal.Name != "team" || got.Region != "eu-central-1" {
		t.Errorf("identity %+v", got)
	}
}

// sdkRequest is a request signed by the Go SDK signer at signTime.
func sdkRequest(t *testing.T, akid, secret, token string, mutate func(*http.Request)) (*http.Request, []byte) {
	t.Helper()
	body := []byte(`{"messages":[]}`)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost:8080"+arnPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	return req, body
}

func TestAuthenticateFailures(t *testing.T) {
	// The signature the server expects for the wrong-secret case must not
	// leak; compute it with the right secret.
	good, _ := sdkRequest(t, testAKID, testSecret, testToken, nil)
	expectedSig := good.Header.Get("Authorization")[strings.Index(good.Header.Get("Authorization"), "Signature=")+len("Signature="):]

	setAuth := func(s string) func(*http.Request) { return func(r *http.Request) { r.Header.Set("Authorization", s) } }
	replaceAuth := func(old, new string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	for _, tc := range []struct {
		name       string
		now        time.Time
		akid       string
		secret     string
		token      string
		mutate     func(*http.Request)
		wantType   string
		wantStatus int
		wantMsg    string // prefix
	}{
		{name: "wrong secret", secret: "not-the-secret", token: testToken,
			wantType: wire.InvalidSignatureException, wantStatus: 403, wantMsg: msgMismatch + "\n\nThe Canonical String for this request should have been\n'POST\n/model/arn%253Aaws%253Abedrock"},
		{name: "unknown key", akid: "AKIAUNKNOWN",
			wantType: wire.UnrecognizedClientException, wantStatus: 403, wantMsg: `The security token included in the request is invalid. (The access key ID "AKIAUNKNOWN" is not configured on this server.)`},
		{name: "clock ahead of signer", now: signTime.Add(10 * time.Minute),
			wantType: wire.InvalidSignatureException, wantStatus: 403, wantMsg: "Signature expired: 20240102T150405Z is now earlier than 20240102T150905Z (20240102T151405Z - 5 min.)"},
		{name: "clock behind signer", now: signTime.Add(-6 * time.Minute),
			wantType: wire.InvalidSignatureException, wantStatus: 403, wantMsg: "Signature not yet current: 20240102T150405Z is still later than 20240102T150305Z (20240102T145805Z + 5 min.)"},
		{name: "no authorization", mutate: func(r *http.Request) { r.Header.Del("Authorization") },
			wantType: wire.AccessDeniedException, wantStatus: 403, wantMsg: "Authorization header is missing"},
		{name: "bad api key", mutate: setAuth("Bearer " + testSecret),
			wantType: wire.AccessDeniedException, wantStatus: 403, wantMsg: msgBadAPIKey},
		{name: "empty bearer", mutate: setAuth("Bearer "),
			wantType: wire.AccessDeniedException, wantStatus: 403, wantMsg: msgBadAPIKey},
		{name: "unknown scheme echoes nothing", mutate: setAuth("Basic " + testSecret),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: msgNeedCredential + " " + msgNeedSignature},
		{name: "no credential", mutate: setAuth("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + strings.Repeat("a", 64)),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: msgNeedCredential},
		{name: "missing x-amz-date", mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: msgNeedDate},
		{name: "bad x-amz-date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2024-01-02T15:04:05Z") },
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "X-Amz-Date must be in the ISO 8601 basic format"},
		{name: "scope date differs", mutate: replaceAuth("/20240102/", "/20240103/"),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240103' != '20240102', from 'X-Amz-Date'."},
		{name: "wrong service", mutate: replaceAuth("/bedrock/", "/bedrock-runtime/"),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "Credential should be scoped to correct service: 'bedrock'."},
		{name: "host not signed", mutate: replaceAuth("host;", ""),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: msgHostNotSigned},
		{name: "token not signed", token: testToken, mutate: replaceAuth(";x-amz-security-token", ""),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "'X-Amz-Security-Token' must be a 'SignedHeader'"},
		{name: "signed header missing", mutate: func(r *http.Request) { r.Header.Del("Content-Type") },
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "Signed header 'content-type' is not present in the request"},
		// The signature covers the declared hash, so changing it is a
		// signature mismatch, found before the body is read
		// (TestDeclaredPayloadHash has a body that differs from a signed hash).
		{name: "payload hash header changed", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64)) },
			wantType: wire.InvalidSignatureException, wantStatus: 403, wantMsg: msgMismatch},
		{name: "short signature", mutate: replaceAuth("Signature=", "Signature=00"),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "The signature must be 64 hexadecimal characters; it has 66."},
		{name: "sigv4a", mutate: setAuth("AWS4-ECDSA-P256-SHA256 Credential=x"),
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "SigV4a"},
		{name: "two mechanisms", mutate: func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			wantType: wire.IncompleteSignatureException, wantStatus: 403, wantMsg: "Only one auth mechanism allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime
			}
			akid, secret := stdcmp.Or(tc.akid, testAKID), stdcmp.Or(tc.secret, testSecret)
			req, body := sdkRequest(t, akid, secret, tc.token, tc.mutate)
			p, err := testVerifier(t, now).Authenticate(req, body)
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			var ex *wire.Exception
			if !errors.As(err, &ex) {
				t.Fatalf("error %T %v is not a *wire.Exception", err, err)
			}
			if ex.Type != tc.wantType || ex.HTTPStatus() != tc.wantStatus {
				t.Errorf("got %s/%d, want %s/%d", ex.Type, ex.HTTPStatus(), tc.wantType, tc.wantStatus)
			}
			if !strings.HasPrefix(ex.Message, tc.wantMsg) {
				t.Errorf("message:\n%s\nwant prefix:\n%s", ex.Message, tc.wantMsg)
			}
			for _, secretish := range []string{testSecret, testToken, expectedSig, "AWS4" + testSecret} {
				if strings.Contains(ex.Message, secretish) {
					t.Errorf("message leaks %q:\n%s", secretish, ex.Message)
				}
			}
		})
	}
}

func TestBearer(t *testing.T) {
	v := testVerifier(t, signTime)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "https://localhost"+arnPath, nil)
	req.Header.Set("Authorization", "Bearer bedrock-api-key-abc123")
	id, err := v.Verify(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Identity{Principal: v.Principal("team"), Method: MethodBearer}, id); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	req.Header.Set("Authorization", "Bearer bedrock-api-key-abc124")
	if _, err := v.Verify(req, nil); err == nil {
		t.Error("a key differing in one byte was accepted")
	}
}

func TestPresignedExpiry(t *testing.T) {
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost"+arnPath+"?X-Amz-Expires=60", nil)
	u, hdr, err := v4.NewSigner().PresignHTTP(t.Context(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, req, unsignedPayload, "bedrock", "us-east-1", signTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after   time.Duration
		wantErr string
	}{
		{59 * time.Second, ""},
		{61 * time.Second, "Signature expired: 20240102T150405Z is now earlier than 20240102T150406Z (20240102T150506Z - 60 sec. of X-Amz-Expires)"},
	} {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader("any body"))
		r.Header = hdr.Clone()
		r.TLS = &tls.ConnectionState{} // an unsigned payload needs TLS
		_, err := testVerifier(t, signTime.Add(tc.after)).Verify(r, []byte("any body"))
		if got := fmt.Sprint(err); tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
			t.Errorf("after %v: got %v, want %q", tc.after, err, tc.wantErr)
		}
	}
}

func TestAllows(t *testing.T) {
	p := &Principal{Name: "team", Models: []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"meta.*",
		"arn:aws:bedrock:*:123456789012:inference-profile/*",
		"amazon.nova-?ite-v1:0",
	}}
	for _, tc := range []struct {
		model string
		want  bool
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", true},
		{"anthropic.claude-3-haiku-20240307-v1:01", false},
		{"xanthropic.claude-3-haiku-20240307-v1:0", false},
		{"meta.llama3-8b-instruct-v1:0", true},
		{"meta", false},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-x", true},
		{"arn:aws:bedrock:us-east-1:999999999999:inference-profile/us.anthropic.claude-x", false},
		{"amazon.nova-lite-v1:0", true},
		{"amazon.nova-micro-v1:0", false},
		{"", false},
	} {
		if got := p.Allows(tc.model); got != tc.want {
			t.Errorf("Allows(%q) = %v, want %v", tc.model, got, tc.want)
		}
	}
	all := &Principal{Name: "dev", Models: []string{"*"}}
	for _, m := range []string{"", "x", "arn:aws:bedrock:us-east-1:1:inference-profile/a/b"} {
		if !all.Allows(m) {
			t.Errorf(`"*" does not allow %q`, m)
		}
	}
	err := p.Authorize("mistral.large", []string{"mistral.large"})
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.AccessDeniedException || ex.HTTPStatus() != 403 ||
		!strings.HasPrefix(ex.Message, `Principal "team" is not authorized to invoke model "mistral.large"`) {
		t.Errorf("Authorize = %v", err)
	}
	if err := p.Authorize("meta.x", []string{"meta.x"}); err != nil {
		t.Errorf("Authorize(meta.x) = %v", err)
	}
}

// TestAuthorizeChecksForms: the decision is on the forms of the served
// model, any of which may match; the requested name (an alias) is only
// quoted, and no forms allow nothing, not even to "*".
func TestAuthorizeChecksForms(t *testing.T) {
	haiku := "anthropic.claude-3-haiku-20240307-v1:0"
	p := &Principal{Name: "team", Models: []string{"anthropic.*", "fast"}}
	if err := p.Authorize("fast", []string{"amazon.nova-micro-v1:0"}); err == nil {
		t.Error("the alias name fast granted its target")
	} else if !strings.Contains(err.Error(), `"amazon.nova-micro-v1:0"`) {
		t.Errorf("message does not name the form checked: %v", err)
	}
	if err := p.Authorize("haiku", []string{"us." + haiku, haiku}); err != nil {
		t.Errorf("base form did not allow: %v", err)
	}
	all := &Principal{Name: "dev", Models: []string{"*"}}
	if err := all.Authorize("x", nil); err == nil {
		t.Error("no forms allowed")
	}
	var nobody *Principal
	if err := nobody.Authorize("x", []string{"x"}); err == nil {
		t.Error("nil principal allowed")
	}
}

func TestNewValidation(t *testing.T) {
	p := []Principal{{Name: "a", Models: []string{"*"}}}
	for _, tc := range []struct {
		name string
		opts Options
		want string // "" = valid
	}{
		{"dev default", DevOptions(), ""},
		{"unknown principal", Options{Principals: p, AccessKeys: []AccessKey{{ID: "k", Secret: "s", Principal: "b"}}}, `auth: access_keys[0] (ID "k"): unknown principal "b"`},
		{"duplicate key id", Options{Principals: p, AccessKeys: []AccessKey{{ID: "k", Secret: "s", Principal: "a"}, {ID: "k", Secret: "t", Principal: "a"}}}, `auth: access_keys[1] (ID "k"): duplicate access key ID`},
		{"empty secret", Options{Principals: p, AccessKeys: []AccessKey{{ID: "k", Principal: "a"}}}, `auth: access_keys[0] (ID "k"): secret is empty`},
		{"slash in id", Options{Principals: p, AccessKeys: []AccessKey{{ID: "k/1", Secret: "s", Principal: "a"}}}, `access key ID contains '/'`},
		{"duplicate principal", Options{Principals: append(p, p[0])}, `auth: principals[1]: duplicate principal name "a"`},
		{"empty pattern", Options{Principals: []Principal{{Name: "a", Models: []string{""}}}}, `auth: principal "a": models[0] is empty`},
		{"duplicate api key", Options{Principals: p, APIKeys: []APIKey{{Key: "x", Principal: "a"}, {Key: "x", Principal: "a"}}}, `auth: api_keys[1]: same key as api_keys[0]`},
		{"api key principal", Options{Principals: p, APIKeys: []APIKey{{Key: "x", Principal: "z"}}}, `auth: api_keys[0]: unknown principal "z"`},
		{"api key space", Options{Principals: p, APIKeys: []APIKey{{Key: "x y", Principal: "a"}}}, `auth: api_keys[0]: key contains whitespace`},
		{"negative skew", Options{MaxSkew: -time.Second}, `auth: max skew -1s is negative`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New error = %v, want it to contain %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), `"s"`) {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func TestDevOptionsVerify(t *testing.T) {
	opts := DevOptions()
	opts.Now = func() time.Time { return signTime }
	v, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	req, body := sdkRequest(t, "test", "test", "", nil)
	p, err := v.Authenticate(req, body)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "dev" || !p.Allows("anything:at/all") {
		t.Errorf("principal %+v", p)
	}
	req, body = sdkRequest(t, "test", "wrong", "", nil)
	if _, err := v.Authenticate(req, body); err == nil {
		t.Error("dev principal accepted a wrong secret: signatures must still be verified")
	}
}

func TestSecretRedacted(t *testing.T) {
	const s = "super-secret-value"
	k := AccessKey{ID: "AKID", Secret: s, Principal: "p"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "secret", k.Secret, "key", k)
	js, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := k.Secret.MarshalText()
	for _, out := range []string{
		fmt.Sprint(k.Secret), fmt.Sprintf("%s %q %v %+v %#v %x", k.Secret, k.Secret, k, k, k, k.Secret),
		string(js), string(text), logged.String(), fmt.Sprintf("%v", APIKey{Key: s}),
	} {
		if strings.Contains(out, s) || strings.Contains(out, hex.EncodeToString([]byte(s))) {
			t.Errorf("secret leaked: %s", out)
		}
		if !strings.Contains(out, redacted) {
			t.Errorf("no redaction marker in %s", out)
		}
	}
}
