package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Rules on where content blocks may stand and on the request members the
// API model types loosely (documents, pointer strings). Sources as in
// validate_rules.go: [M] the API model and its documentation, [Obs] a
// public report of the real service's answer; "ours" where no real
// wording was found (testdata/known-messages.md).

// blockPlacement checks each message's tool blocks: toolUse blocks come
// from the model, so they stand only in assistant messages; toolResult
// blocks answer them, so they stand only in user messages — except a
// server-side tool's result (toolResult.type set, e.g. Nova's code
// interpreter), which the model itself returns beside its toolUse. Within
// one assistant message every toolUseId is distinct, and a toolUse input
// is a JSON object.
func blockPlacement(msgs []Message) error {
	for i, m := range msgs {
		seen := map[string]int{}
		for j, b := range m.Content {
			path := fmt.Sprintf("messages.%d.content.%d", i, j)
			if b.ToolUse != nil {
				// [M] ToolUseBlock: "A tool use content block. Contains
				// information about a tool that the model is requesting be
				// run." The built-in model answered a user-side toolUse with
				// another tool call (issue 16); Bedrock refuses it.
				if m.Role != ConversationRoleAssistant {
					return invalid("%s holds a toolUse block in a message with the role %s. toolUse blocks are the model's tool requests and belong in assistant messages; send the outcome of a tool as a toolResult block in a user message.", path, m.Role)
				}
				if k, dup := seen[b.ToolUse.ToolUseID]; dup {
					return invalid("The toolUse blocks in messages.%d contain duplicate Ids: messages.%d.content.%d and %s both have the toolUseId %q. Give each toolUse block its own toolUseId.", i, i, k, path, b.ToolUse.ToolUseID)
				}
				seen[b.ToolUse.ToolUseID] = j
				if in := b.ToolUse.Input; in != nil && schemaKind(in) != "object" {
					// Same wording as the other document members that must
					// be objects (aws/aws-sdk-js-v3 #7330, aws-sdk-net #3377).
					return invalid(msgJSONObject, path+".toolUse.input")
				}
			}
			if b.ToolResult != nil && m.Role != ConversationRoleUser && b.ToolResult.Type == "" {
				// [M] ToolResultBlock: "The result for a tool request that
				// a model makes" — the caller's answer, a user turn.
				return invalid("%s holds a toolResult block in a message with the role %s. toolResult blocks answer the model's toolUse blocks and belong in the user message that follows them.", path, m.Role)
			}
		}
	}
	return nil
}

// uniqueToolNames: the model picks a tool by name, so two tools of one
// toolConfig may not share it. [Obs] Anthropic's answer, which Bedrock
// passes through for Claude: "tools: Tool names must be unique."
// (tailcallhq/forgecode #892, ding113/claude-code-hub #367).
func uniqueToolNames(tc *ToolConfiguration) error {
	if tc == nil {
		return nil
	}
	first := map[string]int{}
	for i, t := range tc.Tools {
		var name string
		switch {
		case t.ToolSpec != nil:
			name = t.ToolSpec.Name
		case t.SystemTool != nil:
			name = t.SystemTool.Name
		default:
			continue
		}
		if k, dup := first[name]; dup {
			return invalid("The model returned the following errors: tools: Tool names must be unique. (toolConfig.tools.%d and toolConfig.tools.%d are both named %q; rename one of them.)", k, i, name)
		}
		first[name] = i
	}
	return nil
}

// requestDocuments checks the request members that carry free-form JSON
// or JSON Pointers.
func requestDocuments(req *ConverseRequest) error {
	// [M] "Additional inference parameters that the model supports, beyond
	// the base set of inference parameters" — a JSON object of parameters.
	if f := req.AdditionalModelRequestFields; f != nil && !isJSONNull(f) && schemaKind(f) != "object" {
		return invalid(msgJSONObject, "additionalModelRequestFields")
	}
	// [M] additionalModelResponseFieldPaths: "Additional model parameters
	// field paths to return in the response … as a JSON Pointer object";
	// digest §3.1: a malformed pointer is a 400.
	for i, p := range req.AdditionalModelResponseFieldPaths {
		if err := jsonPointer(p); err != "" {
			return invalid("additionalModelResponseFieldPaths.%d (%q) is not a JSON Pointer: %s. Write each path as a JSON Pointer into the model's response, for example \"/stop_sequence\".", i, shorten(p), err)
		}
	}
	return nil
}

func isJSONNull(raw []byte) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// jsonPointer says what is wrong with p as an RFC 6901 pointer to a member
// ("" when nothing is): it starts with "/", and "~" is only ever the start
// of "~0" or "~1".
func jsonPointer(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "it must start with /"
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return "~ must be followed by 0 or 1 (~0 is ~, ~1 is /)"
		}
	}
	return ""
}

// topLevelMembers are the JSON member names of ConverseRequest's body.
var topLevelMembers = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeFor[ConverseRequest]()
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "-" && name != "" {
			out[name] = true
		}
	}
	return out
})

// unknownMembers refuses a Converse body member the API model does not
// define. Decision (docs/fields.md): a member converse does not know is a
// member it cannot honour, so it is refused rather than silently dropped;
// the type-coverage test keeps ConverseRequest equal to the model, so
// every member Bedrock defines is known. Nested structures stay lenient,
// as the SDKs are with unknown keys.
func unknownMembers(body []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil // decoding reports it
	}
	known := topLevelMembers()
	var unknown []string
	for k := range top {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sortStrings(unknown)
	return invalid("The request body has members the Converse API does not define: %s. Remove them and try again (the API model's ConverseRequest lists every member).", strings.Join(quoteAll(unknown), ", "))
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", shorten(v))
	}
	return out
}
