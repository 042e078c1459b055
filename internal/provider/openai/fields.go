package openai

import (
	"fmt"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

var _ provider.FieldChecker = (*Provider)(nil)

// serviceTiers maps Bedrock's service tiers to OpenAI's service_tier
// values; "reserved" (provisioned Bedrock capacity) has no equivalent.
// Bedrock's default tier is the upstream's default: nothing is sent.
var serviceTiers = map[wire.ServiceTierType]string{
	wire.ServiceTierTypeDefault:  "",
	wire.ServiceTierTypePriority: "priority",
	wire.ServiceTierTypeFlex:     "flex",
}

// CheckFields refuses the request members an OpenAI-compatible server
// cannot honour (docs/fields.md).
func (p *Provider) CheckFields(req *wire.ConverseRequest) error {
	if st := req.ServiceTier; st != nil {
		if _, ok := serviceTiers[st.Type]; !ok {
			return wire.Errorf(wire.ValidationException, "serviceTier.type %q cannot be honoured by backend %q (OpenAI-compatible): use default, priority or flex, or remove serviceTier.", st.Type, p.name)
		}
	}
	if pc := req.PerformanceConfig; pc != nil && pc.Latency == wire.PerformanceConfigLatencyOptimized {
		return wire.Errorf(wire.ValidationException, "performanceConfig.latency \"optimized\" cannot be honoured by backend %q (OpenAI-compatible has no latency-optimized inference). Use \"standard\" or remove performanceConfig.", p.name)
	}
	if where := citationsAsked(req.Messages); where != "" {
		return wire.Errorf(wire.ValidationException, "%s.citations.enabled cannot be honoured by backend %q: OpenAI-compatible servers return no citations. Remove citations or route the model to a backend that cites (anthropic, bedrock).", where, p.name)
	}
	if len(req.PromptVariables) > 0 {
		return wire.Errorf(wire.ValidationException, "promptVariables cannot be honoured by backend %q: it has no Prompt management prompts. Send the prompt as messages instead.", p.name)
	}
	return nil
}

// citationsAsked names the first block that asks for citations, or "".
func citationsAsked(msgs []wire.Message) string {
	for i, m := range msgs {
		for j, c := range m.Content {
			at := fmt.Sprintf("messages[%d].content[%d]", i, j)
			if d := c.Document; d != nil && d.Citations != nil && d.Citations.Enabled {
				return at + ".document"
			}
			if s := c.SearchResult; s != nil && s.Citations != nil && s.Citations.Enabled {
				return at + ".searchResult"
			}
			if tr := c.ToolResult; tr != nil {
				for k, tc := range tr.Content {
					if d := tc.Document; d != nil && d.Citations != nil && d.Citations.Enabled {
						return fmt.Sprintf("%s.toolResult.content[%d].document", at, k)
					}
					if s := tc.SearchResult; s != nil && s.Citations != nil && s.Citations.Enabled {
						return fmt.Sprintf("%s.toolResult.content[%d].searchResult", at, k)
					}
				}
			}
		}
	}
	return ""
}

func serviceTier(st *wire.ServiceTier) string {
	if st == nil {
		return ""
	}
	return serviceTiers[st.Type]
}
