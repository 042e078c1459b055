package chat

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Qualifiers of guarded text: what a guardrail's contextual grounding
// check makes of it.
const (
	// QualifierGroundingSource marks the text the answer must be grounded
	// in (e.g. retrieved documents).
	QualifierGroundingSource = types.GuardrailConverseContentQualifierGroundingSource
	// QualifierQuery marks the question the answer must be relevant to.
	QualifierQuery = types.GuardrailConverseContentQualifierQuery
	// QualifierGuardContent marks text to assess with the other policies
	// (the default for guarded text without qualifiers).
	QualifierGuardContent = types.GuardrailConverseContentQualifierGuardContent
)

// GuardText is text for the guardrail (a guardContent block), to attach to
// a user message beside its text: a grounding source, the query, or
// content that alone is to be assessed. When a request holds guarded text,
// the guardrail assesses only that, not the rest of the prompt; a request
// with guarded text needs Options.Guardrail.
func GuardText(text string, qualifiers ...types.GuardrailConverseContentQualifier) Media {
	return Media{block: guardBlock(text, qualifiers)}
}

func guardBlock(text string, qualifiers []types.GuardrailConverseContentQualifier) *types.ContentBlockMemberGuardContent {
	return &types.ContentBlockMemberGuardContent{Value: guardText(text, qualifiers)}
}

func guardText(text string, qualifiers []types.GuardrailConverseContentQualifier) *types.GuardrailConverseContentBlockMemberText {
	return &types.GuardrailConverseContentBlockMemberText{Value: types.GuardrailConverseTextBlock{Text: aws.String(text), Qualifiers: qualifiers}}
}

func qualifiers(names []string) []types.GuardrailConverseContentQualifier {
	var out []types.GuardrailConverseContentQualifier
	for _, n := range names {
		out = append(out, types.GuardrailConverseContentQualifier(n))
	}
	return out
}

// GuardedUser appends a user message whose text is guarded (a guardContent
// block): the guardrail assesses it, and no unguarded text of the request.
// The model reads it as any text.
func (p Prompt) GuardedUser(text string, qualifiers ...types.GuardrailConverseContentQualifier) Prompt {
	return p.User("", GuardText(text, qualifiers...))
}

// GuardedSystem appends a system prompt block that the guardrail assesses
// (a guardContent system block).
func (p Prompt) GuardedSystem(text string, qualifiers ...types.GuardrailConverseContentQualifier) Prompt {
	p.system = append(p.system[:len(p.system):len(p.system)], &types.SystemContentBlockMemberGuardContent{Value: guardText(text, qualifiers)})
	return p
}

// check reports a guardrail configuration Bedrock would refuse, before
// anything is sent.
func (g *GuardrailConfig) check() error {
	if g == nil {
		return nil
	}
	if g.Identifier == "" || g.Version == "" {
		return fmt.Errorf("chat: Options.Guardrail needs both Identifier and Version (got %q, %q)", g.Identifier, g.Version)
	}
	return nil
}

func (g *GuardrailConfig) converse() *types.GuardrailConfiguration {
	if g == nil {
		return nil
	}
	return &types.GuardrailConfiguration{GuardrailIdentifier: aws.String(g.Identifier), GuardrailVersion: aws.String(g.Version), Trace: g.Trace}
}

func (g *GuardrailConfig) stream() *types.GuardrailStreamConfiguration {
	if g == nil {
		return nil
	}
	return &types.GuardrailStreamConfiguration{GuardrailIdentifier: aws.String(g.Identifier), GuardrailVersion: aws.String(g.Version), Trace: g.Trace, StreamProcessingMode: g.StreamProcessingMode}
}
