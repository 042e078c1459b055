package main

import (
	"cmp"
	"fmt"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/guardrail"
)

// guardrails compiles the config's guardrails; a mistake stops the
// server at start, naming the guardrail and the field.
func guardrails(cfg *config.Config) (*guardrail.Set, error) {
	var out []guardrail.Config
	for _, g := range cfg.Guardrails {
		c := guardrail.Config{
			ID: g.ID, Version: g.Version,
			BlockedInputMessaging: g.BlockedInputMessaging, BlockedOutputsMessaging: g.BlockedOutputsMessaging,
			Words: guardrail.WordPolicy{Words: g.Words.Words, ManagedLists: g.Words.ManagedLists, Actions: guardActions(g.Words.Action, g.Words.InputAction, g.Words.OutputAction)},
		}
		for _, p := range g.SensitiveInformation.PIIEntities {
			c.SensitiveInformation.PIIEntities = append(c.SensitiveInformation.PIIEntities, guardrail.PIIEntity{Type: p.Type, Actions: guardActions(p.Action, p.InputAction, p.OutputAction)})
		}
		for _, r := range g.SensitiveInformation.Regexes {
			c.SensitiveInformation.Regexes = append(c.SensitiveInformation.Regexes, guardrail.Regex{Name: r.Name, Description: r.Description, Pattern: r.Pattern, Actions: guardActions(r.Action, r.InputAction, r.OutputAction)})
		}
		for _, t := range g.Topics {
			c.Topics = append(c.Topics, guardrail.Topic{Name: t.Name, Definition: t.Definition, Examples: t.Examples, Actions: guardActions(t.Action, t.InputAction, t.OutputAction)})
		}
		for _, f := range g.ContentFilters {
			c.ContentFilters = append(c.ContentFilters, guardrail.ContentFilter{Type: f.Type, InputStrength: f.InputStrength, OutputStrength: f.OutputStrength, Actions: guardActions(f.Action, f.InputAction, f.OutputAction)})
		}
		for _, f := range g.ContextualGrounding {
			c.ContextualGrounding = append(c.ContextualGrounding, guardrail.GroundingFilter{Type: f.Type, Threshold: f.Threshold, Action: guardrail.Action(f.Action)})
		}
		out = append(out, c)
	}
	s, err := guardrail.New(out, guardrail.Options{MaxCharacters: cfg.GuardrailMaxCharacters})
	if err != nil {
		return nil, fmt.Errorf("config guardrails: %w", err)
	}
	return s, nil
}

// guardActions turns a policy's action keys into its actions: action for both
// directions, input_action and output_action winning over it.
func guardActions(both, in, out string) guardrail.IO {
	return guardrail.IO{Input: guardrail.Action(cmp.Or(in, both)), Output: guardrail.Action(cmp.Or(out, both))}
}
