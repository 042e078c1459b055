package server_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// logRecorder is a slog handler that keeps every record, flattened to
// message and string attributes, and says when one arrives.
type logRecorder struct {
	mu      sync.Mutex
	records []map[string]string
	arrived chan struct{}
}

func newLogRecorder() *logRecorder { return &logRecorder{arrived: make(chan struct{}, 1)} }

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	l.mu.Lock()
	l.records = append(l.records, m)
	l.mu.Unlock()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
	return nil
}

// waitFor returns the first record with message msg and the attributes
// in match; the server logs a request after answering it, so the line may
// come a moment after the client has its answer.
func (l *logRecorder) waitFor(t *testing.T, msg string, match map[string]string) map[string]string {
	t.Helper()
	guard := time.After(60 * time.Second) // a hang guard, not a timing assumption
	for {
		l.mu.Lock()
	next:
		for _, r := range l.records {
			if r["msg"] != msg {
				continue
			}
			for k, v := range match {
				if r[k] != v {
					continue next
				}
			}
			l.mu.Unlock()
			return r
		}
		l.mu.Unlock()
		select {
		case <-l.arrived:
		case <-guard:
			t.Fatalf("no %q log line with %v in %v", msg, match, l.all())
		}
	}
}

func (l *logRecorder) all() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]string(nil), l.records...)
}

// throttled (invocation_test.go) answers "slow down" with ThrottlingException.

// The request log line names the backend that answered (after fallbacks)
// and, for a client error, the message the client got; the router says
// "trying fallback" only when there is one.
func TestRequestLogNamesBackendAndMessage(t *testing.T) {
	const (
		withFallback = "anthropic.claude-3-haiku-20240307-v1:0"
		noFallback   = "amazon.nova-lite-v1:0"
		builtinModel = "amazon.nova-micro-v1:0"
	)
	logs := newLogRecorder()
	endpoint := servertest.Start(t, servertest.Options{
		Logger:   slog.New(logs),
		Backends: map[string]provider.Provider{"busy": throttled{}},
		Routes: []router.Route{
			{Pattern: withFallback, Target: router.Target{Backend: "busy"}, Fallbacks: []router.Target{{Backend: "builtin"}}},
			{Pattern: noFallback, Target: router.Target{Backend: "busy"}},
		},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	converse := func(model string, msgs ...types.Message) error {
		_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: msgs})
		return err
	}
	if err := converse(withFallback, userText("Hello")); err != nil {
		t.Fatal(err)
	}
	if err := converse(noFallback, userText("Hello")); errorCode(err) != "ThrottlingException" {
		t.Fatalf("no fallback: %v, want ThrottlingException", err)
	}
	if err := converse(builtinModel, userText("Hello")); err != nil {
		t.Fatal(err)
	}
	if err := converse(builtinModel); errorCode(err) != "ValidationException" {
		t.Fatalf("no messages: %v, want ValidationException", err)
	}
	stream, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(withFallback), Messages: []types.Message{userText("Hello")}})
	if err != nil {
		t.Fatal(err)
	}
	for range stream.GetStream().Events() {
	}
	stream.GetStream().Close()

	for _, tc := range []struct {
		msg    string
		match  map[string]string
		want   map[string]string
		absent []string
	}{
		{"request", map[string]string{"model": withFallback, "op": "Converse"}, map[string]string{"status": "200", "backend": "builtin"}, []string{"error", "message"}},
		{"request", map[string]string{"model": withFallback, "op": "ConverseStream"}, map[string]string{"status": "200", "backend": "builtin"}, nil},
		{"request", map[string]string{"model": noFallback}, map[string]string{"status": "429", "backend": "busy", "error": "ThrottlingException", "message": "slow down"}, nil},
		{"request", map[string]string{"model": builtinModel, "status": "200"}, map[string]string{"backend": "builtin"}, nil},
		// Refused before routing: no backend, and what to fix.
		{"request", map[string]string{"model": builtinModel, "status": "400"}, map[string]string{"error": "ValidationException"}, []string{"backend"}},
		{"backend failed, trying fallback", map[string]string{"model": withFallback}, map[string]string{"backend": "busy", "fallback": "builtin"}, nil},
		{"backend failed, no fallback left", map[string]string{"model": noFallback}, map[string]string{"backend": "busy"}, []string{"fallback"}},
	} {
		got := logs.waitFor(t, tc.msg, tc.match)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s %v: %s=%q, want %q (%v)", tc.msg, tc.match, k, got[k], v, got)
			}
		}
		for _, k := range tc.absent {
			if _, ok := got[k]; ok {
				t.Errorf("%s %v: has %s (%v)", tc.msg, tc.match, k, got)
			}
		}
	}
	if got := logs.waitFor(t, "request", map[string]string{"status": "400"}); got["message"] == "" {
		t.Errorf("400 line without the exception's message: %v", got)
	}
	// A signature mismatch's message goes on with the canonical request,
	// session token included: the log keeps its first line only.
	forged := sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "test", SecretAccessKey: "wrong", SessionToken: "session-token-value"})
	if _, err := forged.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(builtinModel), Messages: []types.Message{userText("Hello")}}); errorCode(err) != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v", err)
	}
	got := logs.waitFor(t, "request", map[string]string{"status": "403"})
	if m := got["message"]; !strings.HasPrefix(m, "The request signature we calculated does not match") || strings.Contains(m, "\n") || strings.Contains(m, "session-token-value") {
		t.Errorf("403 line's message %q, want the first line of the exception's", m)
	}
	for _, r := range logs.all() {
		if r["msg"] == "backend failed, trying fallback" && r["model"] == noFallback {
			t.Errorf("the router said it tried a fallback %s does not have: %v", noFallback, r)
		}
	}
}
