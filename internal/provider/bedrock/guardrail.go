package bedrock

import "github.com/conversekit/converse/internal/provider"

// ForwardsGuardrails reports that Bedrock applies the request's
// guardrailConfig and guardContent itself: the body is forwarded as the
// client sent it, so converse's local guardrails stay out of the way.
func (p *Provider) ForwardsGuardrails() bool { return true }

var _ provider.GuardrailForwarder = (*Provider)(nil)
