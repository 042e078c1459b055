package server_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
)

// docWeatherScript is the worked example of docs/emulator.md; this test
// keeps the page true.
const docWeatherScript = `
rules:
  - name: call the tool
    match: {text: "(?i)weather", toolResults: false, tools: [Weather_Tool]}
    reply:
      text: Let me check.
      toolUse:
        - name: Weather_Tool
          toolUseId: tooluse_weather_1
          input: {latitude: 48.8566, longitude: 2.3522}
  - name: answer from the result
    match: {toolResults: true}
    reply: {text: "It is 21 °C and sunny in Paris."}
  - name: first call is throttled
    match: {text: "(?i)retry"}
    sequence:
      - exception: {type: ThrottlingException}
`

func TestDocScriptedToolCalling(t *testing.T) {
	endpoint := startScripted(t, docWeatherScript)
	client := sdktestClient(t, endpoint, 1)
	msgs := []types.Message{userText("What's the weather in Paris?")}
	first, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: msgs, ToolConfig: weatherToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if first.StopReason != types.StopReasonToolUse {
		t.Fatalf("stopReason %s", first.StopReason)
	}
	assistant := messageOf(t, first)
	if got := assistant.Content[0].(*types.ContentBlockMemberText).Value; got != "Let me check." {
		t.Errorf("text %q", got)
	}
	use := assistant.Content[1].(*types.ContentBlockMemberToolUse).Value
	if *use.ToolUseId != "tooluse_weather_1" || *use.Name != "Weather_Tool" {
		t.Errorf("tool use %s %s", *use.ToolUseId, *use.Name)
	}
	if diff := cmp.Diff(map[string]any{"latitude": 48.8566, "longitude": 2.3522}, inputOf(t, use)); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	msgs = append(msgs, assistant, types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{jsonResult(*use.ToolUseId, map[string]any{"temp_c": 21})}})
	final, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: msgs, ToolConfig: weatherToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, final); got != "It is 21 °C and sunny in Paris." || final.StopReason != types.StopReasonEndTurn {
		t.Errorf("final %q %s", got, final.StopReason)
	}

	// The retry rule: a client without retries sees the throttle once; a
	// client with the SDK's retryer gets through.
	retryIn := &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("please retry this")}}
	if _, err := client.Converse(t.Context(), retryIn); !isType[*types.ThrottlingException](err) {
		t.Errorf("first retry call: %v, want ThrottlingException", err)
	}
	if _, err := client.Converse(t.Context(), retryIn); err != nil {
		t.Errorf("second retry call: %v", err)
	}
}
