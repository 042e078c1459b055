package anthropic

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

func TestConvertUsage(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name string
		in   *apiUsage
		want *wire.TokenUsage
	}{
		{"nil", nil, &wire.TokenUsage{CacheReadInputTokens: n(0), CacheWriteInputTokens: n(0)}},
		{"plain", &apiUsage{InputTokens: n(12), OutputTokens: n(5)},
			&wire.TokenUsage{InputTokens: 12, OutputTokens: 5, TotalTokens: 17, CacheReadInputTokens: n(0), CacheWriteInputTokens: n(0)}},
		{"read and 5m write", &apiUsage{InputTokens: n(3), OutputTokens: n(33), CacheReadInputTokens: n(1111), CacheCreationInputTokens: n(418), CacheCreation: &cacheCreation{Ephemeral5m: n(418), Ephemeral1h: n(0)}},
			&wire.TokenUsage{InputTokens: 3, OutputTokens: 33, TotalTokens: 1565, CacheReadInputTokens: n(1111), CacheWriteInputTokens: n(418), CacheDetails: []wire.CacheDetail{{TTL: "5m", InputTokens: 418}}}},
		{"write without split", &apiUsage{InputTokens: n(1), OutputTokens: n(1), CacheCreationInputTokens: n(100)},
			&wire.TokenUsage{InputTokens: 1, OutputTokens: 1, TotalTokens: 102, CacheReadInputTokens: n(0), CacheWriteInputTokens: n(100)}},
		{"negative clamps", &apiUsage{InputTokens: n(-4), OutputTokens: n(2)},
			&wire.TokenUsage{OutputTokens: 2, TotalTokens: 2, CacheReadInputTokens: n(0), CacheWriteInputTokens: n(0)}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, convertUsage(tt.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestUsageMerge: message_delta's counts override message_start's only
// where present.
func TestUsageMerge(t *testing.T) {
	n := func(v int) *int { return &v }
	u := apiUsage{InputTokens: n(43), OutputTokens: n(1), CacheReadInputTokens: n(7)}
	u.merge(&apiUsage{OutputTokens: n(282)})
	got := convertUsage(&u)
	want := &wire.TokenUsage{InputTokens: 43, OutputTokens: 282, TotalTokens: 332, CacheReadInputTokens: n(7), CacheWriteInputTokens: n(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStopReason(t *testing.T) {
	for in, want := range map[string]wire.StopReason{
		"end_turn": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence", "tool_use": "tool_use",
		"refusal": "content_filtered", "pause_turn": "end_turn", "model_context_window_exceeded": "model_context_window_exceeded", "new_reason": "end_turn",
	} {
		if got := stopReason(&in); got != want {
			t.Errorf("stopReason(%q) = %q, want %q", in, got, want)
		}
	}
	if got := stopReason(nil); got != wire.StopReasonEndTurn {
		t.Errorf("stopReason(nil) = %q", got)
	}
}
