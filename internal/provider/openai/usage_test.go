package openai

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

func TestConvertUsage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *wire.TokenUsage
	}{
		{"absent", `null`, &wire.TokenUsage{}},
		{"no cache", `{"prompt_tokens":12,"completion_tokens":100,"total_tokens":112,"prompt_tokens_details":{"cached_tokens":0}}`,
			&wire.TokenUsage{InputTokens: 12, OutputTokens: 100, TotalTokens: 112}},
		{"cached tokens counted inside prompt_tokens", `{"prompt_tokens":1144,"completion_tokens":3,"total_tokens":1147,"prompt_tokens_details":{"cached_tokens":1024}}`,
			&wire.TokenUsage{InputTokens: 120, OutputTokens: 3, TotalTokens: 1147, CacheReadInputTokens: wire.Ptr(1024)}},
		{"DeepSeek cache hits", `{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}`,
			&wire.TokenUsage{InputTokens: 36, OutputTokens: 5, TotalTokens: 105, CacheReadInputTokens: wire.Ptr(64)}},
		{"Gemini total larger than the parts", `{"prompt_tokens":35,"completion_tokens":12,"total_tokens":99}`,
			&wire.TokenUsage{InputTokens: 35, OutputTokens: 12, TotalTokens: 47}},
		{"cached larger than prompt is clamped", `{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":50}}`,
			&wire.TokenUsage{InputTokens: 0, OutputTokens: 1, TotalTokens: 11, CacheReadInputTokens: wire.Ptr(10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u *chatUsage
			if err := json.Unmarshal([]byte(tt.in), &u); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, convertUsage(u)); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStopReason(t *testing.T) {
	withStops := &wire.ConverseRequest{InferenceConfig: &wire.InferenceConfiguration{StopSequences: []string{"END"}}}
	tests := []struct {
		finish   string
		matched  string
		req      *wire.ConverseRequest
		hasTools bool
		want     wire.StopReason
	}{
		{"stop", "", nil, false, wire.StopReasonEndTurn},
		{"", "", nil, false, wire.StopReasonEndTurn},
		{"length", "", nil, false, wire.StopReasonMaxTokens},
		{"tool_calls", "", nil, true, wire.StopReasonToolUse},
		{"function_call", "", nil, false, wire.StopReasonToolUse},
		{"content_filter", "", nil, false, wire.StopReasonContentFiltered},
		{"stop", "", nil, true, wire.StopReasonToolUse}, // Ollama
		{"stop", `"END"`, withStops, false, wire.StopReasonStopSequence},
		{"stop", `"OTHER"`, withStops, false, wire.StopReasonEndTurn},
		{"stop", `128009`, withStops, false, wire.StopReasonEndTurn}, // vLLM: an EOS token id
		{"eos", "", nil, false, wire.StopReasonEndTurn},
	}
	for _, tt := range tests {
		var matched json.RawMessage
		if tt.matched != "" {
			matched = json.RawMessage(tt.matched)
		}
		if got := stopReason(&tt.finish, matched, tt.req, tt.hasTools); got != tt.want {
			t.Errorf("stopReason(%q, %s, tools=%v) = %s, want %s", tt.finish, tt.matched, tt.hasTools, got, tt.want)
		}
	}
}

func TestToolUseID(t *testing.T) {
	p := &Provider{newID: func() string { return "tooluse_new" }}
	for in, want := range map[string]string{
		"call_QXZLQbxriC1eBnOMXLPMopfe":  "call_QXZLQbxriC1eBnOMXLPMopfe",
		"functions.get_temperature:0":    "functions.get_temperature:0",
		"":                               "tooluse_new",
		"call 1/2":                       "call_1_2",
		string(make([]byte, 70)):         "________________________________________________________________",
		"chatcmpl-tool-bbb91941bf76335c": "chatcmpl-tool-bbb91941bf76335c",
	} {
		if got := p.toolUseID(in); got != want {
			t.Errorf("toolUseID(%q) = %q, want %q", in, got, want)
		}
	}
	if id := randomToolUseID(); len(id) != len("tooluse_")+22 {
		t.Errorf("random id %q", id)
	}
}
