package anthropic

import (
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

var _ provider.FieldChecker = (*Provider)(nil)

// serviceTiers maps Bedrock's service tiers to the Messages API's
// service_tier: the default tier is standard capacity only, priority lets
// Anthropic use Priority Tier capacity ("auto"). Flex and reserved have no
// equivalent.
var serviceTiers = map[wire.ServiceTierType]string{
	wire.ServiceTierTypeDefault:  "standard_only",
	wire.ServiceTierTypePriority: "auto",
}

// CheckFields refuses the request members the Anthropic API cannot honour
// (docs/fields.md).
func (p *Provider) CheckFields(req *wire.ConverseRequest) error {
	if st := req.ServiceTier; st != nil {
		if _, ok := serviceTiers[st.Type]; !ok {
			return invalid("serviceTier.type", "%q cannot be honoured by backend %q (Anthropic offers standard and priority capacity): use default or priority, or remove serviceTier.", st.Type, p.name)
		}
	}
	if pc := req.PerformanceConfig; pc != nil && pc.Latency == wire.PerformanceConfigLatencyOptimized {
		return invalid("performanceConfig.latency", "\"optimized\" cannot be honoured by backend %q (no latency-optimized inference). Use \"standard\" or remove performanceConfig.", p.name)
	}
	if len(req.PromptVariables) > 0 {
		return invalid("promptVariables", "cannot be honoured by backend %q: it has no Prompt management prompts. Send the prompt as messages instead.", p.name)
	}
	return nil
}

func serviceTier(st *wire.ServiceTier) string {
	if st == nil {
		return ""
	}
	return serviceTiers[st.Type]
}
