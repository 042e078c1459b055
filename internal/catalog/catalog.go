// Package catalog knows the Bedrock model IDs, the inference-profile
// prefixes that wrap them, and the capabilities of each model that change
// how a request is validated (tools, toolChoice modes, media, cache points,
// output limits). A model ID it does not know is refused exactly as Bedrock
// refuses an invalid model identifier.
package catalog

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// Model is one catalogue entry, as models.yaml or the configuration
// describes it (Entry). The zero value of a capability means "not
// supported".
type Model struct {
	ID       string // base model ID, e.g. anthropic.claude-3-haiku-20240307-v1:0
	Provider string // anthropic, amazon, meta, mistral, cohere, ai21, deepseek, …
	Family   string // claude, nova, titan, llama, …
	Name     string // human name

	Streaming      bool // ConverseStream works at all
	Tools          bool // toolConfig accepted
	StreamingTools bool // tools accepted on ConverseStream too
	ToolChoiceAny  bool // toolChoice.any accepted
	ToolChoiceTool bool // toolChoice.tool accepted
	// ToolResultStatus: toolResult.status accepted. The API reference says
	// only Claude 3 uses it, but Meta, Mistral and Cohere accept it
	// (langchain-aws #146); Writer Palmyra refuses it (strands-agents/harness-sdk
	// #393, #554). Unobserved families accept it: refusing a request the
	// service would serve is the worse mistake.
	ToolResultStatus bool
	// SchemaTopLevelComposition: a tool input schema may use oneOf, allOf
	// or anyOf at its top level. Anthropic models refuse it; other families
	// accept it (code-yeongyu/senpi #1947).
	SchemaTopLevelComposition bool
	Images                    bool
	Documents                 bool
	Video                     bool
	Audio                     bool
	Reasoning                 bool

	// Cache points: where cachePoint blocks are accepted.
	CacheSystem, CacheMessages, CacheTools bool
	MinCacheTokens                         int  // minimum tokens per checkpoint (digest §11.2)
	CacheTTL1h                             bool // "ttl": "1h" offered
	// CacheLookbackBlocks is how many content blocks before a checkpoint
	// the service searches for a cached prefix (Claude: about 20; 0: none).
	CacheLookbackBlocks int
	// MaxCachedTokens caps the cacheable prefix (Nova: 20K; 0: no cap).
	MaxCachedTokens int

	MaxOutputTokens int // 0 = unknown, not enforced
	Source          string

	// ContextTokens is the context window in tokens (0: unknown, not
	// enforced).
	ContextTokens int
	// Embedding is set for embedding models (InvokeModel only).
	Embedding *Embedding
}

// Catalog is an immutable set of models; safe for concurrent use.
type Catalog struct {
	models map[string]Model
	order  []string // IDs in file order, then added ones
}

// Options adds to the built-in catalogue.
type Options struct {
	// Models are added to the built-in entries (models.yaml); an entry
	// with a built-in ID replaces that entry whole.
	Models []Entry
}

// New returns the built-in catalogue.
func New() *Catalog {
	c, err := Load(Options{})
	if err != nil {
		// models.yaml is part of the binary and its tests load it: this
		// is a build defect, not an input error.
		panic(err)
	}
	return c
}

// Load returns the built-in catalogue with opts.Models added; it reports
// every mistake in them (as *EntryError).
func Load(opts Options) (*Catalog, error) {
	builtin, err := ParseFile("models.yaml", builtinModels)
	if err != nil {
		return nil, err
	}
	extra, err := Compile(opts.Models)
	if err != nil {
		return nil, err
	}
	c := &Catalog{models: make(map[string]Model, len(builtin)+len(extra))}
	for _, list := range [][]Model{builtin, extra} {
		for _, m := range list {
			if _, ok := c.models[m.ID]; !ok {
				c.order = append(c.order, m.ID)
			}
			c.models[m.ID] = m
		}
	}
	return c, nil
}

// Models lists every entry (a copy), built-in ones first in file order.
func (c *Catalog) Models() []Model {
	out := make([]Model, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.models[id])
	}
	return out
}

// profilePrefixes are the geography prefixes of system-defined (cross-region)
// inference profiles: "us.anthropic.claude-…". Source: AWS User Guide
// "Supported Regions and models for inference profiles"
// (docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html)
// and IDs reported in issues (eu./apac./global. in claude-code #95128,
// RooCode #9182; jp./au. profiles in the same docs page).
var profilePrefixes = []string{"us-gov.", "us.", "eu.", "apac.", "global.", "jp.", "au.", "ca."}

// Lookup resolves a plain model ID, a profile-prefixed ID, or a
// foundation-model / inference-profile ARN to its catalogue entry.
func (c *Catalog) Lookup(modelID string) (Model, bool) {
	m, ok := c.models[BaseID(modelID)]
	return m, ok
}

// BaseID strips what wraps a foundation-model ID: the ARN of a foundation
// model or inference profile, and a cross-region profile prefix
// ("us.anthropic.claude-…" → "anthropic.claude-…"). Anything else is
// returned unchanged.
func BaseID(modelID string) string {
	id := modelID
	if strings.HasPrefix(id, "arn:") {
		rest, ok := arnResource(id)
		if !ok {
			return modelID
		}
		id = rest
	}
	for _, p := range profilePrefixes {
		if base, ok := strings.CutPrefix(id, p); ok {
			return base
		}
	}
	return id
}

// Forms lists the forms of a model ID that name the same model, for
// matching patterns against (routes, access checks): the ID as given; for
// a foundation-model or inference-profile ARN, its resource ID (the
// profile form "us.anthropic.…", or the plain ID); and the base ID. Each
// appears once, the ID as given first. Other IDs (application inference
// profiles, prompts, names the catalogue does not know) have one form.
func Forms(modelID string) []string {
	forms := []string{modelID}
	add := func(f string) {
		for _, g := range forms {
			if g == f {
				return
			}
		}
		forms = append(forms, f)
	}
	if res, ok := arnResource(modelID); ok {
		add(res)
	}
	add(BaseID(modelID))
	return forms
}

// arnResource returns the model or profile ID inside a foundation-model or
// inference-profile ARN:
// arn:aws[-cn|-us-gov]:bedrock:<region>:<account?>:<type>/<id>.
func arnResource(id string) (string, bool) {
	if !strings.HasPrefix(id, "arn:") {
		return "", false
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[2] != "bedrock" {
		return "", false
	}
	typ, rest, ok := strings.Cut(parts[5], "/")
	if !ok || (typ != "foundation-model" && typ != "inference-profile") {
		return "", false
	}
	return rest, true
}

// UnknownModel is Bedrock's answer to a model ID it does not recognise:
// HTTP 400 ValidationException "The provided model identifier is invalid."
// (observed: cline #7673, Wei-Shaw/sub2api #1714, forgecode #2644).
func UnknownModel(id string) *wire.Exception {
	_ = id // the real message does not echo the ID
	return wire.Errorf(wire.ValidationException, "The provided model identifier is invalid.")
}

func invalid(format string, args ...any) error {
	return wire.Errorf(wire.ValidationException, format, args...)
}

// CheckCapabilities applies the rules that depend on the model: it assumes
// the request already passed (*wire.Validator).Converse.
func (c *Catalog) CheckCapabilities(m Model, req *wire.ConverseRequest) error {
	if m.Embedding != nil {
		// [Obs] the service's answer to Converse on an embedding model
		// (weak: wording from reports of Titan Embeddings on Converse).
		return invalid("This action doesn't support the model that you provided. Try again with a supported text or chat model.")
	}
	if err := checkFamilyRules(m, req); err != nil {
		return err
	}
	if tc := req.ToolConfig; tc != nil {
		if !m.Tools {
			// [Obs] wording of the service for models without tool use
			// (e.g. Titan Text); weak: exact sentence from memory of
			// reports, not a thread found here.
			return invalid("This model doesn't support tool use.")
		}
		if ch := tc.ToolChoice; ch != nil {
			// [Obs] bedrock-access-gateway #92, strands harness-sdk #1241.
			if ch.Any != nil && !m.ToolChoiceAny {
				return invalid("This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.")
			}
			if ch.Tool != nil && !m.ToolChoiceTool {
				return invalid("This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again.")
			}
		}
		if !m.SchemaTopLevelComposition {
			if err := topLevelComposition(tc); err != nil {
				return err
			}
		}
		for i, t := range tc.Tools {
			if t.CachePoint != nil && !m.CacheTools {
				// [Obs] Nova: LibreChat #13838, hermes-agent #97281; seed 002.
				return invalid("Malformed input request: #/toolConfig/tools/%d: extraneous key [cachePoint] is not permitted, please reformat your input and try again.", i)
			}
		}
	}
	for i, s := range req.System {
		if s.CachePoint != nil {
			if err := checkCachePoint(m, s.CachePoint, fmt.Sprintf("system.%d.cachePoint", i), m.CacheSystem); err != nil {
				return err
			}
		}
	}
	for i, msg := range req.Messages {
		for j, b := range msg.Content {
			path := fmt.Sprintf("messages.%d.content.%d", i, j)
			switch {
			case b.ToolResult != nil && b.ToolResult.Status != "" && !m.ToolResultStatus:
				// [Obs] strands-agents/harness-sdk #393 (Palmyra X5, Converse).
				return invalid("This model doesn't support the status field. Remove status and try again.")
			case b.Image != nil && !m.Images:
				return invalid("This model doesn't support the image content block at %s. Remove the image, or use a model that supports images.", path)
			case b.Document != nil && !m.Documents:
				return invalid("This model doesn't support the document content block at %s. Remove the document, or use a model that supports documents.", path)
			case b.Video != nil && !m.Video:
				return invalid("This model doesn't support the video content block at %s. Remove the video, or use a model that supports video.", path)
			case b.Audio != nil && !m.Audio:
				return invalid("This model doesn't support the audio content block at %s. Remove the audio, or use a model that supports audio.", path)
			case b.ReasoningContent != nil && !m.Reasoning:
				return invalid("This model doesn't support the reasoningContent block at %s. Remove it and try again.", path)
			case b.CachePoint != nil:
				if err := checkCachePoint(m, b.CachePoint, path+".cachePoint", m.CacheMessages); err != nil {
					return err
				}
			}
		}
	}
	if ic := req.InferenceConfig; ic != nil && ic.MaxTokens != nil && m.MaxOutputTokens > 0 && *ic.MaxTokens > m.MaxOutputTokens {
		// [Obs] wording reported for Claude on Bedrock (weak: from memory of
		// reports; limit values from the AWS model cards).
		return invalid("The maximum tokens you requested exceeds the model limit of %d. Try again with a maximum tokens value that is lower than %d.", m.MaxOutputTokens, m.MaxOutputTokens)
	}
	return nil
}

// CheckStream adds the rules that only apply to ConverseStream.
func (c *Catalog) CheckStream(m Model, req *wire.ConverseRequest) error {
	if !m.Streaming {
		// [Obs] aws-samples/amazon-bedrock-client-for-mac #112.
		return invalid("The model is unsupported for streaming.")
	}
	if req.ToolConfig != nil && m.Tools && !m.StreamingTools {
		// [Obs] earendil-works/pi #3739, strands harness-sdk #393.
		return invalid("This model doesn't support tool use in streaming mode.")
	}
	return nil
}

func checkCachePoint(m Model, cp *wire.CachePointBlock, path string, allowed bool) error {
	if !allowed {
		return invalid("This model doesn't support prompt caching at %s. Remove the cachePoint block and try again.", path)
	}
	if cp.TTL == wire.CacheTTL1h && !m.CacheTTL1h {
		return invalid("This model doesn't support the 1h ttl at %s.ttl. Remove ttl (5 minutes is the default) and try again.", path)
	}
	return nil
}

// topLevelComposition refuses a tool input schema with oneOf, allOf or anyOf
// at its top level, as Anthropic models do; the service passes the model's
// own message through ("The model returned the following errors: …",
// code-yeongyu/senpi #1947: tools.24.custom.input_schema). The index is the
// tool's position in the model's tool list, where cachePoint entries of
// toolConfig.tools do not count.
func topLevelComposition(tc *wire.ToolConfiguration) error {
	n := 0
	for _, t := range tc.Tools {
		if t.CachePoint != nil {
			continue
		}
		idx := n
		n++
		if t.ToolSpec == nil || t.ToolSpec.InputSchema == nil {
			continue
		}
		var schema map[string]json.RawMessage
		if json.Unmarshal(t.ToolSpec.InputSchema.JSON, &schema) != nil {
			continue // not an object: wire validation reports it
		}
		for _, k := range []string{"oneOf", "allOf", "anyOf"} {
			if _, ok := schema[k]; ok {
				return invalid("The model returned the following errors: tools.%d.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level", idx)
			}
		}
	}
	return nil
}
