package server_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// Model IDs the seeds use.
const (
	sonnet3 = "anthropic.claude-3-sonnet-20240229-v1:0"
	opus3   = "anthropic.claude-3-opus-20240229-v1:0"
)

// startScripted runs a converse server whose built-in model follows a
// script (YAML, as `converse serve --script FILE` reads it).
func startScripted(t *testing.T, script string) string {
	t.Helper()
	s, err := builtin.ParseScript([]byte(script))
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, servertest.Options{Builtin: builtin.Options{Script: s}})
}

// catalogReasoning is the capability lookup `converse serve` gives the
// built-in model.
func catalogReasoning() func(string) bool {
	cat := catalog.New()
	return func(id string) bool {
		m, ok := cat.Lookup(id)
		return ok && m.Reasoning
	}
}

// tool builds a toolSpec the way the seeds write them: a name, a
// description and a JSON schema.
func tool(name, description string, schema map[string]any) types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        &name,
		Description: &description,
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
	}}
}

// messageOf returns the assistant message of a Converse answer.
func messageOf(t *testing.T, out *bedrockruntime.ConverseOutput) types.Message {
	t.Helper()
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("output is %T, want a message", out.Output)
	}
	return msg.Value
}

// toolUses lists the toolUse blocks of a message.
func toolUses(m types.Message) []types.ToolUseBlock {
	var out []types.ToolUseBlock
	for _, c := range m.Content {
		if tu, ok := c.(*types.ContentBlockMemberToolUse); ok {
			out = append(out, tu.Value)
		}
	}
	return out
}

// inputOf decodes a tool call's input.
func inputOf(t *testing.T, tu types.ToolUseBlock) map[string]any {
	t.Helper()
	b, err := tu.Input.MarshalSmithyDocument()
	if err != nil {
		t.Fatalf("tool %s input: %v", *tu.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("tool %s input: %v", *tu.Name, err)
	}
	return m
}

// jsonResult is a toolResult block carrying JSON, as the seeds send them.
func jsonResult(id string, v any) types.ContentBlock {
	return &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
		ToolUseId: &id,
		Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(v)}},
	}}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sdktestClient is an official SDK client with the given retry attempts.
func sdktestClient(t *testing.T, endpoint string, attempts int) *bedrockruntime.Client {
	t.Helper()
	return sdktest.Client(t, endpoint, sdktest.Options{MaxAttempts: attempts})
}
