package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Semantic rules of Bedrock Runtime that the API model does not express.
// Each rule names its source; where the real service's wording is known it
// is used verbatim (testdata/known-messages.md lists them), elsewhere the
// message names the field path (0-based, without Coral's ".member", as the
// service's own semantic messages do) and says how to fix the request.

// Limits from the API model's documentation of Message.content and
// DocumentBlock (digest §11.1).
const (
	MaxImages        = 20
	MaxImageBytes    = 3_932_160 // 3.75 MB
	MaxImagePixels   = 8000      // per side
	MaxDocuments     = 5
	MaxDocumentBytes = 4_718_592 // 4.5 MB
	MaxCachePoints   = 4         // digest §11.2
)

// Known real messages (sources in testdata/known-messages.md).
const (
	msgStartWithUser = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	msgAlternate     = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
	msgToolConfig    = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	msgDocNeedsText  = "A text block must be included when using documents."
	msgDocName       = "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request."
	msgDocDuplicate  = "Messages can't contain duplicate document names. Rename the document and retry your request."
	// %s is the 0-based path of a Document member that is not a JSON object.
	msgJSONObject = "The format of the value at %s is invalid. Provide a json object for the field and try again."
)

func invalid(format string, args ...any) error {
	return Errorf(ValidationException, format, args...)
}

func converseRules(req *ConverseRequest, stream bool) error {
	// GuardrailConfiguration (Converse) has no streamProcessingMode; only
	// GuardrailStreamConfiguration (ConverseStream) does [M].
	if !stream && req.GuardrailConfig != nil && req.GuardrailConfig.StreamProcessingMode != "" {
		return invalid("guardrailConfig.streamProcessingMode is only valid on ConverseStream. Remove it from the Converse request, or call ConverseStream.")
	}
	// guardContent marks what a guardrail assesses [Doc "Include a
	// guardrail with the Converse API"]; without guardrailConfig there is
	// no guardrail, and a caller who expects one must not get an unguarded
	// answer silently.
	if req.GuardrailConfig == nil {
		if at := firstGuardContent(req); at != "" {
			return invalid("%s is a guardContent block, but the request has no guardrailConfig. Add guardrailConfig with the guardrailIdentifier and guardrailVersion to apply, or send the content as a text block.", at)
		}
	}
	if err := requestDocuments(req); err != nil {
		return err
	}
	if isPromptARN(req.ModelID) {
		// [M] Converse docs: with a Prompt-management prompt these fields
		// come from the prompt and must not be sent.
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"additionalModelRequestFields", len(req.AdditionalModelRequestFields) > 0},
			{"inferenceConfig", req.InferenceConfig != nil},
			{"system", req.System != nil},
			{"toolConfig", req.ToolConfig != nil},
		} {
			if f.set {
				return invalid("The %s field can't be used with a prompt from Prompt management: the prompt defines it. Remove %s and try again.", f.name, f.name)
			}
		}
		if len(req.Messages) == 0 {
			return nil
		}
	} else if len(req.PromptVariables) > 0 {
		// [M] promptVariables only apply to a prompt ARN modelId.
		return invalid("promptVariables can only be used when modelId is the ARN of a prompt from Prompt management.")
	}
	return conversation(req.Messages, req.System, req.ToolConfig)
}

func countTokensRules(req *CountTokensRequest) error {
	if req.Input == nil || req.Input.Converse == nil {
		return nil
	}
	c := req.Input.Converse
	return conversation(c.Messages, c.System, c.ToolConfig)
}

func isPromptARN(id string) bool {
	return strings.HasPrefix(id, "arn:") && strings.Contains(id, ":prompt/")
}

// conversation applies the rules on the message list, in the order below.
func conversation(msgs []Message, system []SystemContentBlock, tc *ToolConfiguration) error {
	// [Obs] An empty conversation is refused like one starting with the
	// assistant (weak: the exact message for [] was not found).
	if len(msgs) == 0 {
		return invalid(msgStartWithUser)
	}
	for i, m := range msgs {
		// [Obs] pi #3443, llmgateway #3127, DayuanJiang/next-ai-draw-io #31.
		if len(m.Content) == 0 {
			return invalid("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		// [Obs] aws-amplify/amplify-backend #2977, langchain-aws #403 (AWS CLI
		// repro: "\n\n" is blank too). Text inside toolResult may be empty.
		for j, b := range m.Content {
			if b.Text != nil && strings.TrimSpace(*b.Text) == "" {
				return invalid("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
			}
		}
	}
	if err := roles(msgs); err != nil {
		return err
	}
	if err := blockPlacement(msgs); err != nil {
		return err
	}
	if err := toolSchemas(tc); err != nil {
		return err
	}
	if err := toolResultJSON(msgs); err != nil {
		return err
	}
	if err := tools(msgs, tc); err != nil {
		return err
	}
	if err := media(msgs); err != nil {
		return err
	}
	if err := cachePoints(msgs, system, tc); err != nil {
		return err
	}
	// The model's own check, so after the service's.
	return uniqueToolNames(tc)
}

func hasBlock(m Message, pred func(ContentBlock) bool) bool {
	for _, b := range m.Content {
		if pred(b) {
			return true
		}
	}
	return false
}

func isToolResult(b ContentBlock) bool { return b.ToolResult != nil }
func isToolUse(b ContentBlock) bool    { return b.ToolUse != nil }

// roles: the first turn is the user's and turns alternate. system-role
// messages (added 2026, Go SDK CHANGELOG v1.53.0) sit outside the
// alternation.
func roles(msgs []Message) error {
	prev := -1
	for i, m := range msgs {
		if m.Role == ConversationRoleSystem {
			continue
		}
		if prev < 0 {
			// [Obs] elastic/kibana #246393, quarkus-langchain4j #1764.
			if m.Role != ConversationRoleUser {
				return invalid(msgStartWithUser)
			}
			prev = i
			continue
		}
		if m.Role == msgs[prev].Role {
			// [Obs] langchain-aws #130, Portkey gateway #748, cline #431.
			if m.Role == ConversationRoleUser && hasBlock(m, isToolResult) && !hasBlock(msgs[prev], isToolUse) {
				// The common mistake (one seed example makes it): the
				// assistant turn holding the toolUse blocks was never
				// appended, so the toolResult turn follows a user turn.
				return invalid("%s messages.%d holds toolResult blocks but follows another user message: append the assistant message that holds the toolUse blocks (the response's output.message) to the conversation before the toolResult turn.", msgAlternate, i)
			}
			return invalid("%s messages.%d and messages.%d both have the role %s; merge them into one message.", msgAlternate, prev, i, m.Role)
		}
		prev = i
	}
	return nil
}

func tools(msgs []Message, tc *ToolConfiguration) error {
	uses := false
	for _, m := range msgs {
		if hasBlock(m, func(b ContentBlock) bool { return b.ToolUse != nil || b.ToolResult != nil }) {
			uses = true
			break
		}
	}
	// [Obs] langgenius/dify #17545, vxcontrol/pentagi #196.
	if uses && tc == nil {
		return invalid(msgToolConfig)
	}
	if tc != nil && tc.ToolChoice != nil && tc.ToolChoice.Tool != nil {
		name := tc.ToolChoice.Tool.Name
		found := false
		for _, t := range tc.Tools {
			if t.ToolSpec != nil && t.ToolSpec.Name == name || t.SystemTool != nil && t.SystemTool.Name == name {
				found = true
			}
		}
		// [M] SpecificToolChoice: "The name of the tool that the model must request."
		if !found {
			return invalid("toolConfig.toolChoice.tool.name %q does not name a tool in toolConfig.tools. Use the name of one of the tools you define.", name)
		}
	}
	for i, m := range msgs {
		if m.Role != ConversationRoleUser {
			continue
		}
		var results []string
		for _, b := range m.Content {
			if b.ToolResult != nil {
				results = append(results, b.ToolResult.ToolUseID)
			}
		}
		var used []string
		if i > 0 && msgs[i-1].Role == ConversationRoleAssistant {
			for _, b := range msgs[i-1].Content {
				if b.ToolUse != nil {
					used = append(used, b.ToolUse.ToolUseID)
				}
			}
		}
		// [Obs] Just-Curieous/Curie #16, pydantic-ai #2327, strands harness-sdk #1435.
		if len(results) > len(used) {
			return invalid("The number of toolResult blocks at messages.%d.content exceeds the number of toolUse blocks of previous turn.", i)
		}
		for _, id := range results {
			if !contains(used, id) {
				return invalid("messages.%d.content holds a toolResult for toolUseId %q, but messages.%d has no toolUse block with that ID. Each toolResult must answer a toolUse of the assistant message just before it.", i, id, i-1)
			}
		}
	}
	// Every toolUse of an assistant turn is answered in the next user turn
	// [Obs] Anthropic's rule surfaced through Bedrock ("tool_use ids were
	// found without tool_result blocks immediately after"); weak for other
	// model families. A final assistant turn (prefill, or the reply being
	// continued) has nothing to answer yet.
	for i := 0; i+1 < len(msgs); i++ {
		if msgs[i].Role != ConversationRoleAssistant {
			continue
		}
		next := msgs[i+1]
		for _, b := range msgs[i].Content {
			if b.ToolUse == nil {
				continue
			}
			answered := false
			for _, nb := range next.Content {
				if nb.ToolResult != nil && nb.ToolResult.ToolUseID == b.ToolUse.ToolUseID {
					answered = true
				}
			}
			if !answered {
				return invalid("messages.%d holds a toolUse block with toolUseId %q that messages.%d does not answer. Add a toolResult block with that toolUseId to the user message that follows.", i, b.ToolUse.ToolUseID, i+1)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func media(msgs []Message) error {
	images, docs := 0, 0
	names := map[string]string{}
	countImage := func(img *ImageBlock, path string) error {
		images++
		if images > MaxImages {
			return invalid("Too many images: %s is image number %d; a request can hold at most %d images. Remove images and try again.", path, images, MaxImages)
		}
		if img.Source != nil && len(img.Source.Bytes) > MaxImageBytes {
			return invalid("The image at %s is %d bytes; an image can be at most 3.75 MB (%d bytes). Resize or compress it and try again.", path, len(img.Source.Bytes), MaxImageBytes)
		}
		return nil
	}
	countDoc := func(d *DocumentBlock, path string) error {
		docs++
		if docs > MaxDocuments {
			return invalid("Too many documents: %s is document number %d; a request can hold at most %d documents. Remove documents and try again.", path, docs, MaxDocuments)
		}
		if d.Source != nil && len(d.Source.Bytes) > MaxDocumentBytes {
			return invalid("The document at %s is %d bytes; a document can be at most 4.5 MB (%d bytes). Split it and try again.", path, len(d.Source.Bytes), MaxDocumentBytes)
		}
		if !ValidDocumentName(d.Name) {
			return invalid("%s (%s.name: %q)", msgDocName, path, d.Name)
		}
		// [Obs] maximhq/bifrost #7003.
		if prev, ok := names[d.Name]; ok {
			return invalid("%s (%s.name and %s.name are both %q)", msgDocDuplicate, prev, path, d.Name)
		}
		names[d.Name] = path
		return nil
	}
	for i, m := range msgs {
		hasText := false
		for _, b := range m.Content {
			if b.Text != nil {
				hasText = true
			}
		}
		for j, b := range m.Content {
			path := fmt.Sprintf("messages.%d.content.%d", i, j)
			// [M] Message.content documentation: images and documents only
			// in user messages (written before the system role existed).
			if m.Role != ConversationRoleUser {
				kind := ""
				switch {
				case b.Image != nil:
					kind = "image"
				case b.Document != nil:
					kind = "document"
				case b.Video != nil:
					kind = "video"
				}
				if kind != "" {
					return invalid("%s holds a %s block in a message with the role %s; %s blocks are only allowed in user messages. Move it to a user message.", path, kind, m.Role, kind)
				}
			}
			if b.Image != nil {
				if err := countImage(b.Image, path+".image"); err != nil {
					return err
				}
			}
			if b.Document != nil {
				// [M] Message.content documentation; real wording from
				// archestra-ai/archestra #4220.
				if !hasText {
					return invalid("%s (%s holds a document; add a text block with your question to messages.%d.content.)", msgDocNeedsText, path, i)
				}
				if err := countDoc(b.Document, path+".document"); err != nil {
					return err
				}
			}
			if b.ToolResult != nil {
				for k, rb := range b.ToolResult.Content {
					rpath := fmt.Sprintf("%s.toolResult.content.%d", path, k)
					if rb.Image != nil {
						if err := countImage(rb.Image, rpath+".image"); err != nil {
							return err
						}
					}
					if rb.Document != nil {
						if err := countDoc(rb.Document, rpath+".document"); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// ValidDocumentName reports whether name follows DocumentBlock.name's
// documented character rules [M]: ASCII letters and digits, single spaces,
// hyphens, parentheses and square brackets — plus underscores, which the
// real service accepts although the documentation omits them (live probes in
// vercel/ai #20366 and strands-agents/harness-sdk #3019). Non-ASCII letters,
// tabs, full-width spaces (U+3000), dots and two spaces in a row are
// rejected (vercel/ai #20365, opencode #19964).
func ValidDocumentName(name string) bool {
	prevSpace := false
	for _, r := range name {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '(', r == ')', r == '[', r == ']', r == '_':
		default:
			return false
		}
		prevSpace = false
	}
	return true
}

// cachePoints: at most four checkpoints across tools, system and messages,
// and 1-hour entries before 5-minute ones (digest §11.2).
func cachePoints(msgs []Message, system []SystemContentBlock, tc *ToolConfiguration) error {
	type cp struct {
		path string
		ttl  CacheTTL
	}
	var all []cp // in prefix order: tools, system, messages
	if tc != nil {
		for i, t := range tc.Tools {
			if t.CachePoint != nil {
				all = append(all, cp{fmt.Sprintf("toolConfig.tools.%d.cachePoint", i), t.CachePoint.TTL})
			}
		}
	}
	for i, s := range system {
		if s.CachePoint != nil {
			all = append(all, cp{fmt.Sprintf("system.%d.cachePoint", i), s.CachePoint.TTL})
		}
	}
	for i, m := range msgs {
		for j, b := range m.Content {
			if b.CachePoint != nil {
				all = append(all, cp{fmt.Sprintf("messages.%d.content.%d.cachePoint", i, j), b.CachePoint.TTL})
			}
		}
	}
	if len(all) > MaxCachePoints {
		return invalid("A request can hold at most %d cachePoint blocks (toolConfig.tools, system and messages together); found %d. Remove %s and any later cachePoint blocks, and try again.", MaxCachePoints, len(all), all[MaxCachePoints].path)
	}
	seen5m := ""
	for _, c := range all {
		switch c.ttl {
		case CacheTTL5m, "":
			if seen5m == "" {
				seen5m = c.path
			}
		case CacheTTL1h:
			if seen5m != "" {
				return invalid("%s has ttl 1h but comes after %s, which has a 5-minute ttl; cache checkpoints with a 1-hour ttl must come before those with a 5-minute ttl.", c.path, seen5m)
			}
		}
	}
	return nil
}

// schemaKind names the JSON type of a raw value as networknt's
// json-schema-validator does in "null found, object expected".
func schemaKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "number"
	}
	return "integer"
}

// toolSchemas checks each toolSpec.inputSchema.json the way the service
// does before any model sees it, in this order:
//
//  1. it is a JSON object — aws/aws-sdk-net #3377 (the .NET SDK sent the
//     schema as a string): "The format of the value at
//     toolConfig.tools.0.toolSpec.inputSchema.json is invalid. Provide a json
//     object for the field and try again.";
//  2. its top-level type is "object" — ToolInputSchema documentation ("The
//     top level schema type must be object") and the message for a missing
//     type (earendil-works/pi #8279, code-yeongyu/senpi #1947 for a root
//     anyOf without type, mastra-ai/mastra #5935);
//  3. the keywords the JSON Schema meta-schema types as object/array have
//     that type — networknt-style findings: "$.properties: null found, object
//     expected" (aws/aws-sdk-net #3731), "$.properties: array found, object
//     expected" (aws/aws-sdk-php #2962, PHP's [] for an empty map). The
//     "required" finding has the same form by analogy (not observed).
//
// Which of 2 and 3 the service checks first is not observed.
func toolSchemas(tc *ToolConfiguration) error {
	if tc == nil {
		return nil
	}
	for i, t := range tc.Tools {
		if t.ToolSpec == nil || t.ToolSpec.InputSchema == nil || t.ToolSpec.InputSchema.JSON == nil {
			continue
		}
		raw := t.ToolSpec.InputSchema.JSON
		if schemaKind(raw) != "object" {
			return invalid(msgJSONObject, fmt.Sprintf("toolConfig.tools.%d.toolSpec.inputSchema.json", i))
		}
		var schema map[string]json.RawMessage
		if err := json.Unmarshal(raw, &schema); err != nil {
			return invalid(msgJSONObject, fmt.Sprintf("toolConfig.tools.%d.toolSpec.inputSchema.json", i))
		}
		if typ, ok := schema["type"]; !ok || !bytes.Equal(bytes.TrimSpace(typ), []byte(`"object"`)) {
			return invalid("The value at toolConfig.tools.%d.toolSpec.inputSchema.json.type must be one of the following: object.", i)
		}
		var findings []string
		for _, k := range []struct{ key, want string }{{"properties", "object"}, {"required", "array"}} {
			if v, ok := schema[k.key]; ok {
				if got := schemaKind(v); got != k.want {
					findings = append(findings, fmt.Sprintf("$.%s: %s found, %s expected", k.key, got, k.want))
				}
			}
		}
		if len(findings) > 0 {
			return invalid("The json schema definition at toolConfig.tools.%d.toolSpec.inputSchema is invalid. Fix the following errors and try again: %s", i, strings.Join(findings, ", "))
		}
	}
	return nil
}

// toolResultJSON: a toolResult's json content must be a JSON object
// (aws/aws-sdk-js-v3 #7330: [], "foo", 123, true and null all get "The
// format of the value at messages.3.content.0.toolResult.content.0.json is
// invalid. Provide a json object for the field and try again.").
func toolResultJSON(msgs []Message) error {
	for i, m := range msgs {
		for j, b := range m.Content {
			if b.ToolResult == nil {
				continue
			}
			for k, rb := range b.ToolResult.Content {
				if rb.JSON != nil && schemaKind(rb.JSON) != "object" {
					return invalid(msgJSONObject, fmt.Sprintf("messages.%d.content.%d.toolResult.content.%d.json", i, j, k))
				}
			}
		}
	}
	return nil
}

// firstGuardContent returns the 0-based path of the first guardContent
// block of the request, or "".
func firstGuardContent(req *ConverseRequest) string {
	for i, b := range req.System {
		if b.GuardContent != nil {
			return fmt.Sprintf("system.%d", i)
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			if b.GuardContent != nil {
				return fmt.Sprintf("messages.%d.content.%d", i, j)
			}
		}
	}
	return ""
}
