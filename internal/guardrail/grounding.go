package guardrail

import (
	"fmt"
	"math"
	"slices"

	"github.com/conversekit/converse/internal/wire"
)

type groundingRule struct {
	typ       wire.GuardrailContextualGroundingFilterType
	threshold float64
	action    Action
}

func (g *Guardrail) compileGrounding(fs []GroundingFilter) []error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range fs {
		t := wire.GuardrailContextualGroundingFilterType(f.Type)
		if !slices.Contains(t.Values(), t) {
			errs = append(errs, fmt.Errorf("contextual_grounding: type %q is not GROUNDING or RELEVANCE", f.Type))
			continue
		}
		if seen[f.Type] {
			errs = append(errs, fmt.Errorf("contextual_grounding: %s is listed twice", t))
		}
		seen[f.Type] = true
		// Bedrock accepts thresholds from 0 to 0.99.
		if f.Threshold < 0 || f.Threshold > 0.99 || math.IsNaN(f.Threshold) {
			errs = append(errs, fmt.Errorf("contextual_grounding: %s: threshold %v is not between 0 and 0.99", t, f.Threshold))
		}
		act, err := actions(IO{Input: f.Action, Output: f.Action}, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("contextual_grounding: %s: %w", t, err))
		}
		g.grounding = append(g.grounding, groundingRule{typ: t, threshold: f.Threshold, action: act.Output})
	}
	return errs
}

// overlap is the share of want's distinct content words found in have,
// rounded to two decimals; 1 when want has none.
func overlap(want, have []string) float64 {
	set := map[string]bool{}
	for _, w := range have {
		set[w] = true
	}
	seen := map[string]bool{}
	hit := 0
	for _, w := range want {
		if seen[w] {
			continue
		}
		seen[w] = true
		if set[w] {
			hit++
		}
	}
	if len(seen) == 0 {
		return 1
	}
	return math.Round(float64(hit)/float64(len(seen))*100) / 100
}
