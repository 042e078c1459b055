package eventstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

// sampleEvents holds every event kind and every union member of
// ContentBlockStart and ContentBlockDelta.
func sampleEvents() []*wire.StreamEvent {
	delta := func(i int, d wire.ContentBlockDelta) *wire.StreamEvent {
		return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: &d}}
	}
	start := func(i int, s wire.ContentBlockStart) *wire.StreamEvent {
		return &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: i, Start: &s}}
	}
	return []*wire.StreamEvent{
		{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}},
		delta(0, wire.ContentBlockDelta{Text: wire.Ptr("Hello, <world> & \"friends\" é 🌍")}),
		delta(0, wire.ContentBlockDelta{Text: wire.Ptr("")}),
		{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 0}},
		start(1, wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: "tooluse_abc123", Name: "get_weather"}}),
		start(1, wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: "t2", Name: "code", Type: wire.ToolUseTypeServerToolUse}}),
		delta(1, wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: `{"city":`}}),
		start(2, wire.ContentBlockStart{ToolResult: &wire.ToolResultBlockStart{ToolUseID: "t2", Type: "server_tool_result", Status: wire.ToolResultStatusSuccess}}),
		delta(2, wire.ContentBlockDelta{ToolResult: []wire.ToolResultBlockDelta{{Text: wire.Ptr("42")}, {JSON: wire.Document(`{"stdout":"42\n","exit":0}`)}}}),
		start(3, wire.ContentBlockStart{Image: &wire.ImageBlockStart{Format: wire.ImageFormatPng}}),
		delta(3, wire.ContentBlockDelta{Image: &wire.ImageBlockDelta{Source: &wire.ImageSource{Bytes: []byte{0x89, 'P', 'N', 'G', 0, 0xff}}}}),
		delta(3, wire.ContentBlockDelta{Image: &wire.ImageBlockDelta{Error: &wire.ErrorBlock{Message: "blocked"}}}),
		delta(4, wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr("Let me think.")}}),
		delta(4, wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Signature: wire.Ptr("EqQBCkgIAhAB")}}),
		delta(5, wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{RedactedContent: []byte("opaque\x00bytes")}}),
		delta(6, wire.ContentBlockDelta{Citation: &wire.CitationsDelta{
			Title: "Doc", Source: "s3://b/k",
			SourceContent: []wire.CitationSourceContentDelta{{Text: "quoted"}},
			Location:      &wire.CitationLocation{DocumentChar: &wire.DocumentCharLocation{DocumentIndex: wire.Ptr(0), Start: wire.Ptr(3), End: wire.Ptr(9)}},
		}}),
		delta(6, wire.ContentBlockDelta{Citation: &wire.CitationsDelta{Location: &wire.CitationLocation{Web: &wire.WebLocation{URL: "https://example.com", Domain: "example.com"}}}}),
		{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonToolUse}},
		{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn, AdditionalModelResponseFields: wire.Document(`{"delta":{"stop_sequence":null}}`)}},
		{Metadata: &wire.ConverseStreamMetadataEvent{
			Usage:   &wire.TokenUsage{InputTokens: 412, OutputTokens: 38, TotalTokens: 450},
			Metrics: &wire.ConverseStreamMetrics{LatencyMs: 913},
		}},
		{Metadata: &wire.ConverseStreamMetadataEvent{
			Usage:             &wire.TokenUsage{InputTokens: 10, OutputTokens: 2, TotalTokens: 1334, CacheReadInputTokens: wire.Ptr(1322), CacheWriteInputTokens: wire.Ptr(0)},
			Metrics:           &wire.ConverseStreamMetrics{LatencyMs: 1},
			Trace:             &wire.ConverseStreamTrace{PromptRouter: &wire.PromptRouterTrace{InvokedModelID: "arn:aws:bedrock:us-east-1::foundation-model/x"}},
			PerformanceConfig: &wire.PerformanceConfiguration{Latency: wire.PerformanceConfigLatencyOptimized},
			ServiceTier:       &wire.ServiceTier{Type: wire.ServiceTierTypeFlex},
		}},
	}
}

// collect drains an event sequence.
func collect(t testing.TB, r io.Reader) ([]*wire.StreamEvent, error) {
	t.Helper()
	var evs []*wire.StreamEvent
	for ev, err := range Events(r, ReadOptions{}) {
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func TestEventsRoundTrip(t *testing.T) {
	for _, ev := range sampleEvents() {
		t.Run(ev.EventType(), func(t *testing.T) {
			var b bytes.Buffer
			if err := NewWriter(&b, nil).WriteEvent(ev); err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, &b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]*wire.StreamEvent{ev}, got); diff != "" {
				t.Errorf("(-written +read):\n%s", diff)
			}
		})
	}

	// And all of them in one stream.
	var b bytes.Buffer
	w := NewWriter(&b, nil)
	for _, ev := range sampleEvents() {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := collect(t, &b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleEvents(), got); diff != "" {
		t.Errorf("whole stream (-written +read):\n%s", diff)
	}
}

func TestExceptionRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *wire.Exception
		want *wire.Exception
	}{
		{"throttling", wire.Errorf(wire.ThrottlingException, "Too many requests"), wire.Errorf(wire.ThrottlingException, "Too many requests")},
		{"validation", wire.Errorf(wire.ValidationException, "bad input"), wire.Errorf(wire.ValidationException, "bad input")},
		{"internal", wire.Errorf(wire.InternalServerException, "oops"), wire.Errorf(wire.InternalServerException, "oops")},
		{"unavailable", wire.Errorf(wire.ServiceUnavailableException, "later"), wire.Errorf(wire.ServiceUnavailableException, "later")},
		{"model stream error with extras",
			&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 500, OriginalMessage: "upstream died"},
			&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 500, OriginalMessage: "upstream died"}},
		{"model error remapped",
			&wire.Exception{Type: wire.ModelErrorException, Message: "m", OriginalStatusCode: 400, OriginalMessage: "o", ResourceName: "r"},
			&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 400, OriginalMessage: "o"}},
		{"access denied remapped", wire.Errorf(wire.AccessDeniedException, "no"), wire.Errorf(wire.ValidationException, "no")},
		{"unclassified remapped", wire.Errorf(wire.SerializationException, "x"), wire.Errorf(wire.InternalServerException, "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b, nil)
			first := sampleEvents()[0]
			if err := w.WriteEvent(first); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteException(tt.in); err != nil {
				t.Fatal(err)
			}
			got, err := collect(t, &b)
			if diff := cmp.Diff([]*wire.StreamEvent{first}, got); diff != "" {
				t.Errorf("events before the exception (-want +got):\n%s", diff)
			}
			var ex *wire.Exception
			if !errors.As(err, &ex) {
				t.Fatalf("err = %v, want a *wire.Exception", err)
			}
			if diff := cmp.Diff(tt.want, ex); diff != "" {
				t.Errorf("exception (-want +got):\n%s", diff)
			}
		})
	}
}

// frame encodes one message with string headers given as name, value pairs.
func frame(t testing.TB, payload string, kv ...string) []byte {
	t.Helper()
	var hs eventstream.Headers
	for i := 0; i < len(kv); i += 2 {
		hs = append(hs, eventstream.Header{Name: kv[i], Value: eventstream.StringValue(kv[i+1])})
	}
	return encode(t, eventstream.Message{Headers: hs, Payload: []byte(payload)})
}

func TestEventsFrames(t *testing.T) {
	start := frame(t, `{"role":"assistant"}`, ":event-type", "messageStart", ":content-type", "application/json", ":message-type", "event")
	startEv := &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

	tests := []struct {
		name    string
		data    []byte
		want    []*wire.StreamEvent
		wantErr error // compared with cmp when a *wire.Exception
		anyErr  bool
	}{
		{"padding ignored", frame(t, `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"}`,
			":event-type", "messageStart", ":content-type", "application/json", ":message-type", "event"),
			[]*wire.StreamEvent{startEv}, nil, false},
		{"header order irrelevant", frame(t, `{"role":"assistant"}`, ":message-type", "event", ":event-type", "messageStart"),
			[]*wire.StreamEvent{startEv}, nil, false},
		{"unknown event type skipped", cat(frame(t, `{"x":1}`, ":event-type", "futureEvent", ":message-type", "event"), start),
			[]*wire.StreamEvent{startEv}, nil, false},
		{"error frame", cat(start, frame(t, "", ":message-type", "error", ":error-code", "InternalFailure", ":error-message", "It broke")),
			[]*wire.StreamEvent{startEv}, &wire.Exception{Type: "InternalFailure", Message: "It broke"}, false},
		{"exception with Message spelling", frame(t, `{"Message":"slow down"}`, ":message-type", "exception", ":exception-type", "throttlingException"),
			nil, wire.Errorf(wire.ThrottlingException, "slow down"), false},
		{"exception with empty payload", frame(t, "", ":message-type", "exception", ":exception-type", "internalServerException"),
			nil, &wire.Exception{Type: wire.InternalServerException}, false},
		{"unknown message type", cat(start, frame(t, "{}", ":message-type", "mystery")), []*wire.StreamEvent{startEv}, nil, true},
		{"no message type", frame(t, "{}", ":event-type", "messageStart"), nil, nil, true},
		{"message type not a string", encode(t, eventstream.Message{Headers: eventstream.Headers{{Name: ":message-type", Value: eventstream.Int32Value(1)}}}), nil, nil, true},
		{"event without event type", frame(t, "{}", ":message-type", "event"), nil, nil, true},
		{"exception without type", frame(t, "{}", ":message-type", "exception"), nil, nil, true},
		{"error without code", frame(t, "", ":message-type", "error"), nil, nil, true},
		{"bad event JSON", frame(t, `{"role":`, ":message-type", "event", ":event-type", "messageStart"), nil, nil, true},
		{"wrong JSON type", frame(t, `{"contentBlockIndex":"0"}`, ":message-type", "event", ":event-type", "contentBlockStop"), nil, nil, true},
		{"bad exception JSON", frame(t, `nope`, ":message-type", "exception", ":exception-type", "validationException"), nil, nil, true},
		{"truncated", cat(start, start[:30]), []*wire.StreamEvent{startEv}, io.ErrUnexpectedEOF, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, bytes.NewReader(tt.data))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			switch {
			case tt.anyErr:
				if err == nil {
					t.Errorf("no error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.wantErr != nil:
				if diff := cmp.Diff(tt.wantErr, err); diff != "" {
					t.Errorf("err (-want +got):\n%s", diff)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestEventsStopsOnBreak checks that breaking out reads no further than the
// message it stopped at.
func TestEventsStopsOnBreak(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, nil)
	evs := sampleEvents()
	for _, ev := range evs[:3] {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	var first bytes.Buffer
	if err := NewWriter(&first, nil).WriteEvent(evs[0]); err != nil {
		t.Fatal(err)
	}
	total := b.Len()
	r := bytes.NewReader(b.Bytes())
	n := 0
	for _, err := range Events(r, ReadOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Fatalf("%d events", n)
	}
	if read := total - r.Len(); read != first.Len() {
		t.Errorf("read %d bytes, want only the first frame's %d", read, first.Len())
	}
}

// TestExceptionPayloadJSON pins the payload Bedrock clients parse.
func TestExceptionPayloadJSON(t *testing.T) {
	var b bytes.Buffer
	if err := NewWriter(&b, nil).WriteException(&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 500}); err != nil {
		t.Fatal(err)
	}
	msgs := readAll(t, b.Bytes())
	var got map[string]any
	if err := json.Unmarshal(msgs[0].Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"message": "m", "originalStatusCode": 500.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}
