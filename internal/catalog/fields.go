package catalog

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// Rules of one model family that Bedrock passes through from the model
// ("The model returned the following errors: …").

// claudeRequestFields are the members of Claude's request body on Bedrock
// (the Anthropic Messages body less model and stream, plus Bedrock's
// anthropic_version and anthropic_beta): what additionalModelRequestFields
// may add for a Claude model. Source: AWS User Guide "Anthropic Claude
// Messages API" inference parameters; thinking and output_config/
// context_management from the Claude 3.7+/4 parameter pages (weak: read
// through issue threads).
var claudeRequestFields = []string{
	"anthropic_version", "anthropic_beta", "max_tokens", "system", "messages",
	"temperature", "top_p", "top_k", "stop_sequences", "tools", "tool_choice",
	"thinking", "output_config", "context_management",
}

// checkFamilyRules applies the model family's own request rules.
func checkFamilyRules(m Model, req *wire.ConverseRequest) error {
	if m.Family != "claude" {
		return nil
	}
	if err := claudeFields(req.AdditionalModelRequestFields, len(req.System) > 0); err != nil {
		return err
	}
	return claudePrefill(req.Messages)
}

// claudeFields refuses an additionalModelRequestFields member Claude does
// not know ([Obs] BerriAI/litellm #7416, sigoden/aichat #543: "Malformed
// input request: #: extraneous key [chat_id] is not permitted, please
// reformat your input and try again."), and a system member when the
// request has its own system prompt ([Obs] danny-avila/LibreChat #14246:
// "The additional field system conflicts with an existing field.").
func claudeFields(raw wire.Document, hasSystem bool) error {
	var fields map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &fields) != nil {
		return nil // absent, or not an object: wire validation reports it
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(claudeRequestFields, k) {
			return invalid("The model returned the following errors: Malformed input request: #: extraneous key [%s] is not permitted, please reformat your input and try again.", k)
		}
	}
	if _, ok := fields["system"]; ok && hasSystem {
		return invalid("The additional field system conflicts with an existing field. Send the system prompt in the request's system member only.")
	}
	return nil
}

// claudePrefill: a conversation ending in an assistant turn asks Claude to
// continue that text, and Claude refuses a continuation that ends in
// whitespace ([Obs] langchain-ai/langchain-aws #532, #599: "messages: final
// assistant content cannot end with trailing whitespace", Converse and
// InvokeModel alike).
func claudePrefill(msgs []wire.Message) error {
	if len(msgs) == 0 || msgs[len(msgs)-1].Role != wire.ConversationRoleAssistant {
		return nil
	}
	content := msgs[len(msgs)-1].Content
	for i := len(content) - 1; i >= 0; i-- {
		b := content[i]
		if b.CachePoint != nil {
			continue
		}
		if b.Text == nil {
			return nil
		}
		r, _ := utf8.DecodeLastRuneInString(*b.Text)
		if unicode.IsSpace(r) {
			return invalid("The model returned the following errors: messages: final assistant content cannot end with trailing whitespace (messages.%d.content.%d ends in %q; trim it and try again).", len(msgs)-1, i, trailingSpace(*b.Text))
		}
		return nil
	}
	return nil
}

func trailingSpace(s string) string {
	return s[len(strings.TrimRightFunc(s, unicode.IsSpace)):]
}
