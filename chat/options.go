package chat

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Option defaults, as Spring AI's spring.ai.bedrock.converse.chat.options.*.
const (
	DefaultTemperature float32 = 0.8
	DefaultMaxTokens   int     = 500
)

// Ptr returns a pointer to v, for the optional fields of [Options].
func Ptr[T any](v T) *T { return &v }

// Options are the model parameters of a call. Client defaults (New's
// WithOptions) and per-call options (Prompt.Options) merge field by field:
// a set field of the later one wins; unset fields (nil, empty) inherit.
// AdditionalFields merge key by key.
type Options struct {
	// Model is the model ID, inference profile or ARN.
	Model string
	// Temperature controls randomness (default 0.8).
	Temperature *float32
	// TopP is the nucleus sampling mass (model default when nil).
	TopP *float32
	// TopK limits sampling to the K most likely tokens. Converse has no
	// topK field; it travels in additionalModelRequestFields in the shape
	// the model family expects:
	//
	//	Anthropic Claude, Mistral   {"top_k": K}
	//	Amazon Nova                 {"inferenceConfig": {"topK": K}}
	//	Cohere Command              {"k": K}
	//	other or unknown models     {"top_k": K}
	TopK *int
	// MaxTokens bounds the answer (default 500).
	MaxTokens *int
	// StopSequences end generation when produced.
	StopSequences []string
	// ToolChoice says whether and which tool the model must call.
	ToolChoice ToolChoice
	// Cache places prompt-cache checkpoints; nil means no caching.
	Cache *CacheOptions
	// AdditionalFields are sent as additionalModelRequestFields, for
	// model-specific parameters (e.g. Claude's "thinking").
	AdditionalFields map[string]any
	// MaxToolRounds bounds the automatic tool loop (default 10).
	MaxToolRounds int
	// Guardrail applies a Bedrock guardrail to the call (guardrailConfig);
	// nil means none. Its fields merge one by one, so a client default can
	// name the guardrail and a call turn its trace on.
	Guardrail *GuardrailConfig
	// ServiceTier asks for a processing tier (serviceTier: default,
	// priority, flex, reserved); Response.ServiceTier is the one used.
	ServiceTier types.ServiceTierType
	// PerformanceLatency asks for the standard or the latency-optimized
	// version of the model (performanceConfig.latency: standard,
	// optimized).
	PerformanceLatency types.PerformanceConfigLatency
	// Output constrains the answer's text to JSON valid against a schema
	// (outputConfig.textFormat); [Entity] sets it from a Go type.
	Output *OutputFormat
}

// GuardrailConfig is Converse's guardrailConfig (and ConverseStream's,
// with StreamProcessingMode).
type GuardrailConfig struct {
	// Identifier is the guardrail's ID or ARN.
	Identifier string
	// Version is its version number, or DRAFT.
	Version string
	// Trace says whether the response carries the guardrail's
	// assessment (Response.Guardrail): enabled, enabled_full (also what
	// was not found) or disabled (Bedrock's default).
	Trace types.GuardrailTrace
	// StreamProcessingMode applies to streams: sync (Bedrock's default)
	// holds text back until it is assessed, async sends it at once and
	// assesses behind it, so it cannot mask.
	StreamProcessingMode types.GuardrailStreamProcessingMode
}

func (g GuardrailConfig) merge(over GuardrailConfig) GuardrailConfig {
	if over.Identifier != "" {
		g.Identifier = over.Identifier
	}
	if over.Version != "" {
		g.Version = over.Version
	}
	if over.Trace != "" {
		g.Trace = over.Trace
	}
	if over.StreamProcessingMode != "" {
		g.StreamProcessingMode = over.StreamProcessingMode
	}
	return g
}

// OutputFormat is a JSON schema the answer's text must follow (Bedrock's
// structured output).
type OutputFormat struct {
	// Name and Description tell the model what the document is.
	Name, Description string
	// Schema is the JSON Schema, as a JSON object.
	Schema json.RawMessage
}

// ToolChoiceMode is one of Converse's toolChoice members.
type ToolChoiceMode int

// Tool choices. The zero value leaves the choice to the model's default
// (auto).
const (
	ToolChoiceDefault ToolChoiceMode = iota
	ToolChoiceAuto
	ToolChoiceAny
	ToolChoiceTool
)

// ToolChoice is Converse's toolChoice: auto, any, or one named tool.
type ToolChoice struct {
	Mode ToolChoiceMode
	// Name is the tool to call when Mode is ToolChoiceTool.
	Name string
}

// AutoTool lets the model decide whether to call a tool.
func AutoTool() ToolChoice { return ToolChoice{Mode: ToolChoiceAuto} }

// AnyTool makes the model call some tool.
func AnyTool() ToolChoice { return ToolChoice{Mode: ToolChoiceAny} }

// SpecificTool makes the model call the named tool.
func SpecificTool(name string) ToolChoice { return ToolChoice{Mode: ToolChoiceTool, Name: name} }

const defaultMaxToolRounds = 10

// merge returns o with every set field of over applied.
func (o Options) merge(over Options) Options {
	if over.Model != "" {
		o.Model = over.Model
	}
	if over.Temperature != nil {
		o.Temperature = over.Temperature
	}
	if over.TopP != nil {
		o.TopP = over.TopP
	}
	if over.TopK != nil {
		o.TopK = over.TopK
	}
	if over.MaxTokens != nil {
		o.MaxTokens = over.MaxTokens
	}
	if over.StopSequences != nil {
		o.StopSequences = slices.Clone(over.StopSequences)
	}
	if over.ToolChoice.Mode != ToolChoiceDefault {
		o.ToolChoice = over.ToolChoice
	}
	if over.Cache != nil {
		c := *over.Cache
		o.Cache = &c
	}
	if over.AdditionalFields != nil {
		m := maps.Clone(o.AdditionalFields)
		if m == nil {
			m = map[string]any{}
		}
		maps.Copy(m, over.AdditionalFields)
		o.AdditionalFields = m
	}
	if over.MaxToolRounds != 0 {
		o.MaxToolRounds = over.MaxToolRounds
	}
	if over.Guardrail != nil {
		var g GuardrailConfig
		if o.Guardrail != nil {
			g = *o.Guardrail
		}
		g = g.merge(*over.Guardrail)
		o.Guardrail = &g
	}
	if over.ServiceTier != "" {
		o.ServiceTier = over.ServiceTier
	}
	if over.PerformanceLatency != "" {
		o.PerformanceLatency = over.PerformanceLatency
	}
	if over.Output != nil {
		f := *over.Output
		f.Schema = slices.Clone(f.Schema)
		o.Output = &f
	}
	return o
}

// defaultOptions are the seed's defaults, under everything else.
func defaultOptions() Options {
	return Options{Temperature: Ptr(DefaultTemperature), MaxTokens: Ptr(DefaultMaxTokens), MaxToolRounds: defaultMaxToolRounds}
}

// family names a model family from a model ID, inference profile ID
// ("us.anthropic…") or ARN ("…:foundation-model/amazon.nova-pro-v1:0").
func family(modelID string) string {
	id := modelID
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	for _, f := range []struct{ prefix, name string }{
		{"anthropic.", "anthropic"},
		{"amazon.nova", "nova"},
		{"amazon.titan", "titan"},
		{"mistral.", "mistral"},
		{"cohere.", "cohere"},
		{"meta.", "meta"},
		{"ai21.", "ai21"},
		{"deepseek.", "deepseek"},
		{"openai.", "openai"},
		{"qwen.", "qwen"},
		{"writer.", "writer"},
	} {
		if strings.HasPrefix(id, f.prefix) || strings.Contains(id, "."+f.prefix) {
			return f.name
		}
	}
	return ""
}

// additionalFields returns the request's additionalModelRequestFields: the
// caller's fields with topK placed as the model family expects.
func (o Options) additionalFields() map[string]any {
	if o.TopK == nil && len(o.AdditionalFields) == 0 {
		return nil
	}
	out := maps.Clone(o.AdditionalFields)
	if out == nil {
		out = map[string]any{}
	}
	if o.TopK == nil {
		return out
	}
	k := *o.TopK
	switch family(o.Model) {
	case "nova":
		ic, _ := out["inferenceConfig"].(map[string]any)
		ic = maps.Clone(ic)
		if ic == nil {
			ic = map[string]any{}
		}
		ic["topK"] = k
		out["inferenceConfig"] = ic
	case "cohere":
		out["k"] = k
	default:
		out["top_k"] = k
	}
	return out
}
