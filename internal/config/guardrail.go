package config

import (
	"errors"
	"fmt"
)

// Guardrail is one version of a guardrail converse applies itself
// (docs/config.md), in the terms of Bedrock's CreateGuardrail. Every
// action key takes BLOCK or NONE (ANONYMIZE too for sensitive
// information); action sets both directions, input_action and
// output_action override it.
type Guardrail struct {
	// ID is what clients send as guardrailIdentifier (lower-case letters
	// and digits); Version is DRAFT (default) or a number.
	ID                      string                 `yaml:"id"`
	Version                 string                 `yaml:"version"`
	BlockedInputMessaging   string                 `yaml:"blocked_input_messaging"`
	BlockedOutputsMessaging string                 `yaml:"blocked_outputs_messaging"`
	Words                   GuardrailWords         `yaml:"words"`
	SensitiveInformation    GuardrailSensitiveInfo `yaml:"sensitive_information"`
	Topics                  []GuardrailTopic       `yaml:"topics"`
	ContentFilters          []GuardrailFilter      `yaml:"content_filters"`
	ContextualGrounding     []GuardrailGrounding   `yaml:"contextual_grounding"`
}

// GuardrailWords is the word policy.
type GuardrailWords struct {
	Words        []string `yaml:"words"`
	ManagedLists []string `yaml:"managed_lists"`
	Action       string   `yaml:"action"`
	InputAction  string   `yaml:"input_action"`
	OutputAction string   `yaml:"output_action"`
}

// GuardrailSensitiveInfo is the sensitive information policy.
type GuardrailSensitiveInfo struct {
	PIIEntities []GuardrailPII   `yaml:"pii_entities"`
	Regexes     []GuardrailRegex `yaml:"regexes"`
}

// GuardrailPII is one PII entity type by its Bedrock name.
type GuardrailPII struct {
	Type         string `yaml:"type"`
	Action       string `yaml:"action"`
	InputAction  string `yaml:"input_action"`
	OutputAction string `yaml:"output_action"`
}

// GuardrailRegex is a custom pattern (Go RE2 syntax).
type GuardrailRegex struct {
	Name         string `yaml:"name"`
	Description  string `yaml:"description"`
	Pattern      string `yaml:"pattern"`
	Action       string `yaml:"action"`
	InputAction  string `yaml:"input_action"`
	OutputAction string `yaml:"output_action"`
}

// GuardrailTopic is a denied topic.
type GuardrailTopic struct {
	Name         string   `yaml:"name"`
	Definition   string   `yaml:"definition"`
	Examples     []string `yaml:"examples"`
	Action       string   `yaml:"action"`
	InputAction  string   `yaml:"input_action"`
	OutputAction string   `yaml:"output_action"`
}

// GuardrailFilter is a content filter category with its strengths.
type GuardrailFilter struct {
	Type           string `yaml:"type"`
	InputStrength  string `yaml:"input_strength"`
	OutputStrength string `yaml:"output_strength"`
	Action         string `yaml:"action"`
	InputAction    string `yaml:"input_action"`
	OutputAction   string `yaml:"output_action"`
}

// GuardrailGrounding is a contextual grounding filter.
type GuardrailGrounding struct {
	Type      string  `yaml:"type"`
	Threshold float64 `yaml:"threshold"`
	Action    string  `yaml:"action"`
}

// checkGuardrails checks what needs no knowledge of the policies; the
// guardrail package checks the rest when the server starts.
func (c *Config) checkGuardrails() []error {
	var errs []error
	if c.GuardrailMaxCharacters < 0 {
		errs = append(errs, errors.New("guardrail_max_characters must not be negative"))
	}
	for i, g := range c.Guardrails {
		if g.ID == "" {
			errs = append(errs, fmt.Errorf("guardrails[%d]: id is required", i))
		}
	}
	return errs
}
