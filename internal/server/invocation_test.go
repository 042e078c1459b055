package server_test

import (
	"context"
	"encoding/json"
	"iter"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// sink hands each line the log writes to the test.
type sink chan []byte

func (s sink) Write(p []byte) (int, error) {
	s <- append([]byte(nil), p...)
	return len(p), nil
}

// next waits for the next record; the bound only guards against a hang.
func (s sink) next(t *testing.T) invocationlog.Record {
	t.Helper()
	select {
	case line := <-s:
		var r invocationlog.Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("record %s: %v", line, err)
		}
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("no invocation record")
	}
	return invocationlog.Record{}
}

// throttled is a backend that is always over its limit, so the router
// falls back.
type throttled struct{}

func (throttled) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return nil, wire.Errorf(wire.ThrottlingException, "slow down")
}

func (throttled) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		yield(nil, wire.Errorf(wire.ThrottlingException, "slow down"))
	}
}

// invocationServer runs a server with an invocation log, principal team-a,
// and sonnet37 routed to a throttled backend with the built-in model as
// fallback.
func invocationServer(t *testing.T, wrap func(server.Router) server.Router) (*bedrockruntime.Client, sink) {
	t.Helper()
	lines := make(sink, 16)
	l, err := invocationlog.New(invocationlog.Options{Writer: lines, Bodies: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() }) // after the server stops
	endpoint := servertest.Start(t, servertest.Options{
		Invocations: l, Wrap: wrap,
		Backends: map[string]provider.Provider{"busy": throttled{}},
		Routes: []router.Route{{Pattern: sonnet37, Target: router.Target{Backend: "busy", Model: "busy-model"},
			Fallbacks: []router.Target{{Backend: "builtin"}}}},
		Auth: &auth.Options{
			Principals: []auth.Principal{{Name: "team-a", Models: []string{"*"}}},
			AccessKeys: []auth.AccessKey{{ID: "AKIATEAMA", Secret: "team-a-secret-key", Principal: "team-a"}},
		},
	})
	return sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "AKIATEAMA", SecretAccessKey: "team-a-secret-key"}), lines
}

// One record per Converse call, with what the SDK saw: request ID, usage
// including the prompt cache, the answer; and who answered after fallback.
func TestInvocationLogConverse(t *testing.T) {
	client, lines := invocationServer(t, nil)
	req := cacheRequest{system: long("policy", 1500), sysCache: true, user: "What is our refund policy?"}
	for call := range 2 { // the first call writes the cache, the second reads it
		out, err := client.Converse(t.Context(), req.input(sonnet37))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		got := lines.next(t)
		u := out.Usage
		want := invocationlog.Record{
			SchemaType: "ModelInvocationLog", SchemaVersion: "1.0", Timestamp: got.Timestamp,
			RequestID: id, Operation: "Converse", ModelID: sonnet37, Identity: invocationlog.Identity{Principal: "team-a"},
			Backend: "builtin", UpstreamModelID: sonnet37, Outcome: "ok", HTTPStatus: 200, Timing: got.Timing,
			Input: invocationlog.Input{
				InputContentType: "application/json", InputBodyJSON: got.Input.InputBodyJSON,
				InputTokenCount: int(*u.InputTokens), CacheReadInputTokenCount: int(*u.CacheReadInputTokens), CacheWriteInputTokenCount: int(*u.CacheWriteInputTokens),
			},
			Output: invocationlog.Output{OutputContentType: "application/json", OutputBodyJSON: got.Output.OutputBodyJSON, OutputTokenCount: int(*u.OutputTokens)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("call %d: record (-want +got):\n%s", call, diff)
		}
		if (call == 0 && got.Input.CacheWriteInputTokenCount < 1024) || (call == 1 && got.Input.CacheReadInputTokenCount < 1024) {
			t.Errorf("call %d: cache read %d, write %d", call, got.Input.CacheReadInputTokenCount, got.Input.CacheWriteInputTokenCount)
		}
		if got.Timing.TotalMs <= 0 || got.Timing.TimeToFirstTokenMs != nil || time.Since(got.Timestamp) > time.Hour {
			t.Errorf("timing %+v at %v", got.Timing, got.Timestamp)
		}
		var in struct {
			System []struct{ Text string } `json:"system"`
		}
		var resp struct {
			Output struct {
				Message struct{ Content []struct{ Text string } }
			} `json:"output"`
		}
		if err := json.Unmarshal(got.Input.InputBodyJSON, &in); err != nil || len(in.System) != 2 || in.System[0].Text != req.system {
			t.Errorf("inputBodyJson: %v %.200s", err, got.Input.InputBodyJSON)
		}
		if err := json.Unmarshal(got.Output.OutputBodyJSON, &resp); err != nil || len(resp.Output.Message.Content) == 0 || resp.Output.Message.Content[0].Text != textOf(t, out) {
			t.Errorf("outputBodyJson: %v %.200s", err, got.Output.OutputBodyJSON)
		}
	}
}

// A stream's record has its time to first token, the usage of its
// metadata event and every event sent.
func TestInvocationLogConverseStream(t *testing.T) {
	client, lines := invocationServer(t, nil)
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("Tell me a story in 40 words.")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var events int
	var usage *types.TokenUsage
	for ev := range out.GetStream().Events() {
		events++
		if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
			usage = m.Value.Usage
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	got := lines.next(t)
	if got.RequestID != id || got.Operation != "ConverseStream" || got.Backend != "builtin" || got.Outcome != "ok" || got.Identity.Principal != "team-a" {
		t.Errorf("record: requestId %q (SDK %q), operation %q, backend %q, outcome %q, principal %q", got.RequestID, id, got.Operation, got.Backend, got.Outcome, got.Identity.Principal)
	}
	if got.Input.InputTokenCount != int(*usage.InputTokens) || got.Output.OutputTokenCount != int(*usage.OutputTokens) || got.Output.OutputContentType != "application/vnd.amazon.eventstream" {
		t.Errorf("usage in %+v out %+v, SDK saw %d in %d out", got.Input, got.Output, *usage.InputTokens, *usage.OutputTokens)
	}
	if ttft := got.Timing.TimeToFirstTokenMs; ttft == nil || *ttft > got.Timing.TotalMs {
		t.Errorf("timing %+v", got.Timing)
	}
	var logged []map[string]json.RawMessage
	if err := json.Unmarshal(got.Output.OutputBodyJSON, &logged); err != nil || len(logged) != events {
		t.Errorf("outputBodyJson has %d events (%v), the SDK received %d", len(logged), err, events)
	}
}

// Failures are recorded with the exception the client received: before
// routing (validation), and after a stream started.
func TestInvocationLogFailures(t *testing.T) {
	client, lines := invocationServer(t, nil)
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{assistantText("hi")}})
	if !isType[*types.ValidationException](err) {
		t.Fatalf("err %v", err)
	}
	got := lines.next(t)
	if got.Outcome != "ValidationException" || got.ErrorCode != "ValidationException" || got.HTTPStatus != 400 || got.Backend != "" || got.Identity.Principal != "team-a" {
		t.Errorf("validation failure recorded as %+v", got)
	}

	client, lines = invocationServer(t, func(server.Router) server.Router {
		return servertest.Failing{Err: wire.Errorf(wire.ModelStreamErrorException, "upstream broke"), MidStream: true}
	})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if !isType[*types.ModelStreamErrorException](out.GetStream().Err()) {
		t.Fatalf("stream err %v", out.GetStream().Err())
	}
	got = lines.next(t)
	if got.Outcome != "ModelStreamErrorException" || got.ErrorCode != got.Outcome || got.HTTPStatus != 200 {
		t.Errorf("mid-stream failure recorded as %+v", got)
	}
}
