package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/servertest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/sdktest"
)

// serveUntil runs `converse serve args...` in-process like startServe, and
// also returns stop, which shuts it down and waits (so its logs are
// complete); the test's end stops it too.
func serveUntil(t *testing.T, stderr io.Writer, args ...string) (endpoint string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "0"}, args...), pw, stderr)
		pw.CloseWithError(errors.New("serve returned"))
		done <- err
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(30 * time.Second): // hang guard only
				t.Error("serve did not stop")
			}
		})
	}
	t.Cleanup(stop)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, pr)
			return m[1], stop
		}
	}
	t.Fatalf("serve printed no endpoint: %v", sc.Err())
	return "", nil
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// -log-level and log_level choose what the server logs; the flag wins.
func TestServeLogLevel(t *testing.T) {
	cfg := writeConfig(t, "log_level: warn\n")
	for _, tc := range []struct {
		name        string
		args        []string
		wantRequest bool // the info-level line per request
	}{
		{"default info", nil, true},
		{"config warn", []string{"-config", cfg}, false},
		{"flag wins over config", []string{"-config", cfg, "-log-level", "debug"}, true},
		{"flag error", []string{"-log-level", "error"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs servertest.Buffer
			endpoint, stop := serveUntil(t, &logs, tc.args...)
			if err := hello(t, sdktest.Client(t, endpoint, sdktest.Options{}), "anthropic.claude-3-haiku-20240307-v1:0"); err != nil {
				t.Fatal(err)
			}
			stop()
			if got := strings.Contains(logs.String(), "msg=request"); got != tc.wantRequest {
				t.Errorf("request line logged: %v, want %v; log:\n%s", got, tc.wantRequest, logs.String())
			}
		})
	}
	if err := run(t.Context(), []string{"serve", "-log-level", "verbose"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "debug, info, warn or error") {
		t.Errorf("-log-level verbose: %v", err)
	}
}

func probe(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The probes answer on the API port and on the metrics listener; with
// Redis configured, /readyz follows Redis while /healthz does not.
func TestServeProbesFollowRedis(t *testing.T) {
	addr := redistest.Start(t)
	metrics := freeAddr(t)
	cfg := writeConfig(t, "redis: {url: redis://"+addr+"/0}\n")
	endpoint, _ := serveUntil(t, io.Discard, "-config", cfg, "-metrics-addr", metrics)
	bases := []string{endpoint, "http://" + metrics}
	for _, base := range bases {
		for _, p := range []string{"/healthz", "/readyz"} {
			if status, body := probe(t, base+p); status != 200 || body != "ok\n" {
				t.Errorf("GET %s%s with Redis up: %d %q", base, p, status, body)
			}
		}
	}
	// Stop Redis from the inside; the test's cleanup finds it gone.
	rc := redis.NewClient(&redis.Options{Addr: addr})
	_ = rc.Do(t.Context(), "SHUTDOWN", "NOSAVE").Err() // the connection drops as it obeys
	rc.Close()
	for _, base := range bases {
		if status, body := probe(t, base+"/readyz"); status != 503 || body != "redis: not ready\n" {
			t.Errorf("GET %s/readyz with Redis down: %d %q", base, status, body)
		}
		if status, _ := probe(t, base+"/healthz"); status != 200 {
			t.Errorf("GET %s/healthz with Redis down: %d, want 200 (alive)", base, status)
		}
	}
}

// With bodies on, no credential reaches the invocation log: not the SigV4
// secret, session token or signature, not the Bedrock API key, not the
// backend's api_key, and not the Redis password, even when a prompt
// contains them or a backend echoes its key.
func TestServeInvocationLogHasNoSecrets(t *testing.T) {
	const (
		sigv4Secret  = "sigv4-secret-Zx81kQ0aVbN3"
		apiKey       = "bedrock-api-key-team-a-Pq72LmW"
		backendKey   = "sk-backend-key-Ty55Rr0"
		sessionToken = "session-token-FwoGZXIvYXdzEJr0123"
	)
	t.Setenv("TEAM_A_SECRET", sigv4Secret)
	t.Setenv("TEAM_A_API_KEY", apiKey)
	t.Setenv("ECHO_KEY", backendKey)
	// A backend that answers with the Authorization header it received.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply, _ := json.Marshal("you called me with " + r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":`+string(reply)+`},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
	t.Cleanup(echo.Close)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "invocations.jsonl")
	cfg := writeConfig(t, `
auth:
  principals:
    - name: team-a
      models: ["*"]
      access_keys: [{id: AKIATEAMAEXAMPLE, secret: "${TEAM_A_SECRET}"}]
      api_keys: ["${TEAM_A_API_KEY}"]
backends:
  - {name: echo, kind: openai, base_url: `+echo.URL+`/v1, api_key: "${ECHO_KEY}"}
routes:
  - {match: anthropic.claude-3-haiku-20240307-v1:0, backend: echo, model: echo}
invocation_log:
  output: `+logPath+`
  bodies: true
`)
	certFile := filepath.Join(dir, "ca.pem")
	endpoint, stop := serveUntil(t, io.Discard, "-config", cfg, "-tls-dev-cert", certFile)
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	prompt := "Remember my keys: " + sigv4Secret + " and " + apiKey
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}}}}

	sigv4 := sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "AKIATEAMAEXAMPLE", SecretAccessKey: sigv4Secret, SessionToken: sessionToken, HTTPClient: hc})
	out, err := sigv4.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value; got != "you called me with Bearer "+backendKey {
		t.Fatalf("echo answered %q: the backend did not get its key", got)
	}
	bearer := sdktest.Client(t, endpoint, sdktest.Options{BearerToken: apiKey, HTTPClient: hc})
	stream, err := bearer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	for range stream.GetStream().Events() {
	}
	if err := stream.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	wrong := sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "AKIATEAMAEXAMPLE", SecretAccessKey: "not-" + sigv4Secret, HTTPClient: hc})
	if _, err := wrong.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: msgs}); errorCode(err) != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
	stop() // flushes the log

	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, s := range []string{sigv4Secret, apiKey, backendKey, sessionToken, "AWS4-HMAC-SHA256", "Signature=", "Credential=", "X-Amz-Security-Token"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
			t.Errorf("the invocation log contains %q:\n%s", s, text)
		}
	}
	var recs []invocationlog.Record
	for line := range strings.Lines(text) {
		var r invocationlog.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), text)
	}
	for i, want := range []struct{ op, principal, backend, outcome string }{
		{"Converse", "team-a", "echo", "ok"},
		{"ConverseStream", "team-a", "builtin", "ok"},
		{"Converse", "", "", "InvalidSignatureException"},
	} {
		r := recs[i]
		if r.Operation != want.op || r.Identity.Principal != want.principal || r.Backend != want.backend || r.Outcome != want.outcome {
			t.Errorf("record %d: %s %q %q %s, want %+v", i, r.Operation, r.Identity.Principal, r.Backend, r.Outcome, want)
		}
	}
	// The bodies are there, with the secrets replaced: two in each prompt,
	// one in the echo's answer.
	if !strings.Contains(string(recs[0].Input.InputBodyJSON), "Remember my keys: [REDACTED] and [REDACTED]") ||
		!strings.Contains(string(recs[0].Output.OutputBodyJSON), "you called me with Bearer [REDACTED]") {
		t.Errorf("bodies not logged as expected:\n%s\n%s", recs[0].Input.InputBodyJSON, recs[0].Output.OutputBodyJSON)
	}
	if recs[2].Input.InputBodyJSON != nil {
		t.Errorf("the body of an unauthenticated request was logged: %s", recs[2].Input.InputBodyJSON)
	}
	if st, err := os.Stat(logPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode: %v %v", st.Mode(), err)
	}
}

// stuckWriter is a disk that takes one write and then hangs until released.
type stuckWriter struct {
	entered chan struct{} // receives once the first write has begun
	release chan struct{}
	once    sync.Once
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

// Records the invocation log drops because its writer is stuck are counted
// on the metrics registry, as converse_invocation_log_dropped_total.
func TestInvocationLogDropsCounted(t *testing.T) {
	w := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
	cfg := &config.Config{InvocationLog: config.InvocationLog{Output: "stdout", Buffer: 1}}
	met := metrics.New(metrics.Options{})
	l, closeLog, err := invocationLog(cfg, w, slog.New(slog.DiscardHandler), nil, met)
	if err != nil {
		t.Fatal(err)
	}
	end := func() {
		_, inv := l.Begin(t.Context(), "Converse", "req", "anthropic.claude-3-haiku-20240307-v1:0")
		inv.End(http.StatusOK, "")
	}
	end() // taken by the writer, which then hangs
	select {
	case <-w.entered:
	case <-time.After(hangGuard):
		t.Fatal("the writer never started")
	}
	end() // waits in the queue of one
	for range 5 {
		end() // dropped
	}
	rec := httptest.NewRecorder()
	met.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := "\nconverse_invocation_log_dropped_total 5\n"; !strings.Contains(rec.Body.String(), want) || l.Dropped() != 5 {
		t.Errorf("after 5 drops (Dropped %d) the exposition lacks %q", l.Dropped(), strings.TrimSpace(want))
	}
	close(w.release)
	closeLog()
}
