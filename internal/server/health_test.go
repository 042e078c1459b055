package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

func get(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(""))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// The probes answer on the API port without credentials; they take no
// Bedrock path, and Bedrock paths still need credentials.
func TestProbesOnAPIPort(t *testing.T) {
	var redisDown error
	probes := health.New(health.Options{Checks: []health.Check{{Name: "redis", Func: func(context.Context) error { return redisDown }}}})
	endpoint := servertest.Start(t, servertest.Options{Health: probes})
	for _, tc := range []struct {
		method, path string
		down         error
		status       int
		body         string
	}{
		{"GET", "/healthz", nil, 200, "ok\n"},
		{"HEAD", "/healthz", nil, 200, ""},
		{"GET", "/readyz", nil, 200, "ok\n"},
		{"GET", "/readyz", errors.New("dial tcp 10.1.2.3:6379: connection refused"), 503, "redis: not ready\n"},
		{"GET", "/healthz", errors.New("down"), 200, "ok\n"}, // liveness ignores dependencies
	} {
		redisDown = tc.down
		status, body, h := get(t, tc.method, endpoint+tc.path)
		if status != tc.status || body != tc.body || h.Get("X-Amzn-ErrorType") != "" {
			t.Errorf("%s %s (dependency error %v): %d %q %q, want %d %q", tc.method, tc.path, tc.down, status, body, h.Get("X-Amzn-ErrorType"), tc.status, tc.body)
		}
	}
	// Other methods and near paths are still Bedrock's unknown operations.
	for _, tc := range []struct{ method, path string }{
		{"POST", "/healthz"}, {"POST", "/readyz"}, {"GET", "/healthz/x"}, {"GET", "/model/healthz"},
	} {
		status, _, h := get(t, tc.method, endpoint+tc.path)
		if status != 404 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "UnknownOperationException") {
			t.Errorf("%s %s: %d %q, want UnknownOperationException", tc.method, tc.path, status, h.Get("X-Amzn-ErrorType"))
		}
	}
	// A model named like a probe is an ordinary, authenticated call.
	_, err := sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "test", SecretAccessKey: "wrong"}).Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String("healthz"), Messages: []types.Message{userText("hi")},
	})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("Converse with a wrong secret: %v", err)
	}
	if status, _, h := get(t, "POST", endpoint+"/model/healthz/converse"); status != 403 {
		t.Errorf("unsigned POST /model/healthz/converse: %d %q, want 403", status, h.Get("X-Amzn-ErrorType"))
	}
}

// Without Options.Health the probes still answer: always live and ready.
func TestProbesDefault(t *testing.T) {
	endpoint := servertest.Start(t, servertest.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, body, _ := get(t, "GET", endpoint+p); status != 200 || body != "ok\n" {
			t.Errorf("GET %s: %d %q", p, status, body)
		}
	}
}
