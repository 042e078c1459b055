// Package invoke knows the model-native bodies of InvokeModel and
// InvokeModelWithResponseStream that converse serves without forwarding
// them to real Bedrock: the Anthropic Messages family (Claude on Bedrock,
// "anthropic_version": "bedrock-2023-05-31") and the text-embedding
// families Amazon Titan Text Embeddings (v1, v2) and Cohere Embed (v3, v4).
// It tells the families apart, decodes and validates their bodies as
// Bedrock does, gives a Messages body its Converse equivalent, and writes
// each family's response JSON and stream chunks.
package invoke

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// Family is a model-native body format.
type Family string

// The families converse knows. Other bodies (Nova, Llama, Mistral, Titan
// Text, …) have FamilyOther: only a backend that forwards bytes to real
// Bedrock can serve them.
const (
	FamilyOther   Family = ""
	Messages      Family = "anthropic-messages"
	TitanEmbedV1  Family = "titan-embed-text-v1"
	TitanEmbedV2  Family = "titan-embed-text-v2"
	CohereEmbedV3 Family = "cohere-embed-v3"
	CohereEmbedV4 Family = "cohere-embed-v4"
)

// Embedding reports whether the family is a text-embedding family.
func (f Family) Embedding() bool {
	switch f {
	case TitanEmbedV1, TitanEmbedV2, CohereEmbedV3, CohereEmbedV4:
		return true
	}
	return false
}

// String names the family for messages.
func (f Family) String() string {
	switch f {
	case Messages:
		return "Anthropic Messages"
	case TitanEmbedV1:
		return "Titan Text Embeddings v1"
	case TitanEmbedV2:
		return "Titan Text Embeddings v2"
	case CohereEmbedV3:
		return "Cohere Embed v3"
	case CohereEmbedV4:
		return "Cohere Embed v4"
	}
	return "model-native"
}

// ForModel returns the family of a base model ID (no ARN, no profile
// prefix), and false for IDs whose family it does not know.
func ForModel(baseID string) (Family, bool) {
	switch {
	case strings.HasPrefix(baseID, "anthropic.claude"):
		return Messages, true
	case strings.HasPrefix(baseID, "amazon.titan-embed-text-v2"):
		return TitanEmbedV2, true
	case strings.HasPrefix(baseID, "amazon.titan-embed-text-v1"), strings.HasPrefix(baseID, "amazon.titan-embed-g1-text"):
		return TitanEmbedV1, true
	case strings.HasPrefix(baseID, "cohere.embed-english-v3"), strings.HasPrefix(baseID, "cohere.embed-multilingual-v3"):
		return CohereEmbedV3, true
	case strings.HasPrefix(baseID, "cohere.embed-v4"):
		return CohereEmbedV4, true
	}
	return FamilyOther, false
}

// FromBody guesses the family of a body sent to a model ID converse does
// not know (a route such as "*" sending anything to a backend): the keys
// that only one family uses decide.
func FromBody(body []byte) Family {
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil {
		return FamilyOther
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("anthropic_version"):
		return Messages
	case has("inputText") && !has("textGenerationConfig"):
		// v2 accepts everything v1 does.
		return TitanEmbedV2
	case has("texts") || (has("input_type") && (has("images") || has("inputs"))):
		if has("output_dimension") || has("inputs") || has("max_tokens") {
			return CohereEmbedV4
		}
		return CohereEmbedV3
	}
	return FamilyOther
}

// Header names of the InvokeModel family (API model, InvokeModelRequest),
// and the ones the real service answers with outside the model.
const (
	HeaderTrace            = "X-Amzn-Bedrock-Trace"
	HeaderGuardrailID      = "X-Amzn-Bedrock-GuardrailIdentifier"
	HeaderGuardrailVersion = "X-Amzn-Bedrock-GuardrailVersion"
	HeaderLatency          = "X-Amzn-Bedrock-PerformanceConfig-Latency"
	HeaderServiceTier      = "X-Amzn-Bedrock-Service-Tier"
	HeaderRequestMetadata  = "X-Amzn-Bedrock-Request-Metadata"
	HeaderProject          = "X-Amzn-Bedrock-ProjectIdentifier"
	HeaderStreamAccept     = "X-Amzn-Bedrock-Accept"
	HeaderStreamType       = "X-Amzn-Bedrock-Content-Type"

	HeaderInputTokens      = "X-Amzn-Bedrock-Input-Token-Count"
	HeaderOutputTokens     = "X-Amzn-Bedrock-Output-Token-Count"
	HeaderCacheReadTokens  = "X-Amzn-Bedrock-Cache-Read-Input-Token-Count"
	HeaderCacheWriteTokens = "X-Amzn-Bedrock-Cache-Write-Input-Token-Count"
	HeaderLatencyMs        = "X-Amzn-Bedrock-Invocation-Latency"
)

// Headers are an InvokeModel request's headers beside its body.
type Headers struct {
	ContentType              string
	Accept                   string
	Trace                    string
	GuardrailIdentifier      string
	GuardrailVersion         string
	PerformanceConfigLatency string
	ServiceTier              string
	RequestMetadata          string
	ProjectIdentifier        string
}

// Validate applies the API model's constraints on the headers: the enums
// of trace, latency and service tier, the guardrail pair, lengths, and the
// JSON content type the operation requires.
func (h *Headers) Validate() error {
	if !oneOf(h.Trace, "", "ENABLED", "DISABLED", "ENABLED_FULL") {
		return invalidf("Value '%s' at 'trace' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]", h.Trace)
	}
	if !oneOf(h.PerformanceConfigLatency, "", "standard", "optimized") {
		return invalidf("Value '%s' at 'performanceConfigLatency' failed to satisfy constraint: Member must satisfy enum value set: [standard, optimized]", h.PerformanceConfigLatency)
	}
	if !oneOf(h.ServiceTier, "", "priority", "default", "flex", "reserved") {
		return invalidf("Value '%s' at 'serviceTier' failed to satisfy constraint: Member must satisfy enum value set: [priority, default, flex, reserved]", h.ServiceTier)
	}
	if len(h.GuardrailIdentifier) > 2048 {
		return invalidf("Value at 'guardrailIdentifier' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if h.GuardrailVersion != "" && !validGuardrailVersion(h.GuardrailVersion) {
		return invalidf("Value '%s' at 'guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))", h.GuardrailVersion)
	}
	if h.GuardrailIdentifier != "" && h.GuardrailVersion == "" {
		return invalidf("Guardrail version is required when a guardrail identifier is specified. Set %s.", HeaderGuardrailVersion)
	}
	if h.GuardrailIdentifier == "" && h.GuardrailVersion != "" {
		return invalidf("Guardrail identifier is required when a guardrail version is specified. Set %s.", HeaderGuardrailID)
	}
	if len(h.RequestMetadata) > 8500 {
		return invalidf("Value at 'requestMetadata' failed to satisfy constraint: Member must have length less than or equal to 8500")
	}
	if mt := mediaType(h.ContentType); mt != "" && mt != "application/json" && mt != "application/octet-stream" {
		// The Go SDK sends application/octet-stream when the caller sets
		// no content type; the body is JSON either way.
		return invalidf("The content type %s is not supported. Send the body as application/json.", h.ContentType)
	}
	if mt := mediaType(h.Accept); mt != "" && mt != "application/json" && mt != "*/*" && mt != "application/*" {
		return invalidf("The accept type %s is not supported. This model answers with application/json.", h.Accept)
	}
	return nil
}

// Unsupported refuses what only real Bedrock can honour: guardrails are
// not applied by converse's own backends, and silently answering without
// one would hide that.
func (h *Headers) Unsupported(backend string) error {
	// The Bedrock trace of InvokeModel reports guardrail assessments; with
	// no guardrail there is nothing to trace, as on Bedrock, so a trace
	// header alone is honoured by answering without one.
	if h.GuardrailIdentifier != "" {
		return invalidf("Guardrails are not applied by backend %q: remove the %s and %s headers, or route this model to a bedrock backend.", backend, HeaderGuardrailID, HeaderGuardrailVersion)
	}
	return nil
}

func validGuardrailVersion(v string) bool {
	if v == "DRAFT" {
		return true
	}
	if len(v) == 0 || len(v) > 8 || v[0] == '0' {
		return false
	}
	_, err := strconv.Atoi(v)
	return err == nil && !strings.ContainsAny(v, "+-")
}

func mediaType(v string) string {
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// Usage is what one invocation spent, Bedrock's way: InputTokens excludes
// the prompt-cache reads and writes.
type Usage struct {
	InputTokens           int
	OutputTokens          int
	CacheReadInputTokens  int
	CacheWriteInputTokens int
}

// TokenUsage is the usage as Converse reports it.
func (u Usage) TokenUsage() *wire.TokenUsage {
	t := &wire.TokenUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		TotalTokens: u.InputTokens + u.OutputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens}
	if u.CacheReadInputTokens > 0 {
		t.CacheReadInputTokens = wire.Ptr(u.CacheReadInputTokens)
	}
	if u.CacheWriteInputTokens > 0 {
		t.CacheWriteInputTokens = wire.Ptr(u.CacheWriteInputTokens)
	}
	return t
}

// UsageOf is the usage of a Converse answer.
func UsageOf(t *wire.TokenUsage) Usage {
	if t == nil {
		return Usage{}
	}
	return Usage{InputTokens: t.InputTokens, OutputTokens: t.OutputTokens,
		CacheReadInputTokens: wire.Val(t.CacheReadInputTokens), CacheWriteInputTokens: wire.Val(t.CacheWriteInputTokens)}
}

// Metrics are the amazon-bedrock-invocationMetrics Bedrock adds to the
// last chunk of a stream.
type Metrics struct {
	InputTokenCount   int   `json:"inputTokenCount"`
	OutputTokenCount  int   `json:"outputTokenCount"`
	InvocationLatency int64 `json:"invocationLatency"`
	FirstByteLatency  int64 `json:"firstByteLatency"`
	// Cache counts appear only when the prompt used the cache.
	CacheReadInputTokenCount  *int `json:"cacheReadInputTokenCount,omitempty"`
	CacheWriteInputTokenCount *int `json:"cacheWriteInputTokenCount,omitempty"`
}

// MetricsKey is the member of the last chunk that carries the metrics.
const MetricsKey = "amazon-bedrock-invocationMetrics"

// WithMetrics adds the invocation metrics to a chunk's JSON object, as
// Bedrock does to the last chunk of every stream.
func WithMetrics(chunk []byte, m Metrics) ([]byte, error) {
	return WithMember(chunk, MetricsKey, m)
}

// Guardrail members Bedrock adds to an InvokeModel answer when a
// guardrail applied (AWS User Guide, "Use a guardrail with InvokeModel"):
// the action, and with the trace header the guardrail's assessment.
const (
	GuardrailActionKey = "amazon-bedrock-guardrailAction"
	TraceKey           = "amazon-bedrock-trace"
)

// WithGuardrail adds amazon-bedrock-guardrailAction (INTERVENED or NONE)
// and, when trace is not nil, amazon-bedrock-trace {"guardrail": trace}.
func WithGuardrail(body []byte, intervened bool, trace *wire.GuardrailTraceAssessment) ([]byte, error) {
	action := "NONE"
	if intervened {
		action = "INTERVENED"
	}
	out, err := WithMember(body, GuardrailActionKey, action)
	if err != nil || trace == nil {
		return out, err
	}
	return WithMember(out, TraceKey, map[string]any{"guardrail": trace})
}

// WithMember adds member key with value v to a JSON object.
func WithMember(obj []byte, key string, v any) ([]byte, error) {
	body := bytes.TrimRight(obj, " \t\r\n")
	if len(body) < 2 || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("add %s: not a JSON object", key)
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", key, err)
	}
	kb, _ := json.Marshal(key)
	out := make([]byte, 0, len(body)+len(vb)+len(kb)+2)
	out = append(out, body[:len(body)-1]...)
	if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, kb...)
	out = append(out, ':')
	out = append(out, vb...)
	return append(out, '}'), nil
}

// HasMetrics reports whether a chunk already carries invocation metrics
// (real Bedrock's chunks, forwarded).
func HasMetrics(chunk []byte) bool {
	return bytes.Contains(chunk, []byte(`"`+MetricsKey+`"`))
}

func invalidf(format string, args ...any) error {
	return wire.Errorf(wire.ValidationException, format, args...)
}

// malformed is Bedrock's wording for a body that breaks the model's
// schema: "Malformed input request: #/path: problem, please reformat your
// input and try again." (observed: aichat #543, ruby_llm #586 for Claude;
// serverless-pdf-chat #35 and litellm #30314 for Titan embeddings).
func malformed(problems ...string) error {
	return wire.Errorf(wire.ValidationException, "Malformed input request: %s, please reformat your input and try again.", strings.Join(problems, ", "))
}
