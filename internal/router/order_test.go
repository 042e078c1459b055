package router

import (
	"iter"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

func events(evs ...*wire.StreamEvent) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

var (
	start    = &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: "assistant"}}
	text0    = &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 0, Delta: &wire.ContentBlockDelta{Text: wire.Ptr("hi")}}}
	stop0    = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 0}}
	tool1    = &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: 1, Start: &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: "t", Name: "n"}}}}
	input1   = &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 1, Delta: &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: "{}"}}}}
	stop1    = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 1}}
	msgStop  = &wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: "tool_use"}}
	metadata = &wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{}}
)

func TestOrdered(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []*wire.StreamEvent
		want string // event types, "!" + message substring for an error
	}{
		{"bedrock order passes", []*wire.StreamEvent{start, text0, stop0, tool1, input1, stop1, msgStop, metadata},
			"messageStart contentBlockDelta contentBlockStop contentBlockStart contentBlockDelta contentBlockStop messageStop metadata"},
		{"open blocks are closed", []*wire.StreamEvent{start, text0, tool1, input1, msgStop, metadata},
			"messageStart contentBlockDelta contentBlockStop contentBlockStart contentBlockDelta contentBlockStop messageStop metadata"},
		{"no messageStart", []*wire.StreamEvent{text0}, "!contentBlockDelta before messageStart"},
		{"skipped index", []*wire.StreamEvent{start, input1}, "!block 1 where block 0 was expected"},
		{"interleaved", []*wire.StreamEvent{start, text0, tool1, text0}, "!block 0 where block 2 was expected"},
		{"start after deltas", []*wire.StreamEvent{start, input1}, "!block 1 where block 0"},
		{"truncated", []*wire.StreamEvent{start, text0}, "!stream ended before its metadata event"},
		{"metadata early", []*wire.StreamEvent{start, metadata}, "!metadata before messageStop"},
		{"after metadata", []*wire.StreamEvent{start, msgStop, metadata, text0}, "!after metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for ev, err := range ordered("b", events(tc.in...)) {
				if err != nil {
					got = append(got, "!"+err.Error())
					break
				}
				got = append(got, ev.EventType())
			}
			joined := strings.Join(got, " ")
			if strings.HasPrefix(tc.want, "!") {
				if !strings.Contains(joined, tc.want[1:]) {
					t.Errorf("got %q, want an error containing %q", joined, tc.want[1:])
				}
				return
			}
			if diff := cmp.Diff(tc.want, joined); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
