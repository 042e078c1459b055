package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/jsonschema-go/jsonschema"
)

// Tool is a function the model may call. Build one with [NewTool].
type Tool struct {
	name, description string
	schema            map[string]any
	resolved          *jsonschema.Resolved
	run               func(ctx context.Context, input []byte) (any, error)
	returnDirect      bool
	err               error
}

// toolName is what Bedrock accepts in toolSpec.name.
var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// NewTool turns a Go function into a tool. The input schema is inferred
// from In (a struct; field descriptions from `jsonschema:"…"` tags,
// optional fields marked `json:",omitempty"`); the model's arguments are
// validated against it before fn runs, and a violation goes back to the
// model as an error result it can correct. Out is sent as JSON (a string
// as text). An error from fn becomes a toolResult with status "error".
//
// A tool that cannot be built (bad name, In not representable as JSON
// Schema) carries its error; New and Call report it.
func NewTool[In, Out any](name, description string, fn func(context.Context, In) (Out, error)) Tool {
	t := Tool{name: name, description: description}
	if !toolName.MatchString(name) {
		t.err = fmt.Errorf("chat: tool name %q: want 1-64 letters, digits, _ or -", name)
		return t
	}
	s, err := jsonschema.For[In](nil)
	if err != nil {
		t.err = fmt.Errorf("chat: tool %q input schema: %w", name, err)
		return t
	}
	if s.Type != "object" {
		t.err = fmt.Errorf("chat: tool %q: input must be a struct or map (JSON object), got %q", name, s.Type)
		return t
	}
	if t.resolved, err = s.Resolve(nil); err != nil {
		t.err = fmt.Errorf("chat: tool %q input schema: %w", name, err)
		return t
	}
	raw, err := json.Marshal(s)
	if err == nil {
		err = json.Unmarshal(raw, &t.schema)
	}
	if err != nil {
		t.err = fmt.Errorf("chat: tool %q input schema: %w", name, err)
		return t
	}
	t.run = func(ctx context.Context, input []byte) (any, error) {
		var in In
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, &argumentError{fmt.Errorf("decode arguments: %w", err)}
		}
		return fn(ctx, in)
	}
	return t
}

// Name is the tool's name.
func (t Tool) Name() string { return t.name }

// Err reports why the tool could not be built, if it could not.
func (t Tool) Err() error { return t.err }

// Schema returns the inferred input schema as sent to the model.
func (t Tool) Schema() map[string]any { return t.schema }

// ReturnDirect returns a copy of the tool whose result ends the call: when
// every tool the model calls in a turn returns directly, their results are
// the response text and the model is not asked again.
func (t Tool) ReturnDirect() Tool {
	t.returnDirect = true
	return t
}

func (t Tool) spec() types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        &t.name,
		Description: &t.description,
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(t.schema)},
	}}
}

type argumentError struct{ err error }

func (e *argumentError) Error() string { return "invalid arguments: " + e.err.Error() }
func (e *argumentError) Unwrap() error { return e.err }

// ToolCall is one call the model asked for, with its assembled JSON input.
type ToolCall struct {
	ID, Name string
	Input    json.RawMessage
}

// ToolResult is what a tool call produced.
type ToolResult struct {
	Call ToolCall
	// Output is the tool's value (nil on error).
	Output any
	// Err is the tool's error, or why it was not run (unknown tool,
	// invalid arguments).
	Err error
	// Direct reports a ReturnDirect tool.
	Direct bool
}

// ToolRoundsError reports a tool loop that did not finish within
// Options.MaxToolRounds model turns.
type ToolRoundsError struct {
	Rounds int
	// Last is the model's last answer, still asking for tools.
	Last *Response
}

// Error implements error.
func (e *ToolRoundsError) Error() string {
	return fmt.Sprintf("chat: the model still asked for tools after %d rounds (Options.MaxToolRounds)", e.Rounds)
}

// runTools runs one turn's calls in parallel and returns the results in the
// calls' order.
func runTools(ctx context.Context, tools map[string]Tool, calls []ToolCall) []ToolResult {
	out := make([]ToolResult, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		out[i].Call = call
		t, ok := tools[call.Name]
		if !ok {
			out[i].Err = fmt.Errorf("unknown tool %q", call.Name)
			continue
		}
		out[i].Direct = t.returnDirect
		wg.Go(func() {
			out[i].Output, out[i].Err = t.call(ctx, call.Input)
		})
	}
	wg.Wait()
	return out
}

func (t Tool) call(ctx context.Context, input json.RawMessage) (out any, err error) {
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	var v any
	if err := json.Unmarshal(input, &v); err != nil {
		return nil, &argumentError{err}
	}
	if err := t.resolved.Validate(v); err != nil {
		return nil, &argumentError{err}
	}
	defer func() {
		// A panicking tool must not take the caller's process down.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("tool %q panicked: %v", t.name, r)
		}
	}()
	return t.run(ctx, input)
}

// block turns a result into a toolResult content block.
func (r ToolResult) block() (types.ContentBlock, error) {
	res := types.ToolResultBlock{ToolUseId: &r.Call.ID, Status: types.ToolResultStatusSuccess}
	switch {
	case r.Err != nil:
		res.Status = types.ToolResultStatusError
		res.Content = []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: r.Err.Error()}}
	default:
		c, err := resultContent(r.Output)
		if err != nil {
			return nil, fmt.Errorf("tool %q result: %w", r.Call.Name, err)
		}
		res.Content = []types.ToolResultContentBlock{c}
	}
	return &types.ContentBlockMemberToolResult{Value: res}, nil
}

func resultContent(v any) (types.ToolResultContentBlock, error) {
	if s, ok := v.(string); ok {
		return &types.ToolResultContentBlockMemberText{Value: s}, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		return &types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(obj)}, nil
	}
	return &types.ToolResultContentBlockMemberText{Value: string(raw)}, nil
}

// directText is the response text of a ReturnDirect turn.
func directText(results []ToolResult) string {
	var s string
	for i, r := range results {
		if i > 0 {
			s += "\n"
		}
		if str, ok := r.Output.(string); ok {
			s += str
			continue
		}
		raw, _ := json.Marshal(r.Output)
		s += string(raw)
	}
	return s
}

func allDirect(results []ToolResult) bool {
	for _, r := range results {
		if !r.Direct || r.Err != nil {
			return false
		}
	}
	return len(results) > 0
}

// toolCalls extracts the toolUse blocks of an assistant message.
func toolCalls(m types.Message) ([]ToolCall, error) {
	var calls []ToolCall
	for _, c := range m.Content {
		tu, ok := c.(*types.ContentBlockMemberToolUse)
		if !ok {
			continue
		}
		call := ToolCall{ID: deref(tu.Value.ToolUseId), Name: deref(tu.Value.Name), Input: json.RawMessage("{}")}
		if tu.Value.Input != nil {
			raw, err := tu.Value.Input.MarshalSmithyDocument()
			if err != nil {
				return nil, fmt.Errorf("tool %q input: %w", call.Name, err)
			}
			if len(raw) > 0 && string(raw) != "null" {
				call.Input = raw
			}
		}
		calls = append(calls, call)
	}
	return calls, nil
}

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}
