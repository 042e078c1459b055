package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// The playground is mounted for GET (and HEAD) under /playground only,
// without authentication; every other method or path, and /playground
// itself when no playground is given, stays Bedrock's
// UnknownOperationException, and the Bedrock routes still work.
func TestPlaygroundMount(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Playground", r.URL.Path)
		_, _ = w.Write([]byte("page"))
	})
	on := servertest.Start(t, servertest.Options{Playground: page})
	off := servertest.Start(t, servertest.Options{})
	for _, tc := range []struct {
		endpoint, method, path string
		served                 bool
	}{
		{on, "GET", "/playground", true},
		{on, "GET", "/playground/", true},
		{on, "GET", "/playground/app.mjs", true},
		{on, "GET", "/playground/api/config", true},
		{on, "HEAD", "/playground/", true},
		{on, "POST", "/playground/", false},
		{on, "PUT", "/playground/api/config", false},
		{on, "OPTIONS", "/playground/", false},
		{on, "GET", "/playgroundx", false},
		{on, "GET", "/", false},
		{on, "GET", "/model/playground/converse", false},
		{on, "POST", "/model/playground", false},
		{off, "GET", "/playground/", false},
		{off, "GET", "/playground", false},
	} {
		status, body, h := get(t, tc.method, tc.endpoint+tc.path)
		switch {
		case tc.served && (status != 200 || h.Get("X-Playground") != tc.path || (tc.method == "GET" && body != "page")):
			t.Errorf("%s %s: %d %q, want the playground", tc.method, tc.path, status, body)
		case !tc.served && (status != 404 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "UnknownOperationException") || h.Get("X-Playground") != ""):
			t.Errorf("%s %s: %d %q %q, want UnknownOperationException", tc.method, tc.path, status, h.Get("X-Amzn-ErrorType"), body)
		}
	}
	out, err := sdktest.Client(t, on, sdktest.Options{}).Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: []types.Message{userText("hi")},
	})
	if err != nil || out.Usage == nil {
		t.Errorf("Converse beside the playground: %v", err)
	}
	if status, _, _ := get(t, "POST", on+"/model/anthropic.claude-3-haiku-20240307-v1:0/converse"); status != 403 {
		t.Errorf("unsigned Converse: %d, want 403 (the playground bypasses authentication only for its own paths)", status)
	}
}
