package anthropic_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// Anthropic's own cache numbers win over converse's accounting: a request
// with a cache point, answered by a recorded cache read, reports exactly
// what Anthropic reported, through converse and the official Go SDK.
func TestSDKKeepsAnthropicCacheUsage(t *testing.T) {
	body, err := os.ReadFile("testdata/response/cache-read-tool.anthropic.json")
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(upstream.Close)
	p, err := anthropic.New(anthropic.Options{BaseURL: upstream.URL, APIKey: "test-key", Name: "claude-direct"})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"claude-direct": p},
		Routes:   []router.Route{{Pattern: "anthropic.*", Target: router.Target{Backend: "claude-direct", Model: "claude-sonnet-4-5"}}},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String("anthropic.claude-3-7-sonnet-20250219-v1:0"),
		System: []types.SystemContentBlock{
			&types.SystemContentBlockMemberText{Value: strings.Repeat("A long, cacheable system prompt. ", 300)},
			&types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
		},
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
	}
	for range 2 { // the second call would be a registry hit if converse accounted itself
		out, err := client.Converse(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		u := out.Usage
		if *u.InputTokens != 24 || *u.CacheReadInputTokens != 1857 || *u.CacheWriteInputTokens != 0 || *u.OutputTokens != 33 || *u.TotalTokens != 1914 {
			t.Errorf("usage in=%d read=%d write=%d out=%d total=%d, want Anthropic's 24/1857/0/33/1914",
				*u.InputTokens, *u.CacheReadInputTokens, *u.CacheWriteInputTokens, *u.OutputTokens, *u.TotalTokens)
		}
	}
}
