package eventstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/golden"
	"github.com/conversekit/converse/internal/wire"
)

// TestBedrockRecordings decodes ConverseStream bodies recorded from the real
// service (see testdata/NOTICE.md).
func TestBedrockRecordings(t *testing.T) {
	tests := []struct {
		name      string
		wantKinds []string // the distinct event types, in order of first appearance
		wantStop  wire.StopReason
	}{
		{"text", []string{"messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}, wire.StopReasonEndTurn},
		{"tool", []string{"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}, wire.StopReasonToolUse},
		{"reasoning", []string{"messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}, wire.StopReasonEndTurn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFile(t, "testdata/bedrock-"+tt.name+".bin")
			evs, err := collect(t, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			seen := map[string]bool{}
			for _, ev := range evs {
				if k := ev.EventType(); !seen[k] {
					seen[k] = true
					kinds = append(kinds, k)
				}
			}
			if diff := cmp.Diff(tt.wantKinds, kinds); diff != "" {
				t.Errorf("event kinds (-want +got):\n%s", diff)
			}
			if len(evs) < 4 || evs[0].MessageStart == nil || evs[len(evs)-1].Metadata == nil {
				t.Fatalf("stream is not messageStart … metadata: %d events", len(evs))
			}
			if stop := evs[len(evs)-2].MessageStop; stop == nil || stop.StopReason != tt.wantStop {
				t.Errorf("second-to-last event %+v, want messageStop %q", evs[len(evs)-2], tt.wantStop)
			}
			md := evs[len(evs)-1].Metadata
			if u := md.Usage; u == nil || u.InputTokens == 0 || u.OutputTokens == 0 || u.TotalTokens < u.InputTokens+u.OutputTokens {
				t.Errorf("usage %+v", md.Usage)
			}
			if md.Metrics == nil || md.Metrics.LatencyMs == 0 {
				t.Errorf("metrics %+v", md.Metrics)
			}

			checkLossless(t, data, evs)

			var dump bytes.Buffer
			if err := DumpEvents(&dump, Events(bytes.NewReader(data), ReadOptions{})); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "bedrock-"+tt.name+".converse.events"), dump.Bytes())
		})
	}
}

// checkLossless compares every recorded payload, without the "p" padding,
// with the JSON our types make of the decoded event: a member the wire types
// lack would show up here. The one known gap is usage.serverToolUsage, which
// the service sends (as {}) but the API model copy in internal/wire does not
// define.
func checkLossless(t *testing.T, data []byte, evs []*wire.StreamEvent) {
	t.Helper()
	msgs := readAll(t, data)
	if len(msgs) != len(evs) {
		t.Fatalf("%d frames, %d events", len(msgs), len(evs))
	}
	for i, msg := range msgs {
		var raw map[string]any
		if err := json.Unmarshal(msg.Payload, &raw); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if _, ok := raw["p"]; !ok {
			t.Errorf("frame %d has no padding; the recording should carry it", i)
		}
		delete(raw, "p")
		if u, ok := raw["usage"].(map[string]any); ok {
			delete(u, "serverToolUsage")
		}
		ours, err := json.Marshal(evs[i].Payload())
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(ours, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(raw, got); diff != "" {
			t.Errorf("frame %d %s (-recorded +decoded):\n%s", i, evs[i].EventType(), diff)
		}
	}
}

// TestDumpVectors pins the dump format on every header type.
func TestDumpVectors(t *testing.T) {
	var stream []byte
	for _, path := range []string{
		"testdata/aws-sdk-go-v2/encoded/positive/all_headers",
		"testdata/aws-sdk-go-v2/encoded/positive/empty_message",
		"testdata/smithy-rs/valid_with_all_headers_and_payload",
		"testdata/smithy-rs/valid_empty_payload",
		"testdata/smithy-rs/valid_no_headers",
	} {
		stream = append(stream, readFile(t, path)...)
	}
	stream = append(stream, frame(t, `{ "a" : [1, 2] }`, "needs quoting", `a "b"=c`, "colon", "x:y", "{name", "v")...)
	stream = append(stream, frame(t, "not json", "k", "v")...)
	var b bytes.Buffer
	if err := Dump(&b, Read(bytes.NewReader(stream), ReadOptions{})); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "vectors.dump"), b.Bytes())

	// A stream error ends the dump with that error, after the lines so far.
	b.Reset()
	err := Dump(&b, Read(bytes.NewReader(append(stream, 0, 0, 0)), ReadOptions{}))
	if err == nil {
		t.Fatal("Dump ignored a truncated stream")
	}
	if got, want := bytes.Count(b.Bytes(), []byte("\n")), 7; got != want {
		t.Errorf("dumped %d lines before the error, want %d", got, want)
	}
}

func TestDumpEventsError(t *testing.T) {
	start := &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"exception", wire.Errorf(wire.ThrottlingException, "Too many requests"),
			`:exception-type=throttlingException :content-type=application/json :message-type=exception {"message":"Too many requests"}`},
		{"unclassified", errors.New("secret upstream detail"),
			`:exception-type=internalServerException :content-type=application/json :message-type=exception {"message":"The server encountered an internal error while processing the request."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq := func(yield func(*wire.StreamEvent, error) bool) {
				if yield(start, nil) {
					yield(nil, tt.err)
				}
			}
			var b bytes.Buffer
			if err := DumpEvents(&b, seq); err != nil {
				t.Fatal(err)
			}
			want := ":event-type=messageStart :content-type=application/json :message-type=event {\"role\":\"assistant\"}\n" + tt.want + "\n"
			if diff := cmp.Diff(want, b.String()); diff != "" {
				t.Errorf("dump (-want +got):\n%s", diff)
			}
		})
	}
}
