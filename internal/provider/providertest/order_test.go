package providertest

import (
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

func evStart() *wire.StreamEvent {
	return &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}
}
func evText(i int, s string) *wire.StreamEvent {
	return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: &wire.ContentBlockDelta{Text: wire.Ptr(s)}}}
}
func evTool(i int, name string) *wire.StreamEvent {
	return &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: i, Start: &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: "t" + name, Name: name}}}}
}
func evInput(i int, s string) *wire.StreamEvent {
	return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: s}}}}
}
func evStop(i int) *wire.StreamEvent {
	return &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: i}}
}
func evMsgStop(r wire.StopReason) *wire.StreamEvent {
	return &wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: r}}
}
func evMeta() *wire.StreamEvent {
	return &wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5}}}
}

func seq(evs ...*wire.StreamEvent) []*wire.StreamEvent { return evs }

func TestCheckOrder(t *testing.T) {
	tests := []struct {
		name   string
		events []*wire.StreamEvent
		want   string // "" means valid
	}{
		{"text", seq(evStart(), evText(0, "a"), evText(0, " b"), evStop(0), evMsgStop("end_turn"), evMeta()), ""},
		{"text then tools", seq(evStart(), evText(0, "a"), evStop(0), evTool(1, "x"), evInput(1, "{}"), evStop(1), evTool(2, "y"), evInput(2, `{"a"`), evInput(2, ":1}"), evStop(2), evMsgStop("tool_use"), evMeta()), ""},
		{"no blocks", seq(evStart(), evMsgStop("end_turn"), evMeta()), ""},
		{"empty", nil, "ended before its metadata"},
		{"no messageStart", seq(evText(0, "a"), evStop(0), evMsgStop("end_turn"), evMeta()), "before messageStart"},
		{"two messageStarts", seq(evStart(), evStart()), "second messageStart"},
		{"block skipped", seq(evStart(), evText(1, "a")), "block 1 where block 0 was expected"},
		{"interleaved", seq(evStart(), evTool(0, "x"), evInput(0, "{"), evTool(1, "y")), "starts while block 0 is open"},
		{"delta for another block", seq(evStart(), evText(0, "a"), evText(1, "b")), "delta for block 1 while block 0 is open"},
		{"start after deltas", seq(evStart(), evText(0, "a"), evStop(0), evText(1, "b"), evTool(1, "x")), "starts while block 1 is open"},
		{"block left open", seq(evStart(), evText(0, "a"), evMsgStop("end_turn"), evMeta()), "block 0 was never stopped"},
		{"stop without delta", seq(evStart(), evTool(0, "x"), evStop(0)), "stops without a delta"},
		{"stop for wrong block", seq(evStart(), evText(0, "a"), evStop(1)), "contentBlockStop for block 1, open block is 0"},
		{"block reopened", seq(evStart(), evText(0, "a"), evStop(0), evText(0, "b")), "block 0 where block 1 was expected"},
		{"delta after messageStop", seq(evStart(), evMsgStop("end_turn"), evText(0, "a")), "after messageStop"},
		{"two messageStops", seq(evStart(), evMsgStop("end_turn"), evMsgStop("end_turn")), "second messageStop"},
		{"metadata first", seq(evStart(), evMeta()), "metadata before messageStop"},
		{"after metadata", seq(evStart(), evMsgStop("end_turn"), evMeta(), evMeta()), "after metadata"},
		{"no metadata", seq(evStart(), evText(0, "a"), evStop(0), evMsgStop("end_turn")), "ended before its metadata"},
		{"empty event", seq(evStart(), &wire.StreamEvent{}), "0 members set"},
		{"two members", seq(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{}, Metadata: &wire.ConverseStreamMetadataEvent{}}), "2 members set"},
		{"nil event", seq(evStart(), nil), "event 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOrder(tt.events)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("valid stream rejected: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFromStream(t *testing.T) {
	a, err := FromStream(seq(evStart(), evText(0, "Hi"), evText(0, " there"), evStop(0), evTool(1, "x"), evInput(1, ""), evInput(1, `{"a":`), evInput(1, `[1]}`), evStop(1), evMsgStop("tool_use"), evMeta()))
	if err != nil {
		t.Fatal(err)
	}
	if a.Text != "Hi there" || len(a.ToolCalls) != 1 || a.ToolCalls[0].Name != "x" || jsonOf(a.ToolCalls[0].Input) != `{"a":[1]}` || a.StopReason != "tool_use" || a.Usage.TotalTokens != 5 {
		t.Errorf("answer %+v", a)
	}
	for name, events := range map[string][]*wire.StreamEvent{
		"input not JSON":        seq(evStart(), evTool(0, "x"), evInput(0, `{"a":`), evStop(0), evMsgStop("tool_use"), evMeta()),
		"empty input":           seq(evStart(), evTool(0, "x"), evInput(0, ""), evStop(0), evMsgStop("tool_use"), evMeta()),
		"text in a tool block":  seq(evStart(), evTool(0, "x"), evText(0, "a"), evStop(0), evMsgStop("tool_use"), evMeta()),
		"input in a text block": seq(evStart(), evInput(0, "{}"), evStop(0), evMsgStop("tool_use"), evMeta()),
		"no usage":              seq(evStart(), evMsgStop("end_turn"), &wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{}}),
	} {
		if _, err := FromStream(events); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckUsage(t *testing.T) {
	for _, tt := range []struct {
		u  wire.TokenUsage
		ok bool
	}{
		{wire.TokenUsage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5}, true},
		{wire.TokenUsage{InputTokens: 3, OutputTokens: 2, TotalTokens: 9, CacheReadInputTokens: wire.Ptr(4)}, true},
		{wire.TokenUsage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5, CacheWriteInputTokens: wire.Ptr(1)}, false},
		{wire.TokenUsage{InputTokens: 3, OutputTokens: 2, TotalTokens: 6}, false},
		{wire.TokenUsage{InputTokens: 0, OutputTokens: 2, TotalTokens: 2}, false},
		{wire.TokenUsage{InputTokens: 3, TotalTokens: 3}, false},
	} {
		if err := CheckUsage(tt.u); (err == nil) != tt.ok {
			t.Errorf("CheckUsage(%s) = %v, want ok %v", jsonOf(tt.u), err, tt.ok)
		}
	}
}

// The reference model's stream with its contentBlockStops removed must be
// rejected.
func TestFromStreamRejectsModelWithOpenBlock(t *testing.T) {
	events, err := collect(t.Context(), NewModel(Reply{Text: "a b"}), call(t, &wire.ConverseRequest{Messages: []wire.Message{user(text("hi"))}}))
	if err != nil {
		t.Fatal(err)
	}
	var broken []*wire.StreamEvent
	for _, ev := range events {
		if ev.ContentBlockStop == nil {
			broken = append(broken, ev)
		}
	}
	if _, err := FromStream(broken); err == nil {
		t.Error("a stream without contentBlockStop was accepted")
	}
}
