package builtin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// reasoningSettings is what additionalModelRequestFields asks of reasoning.
type reasoningSettings struct {
	enabled bool
	// words bounds the reasoning text: from budget_tokens (Anthropic) or
	// the effort level (Nova, gpt-oss).
	words int
	// budget is Anthropic's budget_tokens, checked against maxTokens as the
	// model does; 0 for the other styles.
	budget int
}

// reasoningFields are the request fields that enable reasoning, in the
// styles Bedrock's models accept through additionalModelRequestFields.
type reasoningFields struct {
	// Anthropic: {"thinking":{"type":"enabled","budget_tokens":2048}};
	// newer Claude models also accept "adaptive" without a budget.
	Thinking *struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	} `json:"thinking"`
	// Amazon Nova 2: {"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low"}}.
	ReasoningConfig *struct {
		Type               string `json:"type"`
		MaxReasoningEffort string `json:"maxReasoningEffort"`
	} `json:"reasoningConfig"`
	// OpenAI gpt-oss: {"reasoning_effort":"low"}.
	ReasoningEffort string `json:"reasoning_effort"`
}

func effortWords(effort string) int {
	switch strings.ToLower(effort) {
	case "low":
		return 30
	case "high":
		return 120
	}
	return 60
}

// reasoningOf reads the reasoning settings of a request. Fields that are
// not an object, or that do not enable reasoning, mean no reasoning.
func reasoningOf(req *wire.ConverseRequest) reasoningSettings {
	if len(req.AdditionalModelRequestFields) == 0 {
		return reasoningSettings{}
	}
	var f reasoningFields
	if json.Unmarshal(req.AdditionalModelRequestFields, &f) != nil {
		return reasoningSettings{}
	}
	switch {
	case f.Thinking != nil && (f.Thinking.Type == "enabled" || f.Thinking.Type == "adaptive"):
		s := reasoningSettings{enabled: true, words: 60, budget: f.Thinking.BudgetTokens}
		if s.budget > 0 {
			s.words = min(max(s.budget/8, 20), 200)
		}
		return s
	case f.ReasoningConfig != nil && f.ReasoningConfig.Type == "enabled":
		return reasoningSettings{enabled: true, words: effortWords(f.ReasoningConfig.MaxReasoningEffort)}
	case f.ReasoningEffort != "":
		return reasoningSettings{enabled: true, words: effortWords(f.ReasoningEffort)}
	}
	return reasoningSettings{}
}

// checkThinking applies the Anthropic model's own limits on the thinking
// budget, with the messages Bedrock relays from the model (observed:
// LibreChat #8346, claudecoder #5; the max_tokens rule is Anthropic's
// documented "budget_tokens must be less than max_tokens").
func checkThinking(s reasoningSettings, ic *wire.InferenceConfiguration) error {
	if s.budget == 0 {
		return nil
	}
	if s.budget < 1024 {
		return wire.Errorf(wire.ValidationException, "The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
	}
	if ic != nil && ic.MaxTokens != nil && *ic.MaxTokens <= s.budget {
		return wire.Errorf(wire.ValidationException, "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`. Raise inferenceConfig.maxTokens above %d or lower budget_tokens.", s.budget)
	}
	return nil
}

// reasoningText is the built-in model's deterministic chain of thought: what
// was asked, what it will do (call tools or answer), then sentences about
// the topic up to the word bound.
func reasoningText(req *wire.ConverseRequest, calls []wire.ToolUseBlock, words int) string {
	question := questionOf(req.Messages)
	var b strings.Builder
	if question != "" {
		fmt.Fprintf(&b, "The user asks %q.", clip(question, 120))
	} else {
		b.WriteString("The user sent no text.")
	}
	if note := mediaNote(req.Messages); note != "" {
		b.WriteString(" They attached something; I will describe it from its contents.")
	}
	switch {
	case len(calls) > 0:
		names := make([]string, len(calls))
		for i, c := range calls {
			names[i] = c.Name
		}
		fmt.Fprintf(&b, " I need data I do not have, so I will call %s.", joinAnd(names))
	case lastUserHasToolResults(req.Messages):
		b.WriteString(" The tool results are in; I will summarise what they returned.")
	default:
		b.WriteString(" I will answer directly.")
	}
	topic := topicOf(question)
	seed := requestSeed(req)
	for i := 0; wordCount(b.String()) < words; i++ {
		s := sentences[(int(seed%uint64(len(sentences)))+i*7)%len(sentences)]
		t := topic
		if strings.HasPrefix(s, "%s") {
			t = capitalise(t)
		}
		b.WriteString(" ")
		fmt.Fprintf(&b, s, t)
	}
	return b.String()
}

// signature stands in for the opaque signature Bedrock returns with
// reasoning text: deterministic for the model and text, base64 like the real
// one, so clients that echo it back unmodified can be tested.
func signature(modelID, text string) string {
	a := sha256.Sum256([]byte("converse builtin reasoning\x00" + modelID + "\x00" + text))
	b := sha256.Sum256(a[:])
	return base64.StdEncoding.EncodeToString(append(a[:], b[:]...))
}
