package server_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/provider/replay"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// seedSession runs the seeds' flows through the official SDK and returns
// what the client saw, as comparable text (request IDs and other transport
// details left out).
func seedSession(t *testing.T, client *bedrockruntime.Client) []string {
	t.Helper()
	var out []string
	weather := &weatherDemo{client: client}
	answer, err := weather.runConversation(t.Context(), "查询北京现在的天气情况")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "weather: "+answer, "weather calls: "+mustJSON(t, weather.calls))

	agent := &customerServiceAgent{client: client}
	answer, err = agent.handleCustomerQuery(t.Context(), t, "C001", "产品无法开机，请创建工单，优先级high")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "agent: "+answer, "agent tools: "+strings.Join(agent.executed, "; "))

	stream, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("详细解释神经网络的工作原理")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range stream.GetStream().Events() {
		out = append(out, "event: "+describeEvent(t, ev))
	}
	if err := stream.GetStream().Err(); err != nil {
		t.Fatal(err)
	}

	_, err = client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("throttle me")}})
	out = append(out, "error: "+errorText(err))
	return out
}

func describeEvent(t *testing.T, ev types.ConverseStreamOutput) string {
	switch v := ev.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		return "messageStart " + string(v.Value.Role)
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		if d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
			return "delta " + d.Value
		}
		return "delta (other)"
	case *types.ConverseStreamOutputMemberContentBlockStop:
		return "contentBlockStop"
	case *types.ConverseStreamOutputMemberMessageStop:
		return "messageStop " + string(v.Value.StopReason)
	case *types.ConverseStreamOutputMemberMetadata:
		return "metadata " + mustJSON(t, map[string]any{"in": *v.Value.Usage.InputTokens, "out": *v.Value.Usage.OutputTokens, "ms": *v.Value.Metrics.LatencyMs})
	}
	return "other"
}

func errorText(err error) string {
	if err == nil {
		return "none"
	}
	var te *types.ThrottlingException
	if errors.As(err, &te) {
		return "ThrottlingException: " + te.ErrorMessage()
	}
	return err.Error()
}

// Record the seeds' flows from one converse instance acting as the
// upstream (its built-in model, with a throttling rule), then replay them
// from a second instance that has only the recordings: the SDK sees the
// same answers, tool calls, stream events and errors.
func TestRecordAndReplayThroughServers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "recordings")
	script, err := builtin.ParseScript([]byte("rules:\n  - match: {text: \"throttle me\"}\n    reply: {exception: {type: ThrottlingException}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	upstream := builtin.New(builtin.Options{Tokens: servertest.Tokens(t), Script: script})
	rec, err := replay.NewRecorder(upstream, dir)
	if err != nil {
		t.Fatal(err)
	}
	recording := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"recorder": rec}, Default: "recorder"})
	recorded := seedSession(t, sdktest.Client(t, recording, sdktest.Options{}))

	player, err := replay.NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if player.Len() < 6 {
		t.Errorf("%d recordings, want the 6 exchanges of the session", player.Len())
	}
	replaying := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"replay": player}, Default: "replay"})
	client := sdktest.Client(t, replaying, sdktest.Options{})
	replayed := seedSession(t, client)
	if diff := cmp.Diff(recorded, replayed); diff != "" {
		t.Errorf("replay differs (-recorded +replayed):\n%s", diff)
	}

	// A request nobody recorded is a ValidationException that names the
	// closest recording.
	_, err = client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("throttle me please")}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), `last user text "throttle me"`) || !strings.Contains(ve.ErrorMessage(), "--record") {
		t.Errorf("miss: %v", err)
	}
}
