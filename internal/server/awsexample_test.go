package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// awsToolExample is the logic of AWS's published Converse tool-use example
// (awsdocs/aws-doc-sdk-examples, javascriptv3/example_code/bedrock-runtime/
// scenarios/converse_tool_scenario/converse-tool-scenario.js) in Go, with
// its model, tool configuration (coordinates as strings) and questions.
// Like the original it prints content[0].text of a tool-use answer before
// running the tool it reads from content[1].toolUse, and prints
// content[0].text of the final answer. The original crashed on a tool-use
// answer without a leading text block.
type awsToolExample struct {
	t       *testing.T
	client  *bedrockruntime.Client
	printed []string
	calls   [][2]string // Weather_Tool's latitude and longitude
}

var awsExampleSystem = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are a weather assistant that provides current weather data for user-specified locations using only\n" +
	"the Weather_Tool, which expects latitude and longitude. Infer the coordinates from the location yourself.\n" +
	"- Only use the Weather_Tool for data. Never guess or make up information.\n" +
	"- Report temperatures in °C (°F) and wind in km/h (mph). Keep weather reports concise."}}

func awsExampleTools() *types.ToolConfiguration {
	return &types.ToolConfiguration{Tools: []types.Tool{tool("Weather_Tool", "Get the current weather for a given location, based on its WGS84 coordinates.", map[string]any{
		"type": "object",
		"properties": map[string]any{
			"latitude":  map[string]any{"type": "string", "description": "Geographical WGS84 latitude of the location."},
			"longitude": map[string]any{"type": "string", "description": "Geographical WGS84 longitude of the location."},
		},
		"required": []any{"latitude", "longitude"},
	})}}
}

func (e *awsToolExample) askQuestion(ctx context.Context, userMessage string) {
	messages := []types.Message{userText(userMessage)}
	e.process(ctx, e.send(ctx, messages), messages, 5)
}

func (e *awsToolExample) send(ctx context.Context, messages []types.Message) *bedrockruntime.ConverseOutput {
	out, err := e.client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: messages, System: awsExampleSystem, ToolConfig: awsExampleTools(),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *awsToolExample) process(ctx context.Context, out *bedrockruntime.ConverseOutput, messages []types.Message, recursions int) {
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	switch out.StopReason {
	case types.StopReasonToolUse:
		if recursions <= 0 {
			e.t.Fatal("tool use did not end")
		}
		messages = append(messages, msg)
		// const toolMessage = toolRequests[0].text; console.log(toolMessage…)
		lead, ok := msg.Content[0].(*types.ContentBlockMemberText)
		if !ok {
			e.t.Fatalf("content[0] of a tool-use answer is %T; AWS's example reads its text", msg.Content[0])
		}
		e.printed = append(e.printed, lead.Value)
		var results []types.ContentBlock
		for _, c := range msg.Content {
			if _, ok := c.(*types.ContentBlockMemberToolUse); !ok {
				continue
			}
			// const toolUse = output_message.content[1].toolUse;
			use := msg.Content[1].(*types.ContentBlockMemberToolUse).Value
			var in struct{ Latitude, Longitude string }
			if err := use.Input.UnmarshalSmithyDocument(&in); err != nil {
				e.t.Fatalf("tool input: %v", err)
			}
			e.printed = append(e.printed, "Requesting tool "+*use.Name)
			e.calls = append(e.calls, [2]string{in.Latitude, in.Longitude})
			results = append(results, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
				ToolUseId: use.ToolUseId,
				Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{
					"latitude": in.Latitude, "longitude": in.Longitude, "current_weather": map[string]any{"temperature": 11.3, "windspeed": 7.9},
				})}},
			}})
		}
		messages = append(messages, types.Message{Role: types.ConversationRoleUser, Content: results})
		e.process(ctx, e.send(ctx, messages), messages, recursions-1)
	case types.StopReasonEndTurn:
		// const messageToPrint = response.output.message.content[0].text;
		text, ok := msg.Content[0].(*types.ContentBlockMemberText)
		if !ok {
			e.t.Fatalf("content[0] of the final answer is %T", msg.Content[0])
		}
		e.printed = append(e.printed, text.Value)
	default:
		e.t.Fatalf("stopReason %s", out.StopReason)
	}
}

// AWS's Converse tool example runs unmodified against the defaults: the
// tool-use answer starts with text, the tool gets Seattle's coordinates,
// the final answer reports the tool's result; an off-topic question gets a
// short text answer.
func TestAWSConverseToolExample(t *testing.T) {
	e := &awsToolExample{t: t, client: sdktest.Client(t, start(t, nil), sdktest.Options{})}
	e.askQuestion(t.Context(), "What's the weather like in Seattle?")
	if len(e.printed) != 3 || e.printed[0] == "" || e.printed[1] != "Requesting tool Weather_Tool" || !strings.Contains(e.printed[2], "Weather_Tool returned") {
		t.Errorf("printed %q", e.printed)
	}
	if len(e.calls) != 1 || e.calls[0] != [2]string{"47.6062", "-122.3321"} {
		t.Errorf("Weather_Tool called with %q, want Seattle's coordinates", e.calls)
	}

	e.printed = nil
	e.askQuestion(t.Context(), "What's the best kind of cat?")
	if len(e.printed) != 1 || !strings.Contains(e.printed[0], "cat") || len(strings.Fields(e.printed[0])) > 30 {
		t.Errorf("off-topic answer %q, want a short answer about cats", e.printed)
	}
}

// awsGoConverse is ConverseWrapper.ConverseClaude and ConverseNova of AWS's
// Go example (awsdocs/aws-doc-sdk-examples at
// 7d1e1237789cbf5033a7c22d917d17c64de1aaaa, gov2/bedrock-runtime/actions/
// converse.go), as the scenario (scenarios/scenario_converse.go) calls
// them: one user text, no inference configuration, and the answer read
// as content[0] asserted to a text block with the assertion's ok ignored,
// so anything else there would panic on a nil pointer.
func awsGoConverse(ctx context.Context, client *bedrockruntime.Client, modelID, prompt string) (string, error) {
	var content = types.ContentBlockMemberText{Value: prompt}
	var message = types.Message{Content: []types.ContentBlock{&content}, Role: "user"}
	response, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:  aws.String(modelID),
		Messages: []types.Message{message},
	})
	if err != nil {
		return "", err // the original logs it and goes on to dereference the nil response
	}
	responseText, _ := response.Output.(*types.ConverseOutputMemberMessage)
	responseContentBlock := responseText.Value.Content[0]
	text, _ := responseContentBlock.(*types.ContentBlockMemberText)
	return text.Value, nil
}

// AWS's Go Converse scenario runs unmodified against the defaults: both
// models answer "In one paragraph, who are you?" with one paragraph about
// themselves.
func TestAWSGoConverseExample(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	for _, model := range []string{"anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"} {
		completion, err := awsGoConverse(t.Context(), client, model, "In one paragraph, who are you?")
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		// log.Printf("\nClaude     : %v\n", strings.TrimSpace(completion))
		got := strings.TrimSpace(completion)
		if !strings.HasPrefix(got, "I am ") || strings.Contains(got, "\n\n") || len(strings.Fields(got)) < 10 {
			t.Errorf("%s answered %q, want one paragraph introducing itself", model, got)
		}
	}
}

// AWS's Converse examples for JavaScript (jstest/awsexamples.mjs: Claude,
// Cohere, Llama, Mistral and Nova, Converse and ConverseStream, the top_song tool, the weather
// tool scenario with its four questions) run unmodified against the
// defaults, their clients finding the server through
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME as the examples build them.
func TestAWSJavaScriptExamples(t *testing.T) {
	out := clientScript(t, "awsexamples.mjs", start(t, nil), devKey)
	if n := strings.Count(out, `"ok":true`); n != 12 {
		t.Errorf("%d of 12 checks passed", n)
	}
}

// The Strands Agents SDK's first-agent example (jstest/strands.mjs) runs
// unmodified against the defaults: its default Agent uses the SDK's
// default model ID (global.anthropic.claude-sonnet-4-6) through
// ConverseStream, and its get_weather tool gets the city asked about.
func TestStrandsAgentExample(t *testing.T) {
	out := clientScript(t, "strands.mjs", start(t, nil), devKey)
	if n := strings.Count(out, `"ok":true`); n != 4 {
		t.Errorf("%d of 4 checks passed", n)
	}
}
