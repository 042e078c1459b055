package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/playground"
)

func get(t *testing.T, h http.Handler, path string, header http.Header) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func newHandler(t *testing.T, o playground.Options) *playground.Handler {
	t.Helper()
	h, err := playground.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type pageSettings struct {
	Auth struct {
		Mode, Region, AccessKeyID, SecretAccessKey string
	}
	Models []struct {
		ID, Backend  string
		Capabilities []string
	}
	Routes     []playground.Route
	Aliases    []struct{ Name, Target, Backend string }
	RequestLog bool
}

func settings(t *testing.T, h http.Handler) (pageSettings, string) {
	t.Helper()
	res := get(t, h, "/playground/api/config", nil)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("config: %d %s", res.StatusCode, b)
	}
	var s pageSettings
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s, string(b)
}

// TestConfigHoldsNoConfiguredSecret: only the public development key ever
// reaches the page; with configured principals (or no auth) the settings
// carry no key even if one is handed to New by mistake.
func TestConfigHoldsNoConfiguredSecret(t *testing.T) {
	tests := []struct {
		mode           string
		wantID, wantSK string
	}{
		{playground.ModeDev, "test", "test"},
		{playground.ModeKeys, "", ""},
		{playground.ModeOpen, "", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHandler(t, playground.Options{Auth: playground.Auth{Mode: tc.mode, AccessKeyID: "test", SecretAccessKey: "test"}})
			s, raw := settings(t, h)
			if s.Auth.AccessKeyID != tc.wantID || s.Auth.SecretAccessKey != tc.wantSK {
				t.Errorf("page receives key %q/%q, want %q/%q", s.Auth.AccessKeyID, s.Auth.SecretAccessKey, tc.wantID, tc.wantSK)
			}
			if tc.wantSK == "" && strings.Contains(raw, `"test"`) {
				t.Errorf("settings mention the key: %s", raw)
			}
			if s.Auth.Region != "us-east-1" {
				t.Errorf("region %q", s.Auth.Region)
			}
		})
	}
	if _, err := playground.New(playground.Options{Auth: playground.Auth{Mode: playground.ModeDev}}); err == nil {
		t.Error("development mode without the key accepted")
	}
}

// TestConfigModelsFollowRoutes: each model names the backend the router
// would choose (routes on any form, aliases, the default) and its
// capabilities.
func TestConfigModelsFollowRoutes(t *testing.T) {
	cat := catalog.New()
	h := newHandler(t, playground.Options{
		Models: cat.Models(),
		Routes: []playground.Route{
			{Match: "anthropic.claude-3-haiku-*", Backend: "ollama", Model: "llama3.2"},
			{Match: "my-local-model", Backend: "vllm"},
		},
		Aliases: map[string]string{"haiku": "us.anthropic.claude-3-haiku-20240307-v1:0", "nova": "amazon.nova-lite-v1:0"},
		Default: "builtin",
	})
	s, _ := settings(t, h)
	if len(s.Models) != len(cat.Models()) {
		t.Fatalf("%d models, catalogue has %d", len(s.Models), len(cat.Models()))
	}
	byID := map[string]int{}
	for i, m := range s.Models {
		byID[m.ID] = i
	}
	haiku := s.Models[byID["anthropic.claude-3-haiku-20240307-v1:0"]]
	if haiku.Backend != "ollama" {
		t.Errorf("haiku backend %q, want ollama", haiku.Backend)
	}
	if diff := cmp.Diff([]string{"streaming", "tools", "streamingTools", "images", "documents"}, haiku.Capabilities); diff != "" {
		t.Errorf("haiku capabilities (-want +got):\n%s", diff)
	}
	if b := s.Models[byID["amazon.nova-pro-v1:0"]].Backend; b != "builtin" {
		t.Errorf("nova pro backend %q, want the default", b)
	}
	want := []struct{ Name, Target, Backend string }{
		{"haiku", "us.anthropic.claude-3-haiku-20240307-v1:0", "ollama"},
		{"nova", "amazon.nova-lite-v1:0", "builtin"},
	}
	if diff := cmp.Diff(want, s.Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if len(s.Routes) != 2 || s.Routes[1].Match != "my-local-model" {
		t.Errorf("routes %+v", s.Routes)
	}
}

// TestStaticFiles: the page and its modules are served with the types
// browsers need and a policy that keeps rendered output from loading or
// sending anything; unknown files are 404.
func TestStaticFiles(t *testing.T) {
	h := newHandler(t, playground.Options{})
	res := get(t, h, "/playground", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/playground/" {
		t.Errorf("/playground: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	for path, ctype := range map[string]string{
		"/playground/":                "text/html; charset=utf-8",
		"/playground/index.html":      "text/html; charset=utf-8",
		"/playground/app.mjs":         "text/javascript; charset=utf-8",
		"/playground/sigv4.mjs":       "text/javascript; charset=utf-8",
		"/playground/eventstream.mjs": "text/javascript; charset=utf-8",
		"/playground/markdown.mjs":    "text/javascript; charset=utf-8",
		"/playground/codegen.mjs":     "text/javascript; charset=utf-8",
		"/playground/style.css":       "text/css; charset=utf-8",
	} {
		res := get(t, h, path, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != ctype {
			t.Errorf("%s: %d %q, want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), ctype)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	for _, path := range []string{"/playground/nope.js", "/playground/static/app.mjs", "/playground/api/other"} {
		if res := get(t, h, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
	// The page loads nothing from elsewhere.
	res = get(t, h, "/playground/", nil)
	page, _ := io.ReadAll(res.Body)
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) {
		t.Errorf("index.html references another origin:\n%s", page)
	}
}

// signed returns the headers of a GET signed with an access key, by the
// AWS SDK's signer.
func signed(t *testing.T, path, id, secret string) http.Header {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	empty := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	r.Header.Set("X-Amz-Content-Sha256", empty)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r, empty, "bedrock", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r.Header
}

// TestRequestLogReaders: the request log answers operators only, checked
// with the server's keys; it is off without a ring, a verifier or
// operators.
func TestRequestLogReaders(t *testing.T) {
	v, err := auth.New(auth.Options{
		Principals: []auth.Principal{{Name: "ops", Models: []string{"*"}}, {Name: "team", Models: []string{"*"}}},
		AccessKeys: []auth.AccessKey{{ID: "OPSKEY", Secret: "ops-secret", Principal: "ops"}, {ID: "TEAMKEY", Secret: "team-secret", Principal: "team"}},
		APIKeys:    []auth.APIKey{{Key: "ops-api-key-123456", Principal: "ops"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	recent := playground.NewRecent(10)
	writeRecord(t, recent, "req-1", "ops")
	on := newHandler(t, playground.Options{Verifier: v, Operators: []string{"ops"}, Recent: recent})
	tests := []struct {
		name     string
		h        http.Handler
		header   http.Header
		status   int
		errorTyp string
	}{
		{"operator SigV4", on, signed(t, "/playground/api/log", "OPSKEY", "ops-secret"), 200, ""},
		{"operator API key", on, http.Header{"Authorization": {"Bearer ops-api-key-123456"}}, 200, ""},
		{"not an operator", on, signed(t, "/playground/api/log", "TEAMKEY", "team-secret"), 403, "AccessDeniedException"},
		{"wrong secret", on, signed(t, "/playground/api/log", "OPSKEY", "nope"), 403, "InvalidSignatureException"},
		{"no credentials", on, nil, 403, "AccessDeniedException"},
		{"no operators", newHandler(t, playground.Options{Verifier: v, Recent: recent}), signed(t, "/playground/api/log", "OPSKEY", "ops-secret"), 404, "ResourceNotFoundException"},
		{"no ring", newHandler(t, playground.Options{Verifier: v, Operators: []string{"ops"}}), signed(t, "/playground/api/log", "OPSKEY", "ops-secret"), 404, "ResourceNotFoundException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, tc.h, "/playground/api/log", tc.header)
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
			if tc.errorTyp != "" {
				var e struct {
					Type string `json:"__type"`
				}
				_ = json.Unmarshal(b, &e)
				if e.Type != tc.errorTyp || !strings.HasPrefix(res.Header.Get("X-Amzn-ErrorType"), tc.errorTyp) {
					t.Errorf("error %q (header %q), want %s: %s", e.Type, res.Header.Get("X-Amzn-ErrorType"), tc.errorTyp, b)
				}
				if bytes.Contains(b, []byte("req-1")) {
					t.Errorf("refused read leaks a call: %s", b)
				}
				return
			}
			var got struct{ Calls []playground.Call }
			if err := json.Unmarshal(b, &got); err != nil || len(got.Calls) != 1 || got.Calls[0].RequestID != "req-1" {
				t.Errorf("calls %s", b)
			}
		})
	}
	s, _ := settings(t, on)
	if !s.RequestLog {
		t.Error("settings say the log is off")
	}
}

func writeRecord(t *testing.T, w io.Writer, id, principal string) {
	t.Helper()
	ttft := 12.5
	rec := invocationlog.Record{
		SchemaType: invocationlog.SchemaType, SchemaVersion: invocationlog.SchemaVersion, Timestamp: time.Unix(1700000000, 0).UTC(),
		RequestID: id, Operation: "ConverseStream", ModelID: "anthropic.claude-3-haiku-20240307-v1:0",
		Identity: invocationlog.Identity{Principal: principal}, Backend: "builtin", Outcome: "ok", HTTPStatus: 200,
		Timing: invocationlog.Timing{TotalMs: 40, TimeToFirstTokenMs: &ttft},
		Input:  invocationlog.Input{InputTokenCount: 7, CacheReadInputTokenCount: 3, CacheWriteInputTokenCount: 2, InputBodyJSON: json.RawMessage(`{"secret":"prompt"}`)},
		Output: invocationlog.Output{OutputTokenCount: 9, OutputBodyJSON: json.RawMessage(`{"answer":"text"}`)},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
}

// TestRecentKeepsTheNewest: the ring keeps the last n calls newest first,
// without bodies, and skips what is not a record.
func TestRecentKeepsTheNewest(t *testing.T) {
	r := playground.NewRecent(3)
	for i := range 5 {
		writeRecord(t, r, fmt.Sprint("req-", i), "dev")
	}
	if _, err := r.Write([]byte("not json\n{\"schemaType\":\"Other\"}\n")); err != nil {
		t.Fatal(err)
	}
	calls := r.Calls()
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.RequestID)
	}
	if diff := cmp.Diff([]string{"req-4", "req-3", "req-2"}, ids); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	ttft := 12.5
	want := playground.Call{
		Time: time.Unix(1700000000, 0).UTC(), RequestID: "req-4", Operation: "ConverseStream", ModelID: "anthropic.claude-3-haiku-20240307-v1:0",
		Principal: "dev", Backend: "builtin", HTTPStatus: 200, Outcome: "ok", TotalMs: 40, FirstTokenMs: &ttft,
		InputTokens: 7, OutputTokens: 9, CacheRead: 3, CacheWrite: 2,
	}
	if diff := cmp.Diff(want, calls[0]); diff != "" {
		t.Errorf("call (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(calls)
	if bytes.Contains(b, []byte("prompt")) || bytes.Contains(b, []byte("answer")) {
		t.Errorf("bodies kept: %s", b)
	}
}

// TestRecentFedByInvocationLog: records reach the ring through the
// invocation log itself, after its secret scrubbing.
func TestRecentFedByInvocationLog(t *testing.T) {
	r := playground.NewRecent(0)
	l, err := invocationlog.New(invocationlog.Options{Writer: r, Secrets: []string{"principal-secret-name"}})
	if err != nil {
		t.Fatal(err)
	}
	_, inv := l.Begin(t.Context(), "Converse", "req-9", "amazon.nova-lite-v1:0")
	inv.Request("principal-secret-name", []byte(`{}`))
	inv.End(400, "ValidationException")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	calls := r.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.RequestID != "req-9" || c.HTTPStatus != 400 || c.Outcome != "ValidationException" || c.Principal != "[REDACTED]" {
		t.Errorf("call %+v", c)
	}
}
