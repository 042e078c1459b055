package builtin

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// structuredAnswer is the built-in model's answer to a request with
// outputConfig.textFormat (structured output): a JSON document valid
// against the caller's schema, its values picked from the question as for
// tool inputs. ok is false when the request asks for no structure.
func structuredAnswer(req *wire.ConverseRequest) (text string, ok bool, err error) {
	oc := req.OutputConfig
	if oc == nil || oc.TextFormat == nil || oc.TextFormat.Structure == nil || oc.TextFormat.Structure.JSONSchema == nil {
		return "", false, nil
	}
	const field = "outputConfig.textFormat.structure.jsonSchema.schema"
	raw := []byte(oc.TextFormat.Structure.JSONSchema.Schema)
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil || schema == nil {
		return "", false, wire.Errorf(wire.ValidationException, "%s is not a JSON Schema: it must be a JSON object written as a string. Fix the schema and try again.", field)
	}
	d, err := compileSchema(raw)
	if d.resolved == nil {
		return "", false, wire.Errorf(wire.ValidationException, "%s is not a JSON Schema the model can follow (%v). Fix the schema and try again.", field, err)
	}
	question := questionOf(req.Messages)
	candidate := fillSchema(schema, &filler{text: question, numbers: numbersIn(question)})
	out, err := d.conform(candidate)
	if err != nil {
		return "", false, wire.Errorf(wire.ValidationException, "%s cannot be satisfied: no JSON value is valid against it (%v). Fix the schema and try again.", field, err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", false, wire.Errorf(wire.ValidationException, "%s: the answer could not be encoded: %v", field, err)
	}
	return string(b), true, nil
}

// promptAnswer answers a Prompt-management prompt ARN with its
// promptVariables: the built-in model has no prompt store, so it answers
// from the variables it was given, each by name, rather than ignore them.
func promptAnswer(req *wire.ConverseRequest) (string, bool) {
	if len(req.PromptVariables) == 0 {
		return "", false
	}
	names := make([]string, 0, len(req.PromptVariables))
	for k := range req.PromptVariables {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, k+" = "+wire.Val(req.PromptVariables[k].Text))
	}
	return "Prompt " + req.ModelID + " with " + strings.Join(parts, ", ") + ".", true
}
