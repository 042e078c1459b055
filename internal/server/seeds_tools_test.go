package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/sdktest"
)

// weatherDemo is the seed's WeatherToolDemo, line for line in Go.
type weatherDemo struct {
	client *bedrockruntime.Client
	// verbatim keeps the seed's bug: the toolResult turn is appended
	// without the assistant message that holds the toolUse blocks.
	verbatim bool
	calls    []map[string]any // Weather_Tool inputs, in order
}

var weatherSystem = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: `你是一个天气助手,专门使用Weather_Tool查询天气信息。
根据用户提供的位置名称推断经纬度坐标,使用工具获取天气数据。
温度使用摄氏度(华氏度),风速使用公里/小时(英里/小时)。
只使用提供的工具,不猜测或编造信息。`}}

func weatherToolConfig() *types.ToolConfiguration {
	return &types.ToolConfiguration{Tools: []types.Tool{tool("Weather_Tool", "获取指定位置的当前天气信息", map[string]any{
		"type": "object",
		"properties": map[string]any{
			"latitude":  map[string]any{"type": "number", "description": "纬度"},
			"longitude": map[string]any{"type": "number", "description": "经度"},
		},
		"required": []any{"latitude", "longitude"},
	})}}
}

// getWeatherData stands in for the seed's open-meteo call (no network in
// tests): the same response shape, echoing the coordinates.
func getWeatherData(lat, lon float64) map[string]any {
	return map[string]any{
		"latitude": lat, "longitude": lon,
		"current": map[string]any{"temperature_2m": 3.4, "wind_speed_10m": 11.2, "relative_humidity_2m": 41},
	}
}

func (d *weatherDemo) runConversation(ctx context.Context, userMessage string) (string, error) {
	conversation := []types.Message{userText(userMessage)}
	response, err := d.client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(sonnet3), Messages: conversation, System: weatherSystem, ToolConfig: weatherToolConfig(),
	})
	if err != nil {
		return "", err
	}
	msg := response.Output.(*types.ConverseOutputMemberMessage).Value
	if response.StopReason != types.StopReasonToolUse {
		return msg.Content[0].(*types.ContentBlockMemberText).Value, nil
	}
	var toolResults []types.ContentBlock
	for _, content := range msg.Content {
		tu, ok := content.(*types.ContentBlockMemberToolUse)
		if !ok || *tu.Value.Name != "Weather_Tool" {
			continue
		}
		var input struct{ Latitude, Longitude float64 }
		if err := tu.Value.Input.UnmarshalSmithyDocument(&input); err != nil {
			return "", fmt.Errorf("tool input: %w", err)
		}
		d.calls = append(d.calls, map[string]any{"latitude": input.Latitude, "longitude": input.Longitude})
		toolResults = append(toolResults, jsonResult(*tu.Value.ToolUseId, getWeatherData(input.Latitude, input.Longitude)))
	}
	if !d.verbatim {
		conversation = append(conversation, msg) // the fix the seed lacks
	}
	conversation = append(conversation, types.Message{Role: types.ConversationRoleUser, Content: toolResults})
	final, err := d.client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(sonnet3), Messages: conversation, System: weatherSystem, ToolConfig: weatherToolConfig(),
	})
	if err != nil {
		return "", err
	}
	return final.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value, nil
}

// The seed's weather tool round trip on converse's defaults: the model
// calls Weather_Tool with Beijing's coordinates, then answers from the
// tool's JSON. As written, the seed forgets the assistant turn and gets
// Bedrock's ValidationException, whose message says what to append.
func TestSeedWeatherToolRoundTrip(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})

	fixed := &weatherDemo{client: client}
	result, err := fixed.runConversation(t.Context(), "查询北京现在的天气情况")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"latitude": 39.9042, "longitude": 116.4074}}, fixed.calls); diff != "" {
		t.Errorf("Weather_Tool inputs (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Weather_Tool returned", `"temperature_2m":3.4`, `"latitude":39.9042`} {
		if !strings.Contains(result, want) {
			t.Errorf("final answer lacks %s: %s", want, result)
		}
	}

	verbatim := &weatherDemo{client: client, verbatim: true}
	_, err = verbatim.runConversation(t.Context(), "查询北京现在的天气情况")
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("verbatim seed got %v, want a ValidationException", err)
	}
	for _, want := range []string{"messages.1 holds toolResult blocks but follows another user message", "append the assistant message that holds the toolUse blocks"} {
		if !strings.Contains(ve.ErrorMessage(), want) {
			t.Errorf("message lacks %q: %s", want, ve.ErrorMessage())
		}
	}
}

// customerServiceAgent is the seed's CustomerServiceAgent in Go.
type customerServiceAgent struct {
	client   *bedrockruntime.Client
	verbatim bool
	executed []string // tool calls as "name input-json"
}

var supportSystem = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: `你是专业的客户服务助手,帮助客户解决产品相关问题。
首先尝试使用知识库查询工具回答问题,如果无法解决则创建支持工单。
保持友好专业的语气,准确理解客户问题。`}}

func supportToolConfig() *types.ToolConfiguration {
	return &types.ToolConfiguration{Tools: []types.Tool{
		tool("QueryKnowledgeBase", "查询产品知识库", map[string]any{
			"type":       "object",
			"properties": map[string]any{"query": map[string]any{"type": "string"}},
			"required":   []any{"query"},
		}),
		tool("CreateSupportTicket", "创建技术支持工单", map[string]any{
			"type": "object",
			"properties": map[string]any{
				"issue_description": map[string]any{"type": "string"},
				"customer_id":       map[string]any{"type": "string"},
				"priority":          map[string]any{"type": "string", "enum": []any{"low", "medium", "high"}},
			},
			"required": []any{"issue_description", "customer_id"},
		}),
	}}
}

func (a *customerServiceAgent) handleCustomerQuery(ctx context.Context, t *testing.T, customerID, query string) (string, error) {
	conversation := []types.Message{userText(fmt.Sprintf("客户%s咨询: %s", customerID, query))}
	const maxIterations = 3
	for range maxIterations {
		response, err := a.client.Converse(ctx, &bedrockruntime.ConverseInput{
			ModelId: aws.String(opus3), Messages: conversation, System: supportSystem, ToolConfig: supportToolConfig(),
		})
		if err != nil {
			return "", err
		}
		msg := messageOf(t, response)
		switch response.StopReason {
		case types.StopReasonEndTurn:
			return msg.Content[0].(*types.ContentBlockMemberText).Value, nil
		case types.StopReasonToolUse:
			var toolResults []types.ContentBlock
			for _, tu := range toolUses(msg) {
				toolResults = append(toolResults, jsonResult(*tu.ToolUseId, a.executeTool(t, tu)))
			}
			if !a.verbatim {
				conversation = append(conversation, msg)
			}
			conversation = append(conversation, types.Message{Role: types.ConversationRoleUser, Content: toolResults})
		}
	}
	return "抱歉,无法处理您的请求,请联系人工客服", nil
}

func (a *customerServiceAgent) executeTool(t *testing.T, tu types.ToolUseBlock) map[string]any {
	a.executed = append(a.executed, *tu.Name+" "+mustJSON(t, inputOf(t, tu)))
	switch *tu.Name {
	case "QueryKnowledgeBase":
		return map[string]any{"answer": "根据知识库记录,该问题的解决方案是..."}
	case "CreateSupportTicket":
		return map[string]any{"ticket_id": "ST12345", "status": "created"}
	}
	return map[string]any{"error": "unknown tool"}
}

// The seed's customer-service agent loop with two tools and an enum: a
// question goes to the knowledge base; asking for a ticket calls both
// tools, with the customer ID and the priority enum taken from the text;
// the loop ends in text that uses the tools' answers.
func TestSeedCustomerServiceAgent(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	cases := []struct {
		name, query string
		want        []string
		answer      []string
	}{
		{
			name:   "knowledge base",
			query:  "产品无法开机",
			want:   []string{`QueryKnowledgeBase {"query":"产品无法开机"}`},
			answer: []string{"QueryKnowledgeBase returned", "根据知识库记录"},
		},
		{
			name:  "ticket with priority",
			query: "产品无法开机，请创建工单，优先级high",
			want: []string{
				`QueryKnowledgeBase {"query":"产品无法开机，请创建工单，优先级high"}`,
				`CreateSupportTicket {"customer_id":"C001","issue_description":"产品无法开机，请创建工单，优先级high","priority":"high"}`,
			},
			answer: []string{"QueryKnowledgeBase returned", `CreateSupportTicket returned {"status":"created","ticket_id":"ST12345"}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			agent := &customerServiceAgent{client: client}
			answer, err := agent.handleCustomerQuery(t.Context(), t, "C001", tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, agent.executed); diff != "" {
				t.Errorf("tools executed (-want +got):\n%s", diff)
			}
			for _, w := range tc.answer {
				if !strings.Contains(answer, w) {
					t.Errorf("answer lacks %q: %s", w, answer)
				}
			}

			verbatim := &customerServiceAgent{client: client, verbatim: true}
			_, err = verbatim.handleCustomerQuery(t.Context(), t, "C001", tc.query)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "append the assistant message that holds the toolUse blocks") {
				t.Errorf("verbatim loop got %v, want a ValidationException saying how to fix it", err)
			}
		})
	}
}

// Tool calls stream as Bedrock streams them: contentBlockStart with the
// tool's ID and name, input JSON in toolUse deltas, contentBlockStop; the
// concatenated input parses to the same call Converse returns.
func TestSeedStreamedToolUse(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	in := []types.Message{userText("What's the weather like in Tokyo right now?")}
	conv, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet3), Messages: in, ToolConfig: weatherToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	want := toolUses(messageOf(t, conv))
	if len(want) != 1 {
		t.Fatalf("Converse tool calls %+v", want)
	}

	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(sonnet3), Messages: in, ToolConfig: weatherToolConfig()})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var id, name, input, text string
	var stop types.StopReason
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			s := v.Value.Start.(*types.ContentBlockStartMemberToolUse)
			id, name = *s.Value.ToolUseId, *s.Value.Name
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				if v.Value.ContentBlockIndex == nil || *v.Value.ContentBlockIndex != 0 {
					t.Errorf("text delta in block %v, want 0 (before the tool call)", v.Value.ContentBlockIndex)
				}
				text += d.Value
			case *types.ContentBlockDeltaMemberToolUse:
				if v.Value.ContentBlockIndex == nil || *v.Value.ContentBlockIndex != 1 {
					t.Errorf("toolUse delta in block %v, want 1", v.Value.ContentBlockIndex)
				}
				input += *d.Value.Input
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = v.Value.StopReason
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if id != *want[0].ToolUseId || name != "Weather_Tool" || stop != types.StopReasonToolUse {
		t.Errorf("stream: %s %s %s, Converse: %s", id, name, stop, *want[0].ToolUseId)
	}
	if lead := messageOf(t, conv).Content[0].(*types.ContentBlockMemberText).Value; text != lead || text == "" {
		t.Errorf("streamed text %q, Converse content[0].text %q", text, lead)
	}
	if got := mustJSON(t, inputOf(t, want[0])); got != `{"latitude":35.6762,"longitude":139.6503}` || input != got {
		t.Errorf("streamed input %s, Converse input %s", input, got)
	}
}
