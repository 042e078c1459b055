package guardrail

import (
	"context"

	"github.com/conversekit/converse/internal/wire"
)

// MsgNotFound is Bedrock's message for a guardrail identifier or version
// it does not have (ValidationException on Converse, recorded by users of
// the real service).
const MsgNotFound = "The guardrail identifier or version provided in the request does not exist."

// hint says where converse's guardrails come from.
const hint = " This server's guardrails are defined under guardrails in its config file."

// NotFound is the error for an unknown guardrail on Converse and
// ConverseStream (ValidationException, as Bedrock answers).
func NotFound(identifier, version string) error {
	return wire.Errorf(wire.ValidationException, "%s (%s version %s.%s)", MsgNotFound, identifier, version, hint)
}

// Apply answers ApplyGuardrail: the request must be validated first. An
// unknown guardrail is a ResourceNotFoundException, the error the API
// model lists for a missing resource.
func (s *Set) Apply(_ context.Context, req *wire.ApplyGuardrailRequest) (*wire.ApplyGuardrailResponse, error) {
	g, ok := s.Lookup(req.GuardrailIdentifier, req.GuardrailVersion)
	if !ok {
		return nil, wire.Errorf(wire.ResourceNotFoundException, "%s (%s version %s.%s)", MsgNotFound, req.GuardrailIdentifier, req.GuardrailVersion, hint)
	}
	content := make([]Text, 0, len(req.Content))
	for i, b := range req.Content {
		if b.Image != nil {
			return nil, wire.Errorf(wire.ValidationException, "content.%d is an image; this server's guardrails assess text only. Send the image to a guardrail on Amazon Bedrock, or leave it out.", i)
		}
		content = append(content, Text{Text: b.Text.Text, Qualifiers: b.Text.Qualifiers})
	}
	scope := Interventions
	if req.OutputScope == wire.GuardrailOutputScopeFULL {
		scope = Full
	}
	src := SourceOf(req.Source)
	res, err := g.Assess(Request{Source: src, Content: content, Scope: scope})
	if err != nil {
		return nil, err
	}
	out := &wire.ApplyGuardrailResponse{
		Usage: res.Usage, Action: res.Action, ActionReason: res.ActionReason,
		Outputs:           []wire.GuardrailOutputContent{},
		GuardrailCoverage: res.Coverage(),
	}
	switch {
	case res.Blocked:
		out.Outputs = append(out.Outputs, wire.GuardrailOutputContent{Text: g.BlockedMessage(src)})
	case res.Masked:
		for i, t := range content {
			if t.guarded() {
				out.Outputs = append(out.Outputs, wire.GuardrailOutputContent{Text: res.Texts[i]})
			}
		}
	}
	a := res.Assessment
	a.AppliedGuardrailDetails = g.Details(req.GuardrailIdentifier)
	out.Assessments = []wire.GuardrailAssessment{a}
	return out, nil
}
