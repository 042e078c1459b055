package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/jsonschema-go/jsonschema"
)

// Entity sends the prompt with Bedrock's structured output: the JSON
// Schema of T (inferred as for [NewTool]: field descriptions from
// `jsonschema:"…"` tags, optional fields `json:",omitempty"`) goes in
// outputConfig, and the answer's text is checked against it and decoded
// into T, as Spring AI's entity(Class). Tools run as in Call first.
//
// An answer that is not JSON valid for T (a model without structured
// output, a blocked or truncated answer) is an [*EntityError]; the
// Response is returned beside it.
func Entity[T any](ctx context.Context, p Prompt) (T, *Response, error) {
	var zero T
	format, resolved, err := outputFor[T]()
	if err != nil {
		return zero, nil, err
	}
	resp, err := p.Options(Options{Output: format}).Call(ctx)
	if err != nil {
		return zero, resp, err
	}
	v, err := decodeEntity[T](resp, resolved)
	return v, resp, err
}

// EntityError reports an answer that is not a JSON value valid for the
// type [Entity] asked for.
type EntityError struct {
	// Type is the Go type asked for.
	Type string
	// Text is the answer's text; StopReason why it ended (a
	// guardrail_intervened or max_tokens answer is rarely the document).
	Text       string
	StopReason types.StopReason
	Err        error
}

func (e *EntityError) Error() string {
	text := e.Text
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Sprintf("chat: the answer is not JSON for %s (stop reason %s): %v; text %q", e.Type, e.StopReason, e.Err, text)
}

func (e *EntityError) Unwrap() error { return e.Err }

// schemaName is what JsonSchemaDefinition.name may hold (the shape of a
// tool name, which every provider accepts).
var schemaName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// outputFor infers T's schema and the output format that carries it.
func outputFor[T any]() (*OutputFormat, *jsonschema.Resolved, error) {
	typ := reflect.TypeFor[T]()
	s, err := jsonschema.For[T](nil)
	if err != nil {
		return nil, nil, fmt.Errorf("chat: output schema of %s: %w", typ, err)
	}
	resolved, err := s.Resolve(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("chat: output schema of %s: %w", typ, err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, nil, fmt.Errorf("chat: output schema of %s: %w", typ, err)
	}
	name := schemaName.ReplaceAllString(typ.Name(), "_")
	if len(name) > 64 {
		name = name[:64]
	}
	return &OutputFormat{Name: name, Schema: raw}, resolved, nil
}

func decodeEntity[T any](resp *Response, resolved *jsonschema.Resolved) (T, error) {
	var out T
	fail := func(err error) (T, error) {
		return out, &EntityError{Type: reflect.TypeFor[T]().String(), Text: resp.Text, StopReason: resp.StopReason, Err: err}
	}
	text := stripFence(resp.Text)
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return fail(err)
	}
	if err := resolved.Validate(v); err != nil {
		return fail(err)
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return fail(err)
	}
	return out, nil
}

// stripFence removes a Markdown code fence around the JSON, which models
// without structured output tend to add.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") || !strings.HasSuffix(s, "```") || len(s) < 6 {
		return s
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "```"), "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 && !strings.ContainsAny(s[:i], "{[\"") {
		s = s[i+1:] // the info string, e.g. "json"
	}
	return strings.TrimSpace(s)
}

// check reports an output format Bedrock would refuse, before anything is
// sent.
func (f *OutputFormat) check() error {
	if f == nil {
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(f.Schema, &obj); err != nil || obj == nil {
		return fmt.Errorf("chat: Options.Output.Schema must be a JSON Schema object")
	}
	return nil
}

func (f *OutputFormat) config() *types.OutputConfig {
	if f == nil {
		return nil
	}
	def := types.JsonSchemaDefinition{Schema: aws.String(string(f.Schema))}
	if f.Name != "" {
		def.Name = aws.String(f.Name)
	}
	if f.Description != "" {
		def.Description = aws.String(f.Description)
	}
	return &types.OutputConfig{TextFormat: &types.OutputFormat{
		Type:      types.OutputFormatTypeJsonSchema,
		Structure: &types.OutputFormatStructureMemberJsonSchema{Value: def},
	}}
}
