package catalog

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// builtinModels is the built-in catalogue: every row cites its sources.
//
//go:embed models.yaml
var builtinModels []byte

// Entry is one model as written in models.yaml and under models: in the
// configuration file. It is the data form of a Model: Compile checks it
// and turns it into one. Zero values mean "not supported" or "unknown".
type Entry struct {
	// ID is the base model ID ("anthropic.claude-sonnet-4-6"): profile
	// prefixes and ARNs resolve to it, so it carries neither.
	ID string `yaml:"id"`
	// Kind is text (the default: Converse, ConverseStream) or embedding
	// (InvokeModel only).
	Kind string `yaml:"kind"`
	// Name is the human name (default: the ID).
	Name string `yaml:"name"`
	// Provider defaults to the ID's first dot-separated part.
	Provider string `yaml:"provider"`
	// Family selects a family's own request rules (claude).
	Family string `yaml:"family"`
	// Capabilities are names from the capabilities list below.
	Capabilities []string `yaml:"capabilities"`
	// Cache, when set, offers prompt caching.
	Cache *CacheEntry `yaml:"cache"`
	// ContextWindow is the most input tokens (0: not enforced).
	ContextWindow int `yaml:"context_window"`
	// MaxOutputTokens bounds inferenceConfig.maxTokens (0: not enforced).
	MaxOutputTokens int `yaml:"max_output_tokens"`
	// Embedding describes an embedding model (kind embedding only).
	Embedding *EmbeddingEntry `yaml:"embedding"`
	// Source says where the facts come from.
	Source string `yaml:"source"`
}

// CacheEntry is a model's prompt caching.
type CacheEntry struct {
	// MinTokens is the minimum tokens per checkpoint.
	MinTokens int `yaml:"min_tokens"`
	// TTL lists the TTLs offered: 5m (the default), 1h.
	TTL []string `yaml:"ttl"`
	// Checkpoints are the fields accepting cachePoint: system, messages,
	// tools.
	Checkpoints []string `yaml:"checkpoints"`
	// LookbackBlocks is how many blocks before a checkpoint the service
	// searches for a cached prefix (0: none).
	LookbackBlocks int `yaml:"lookback_blocks"`
	// MaxTokens caps the cacheable prefix (0: no cap).
	MaxTokens int `yaml:"max_tokens"`
}

// EmbeddingEntry is the data form of Embedding.
type EmbeddingEntry struct {
	// Dimensions a request may ask for; the first is the default.
	Dimensions     []int    `yaml:"dimensions"`
	MaxInputTokens int      `yaml:"max_input_tokens"`
	MaxTexts       int      `yaml:"max_texts"`
	Types          []string `yaml:"types"`
	Images         bool     `yaml:"images"`
}

// Model kinds.
const (
	KindText      = "text"
	KindEmbedding = "embedding"
)

// capabilities maps each capability name to the Model field it sets, in
// the order they are written.
var capabilities = []struct {
	name string
	set  func(*Model) *bool
}{
	{"streaming", func(m *Model) *bool { return &m.Streaming }},
	{"tools", func(m *Model) *bool { return &m.Tools }},
	{"streaming_tools", func(m *Model) *bool { return &m.StreamingTools }},
	{"tool_choice_any", func(m *Model) *bool { return &m.ToolChoiceAny }},
	{"tool_choice_tool", func(m *Model) *bool { return &m.ToolChoiceTool }},
	{"tool_result_status", func(m *Model) *bool { return &m.ToolResultStatus }},
	{"schema_top_level_composition", func(m *Model) *bool { return &m.SchemaTopLevelComposition }},
	{"images", func(m *Model) *bool { return &m.Images }},
	{"documents", func(m *Model) *bool { return &m.Documents }},
	{"video", func(m *Model) *bool { return &m.Video }},
	{"audio", func(m *Model) *bool { return &m.Audio }},
	{"reasoning", func(m *Model) *bool { return &m.Reasoning }},
}

// CapabilityNames lists the capability names an entry may use.
func CapabilityNames() []string {
	out := make([]string, len(capabilities))
	for i, c := range capabilities {
		out[i] = c.name
	}
	return out
}

var (
	checkpointNames = []string{"system", "messages", "tools"}
	ttlNames        = []string{"5m", "1h"}
	// embeddingTypes are Bedrock's embedding types (Titan embeddingTypes,
	// Cohere embedding_types).
	embeddingTypes = []string{"float", "int8", "uint8", "binary", "ubinary"}
)

// Model checks the entry and returns the model it describes.
func (e Entry) Model() (Model, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := checkID(e.ID); err != nil {
		return Model{}, err
	}
	provider, _, _ := strings.Cut(e.ID, ".")
	m := Model{
		ID: e.ID, Provider: cmp.Or(e.Provider, provider), Family: e.Family, Name: cmp.Or(e.Name, e.ID),
		MaxOutputTokens: e.MaxOutputTokens, ContextTokens: e.ContextWindow, Source: e.Source,
	}
	if e.ContextWindow < 0 || e.MaxOutputTokens < 0 {
		bad("context_window and max_output_tokens must not be negative")
	}
	switch e.Kind {
	case "", KindText:
		if e.Embedding != nil {
			bad("embedding applies to kind embedding only (write kind: embedding)")
		}
	case KindEmbedding:
		if len(e.Capabilities) > 0 || e.Cache != nil || e.MaxOutputTokens != 0 || e.ContextWindow != 0 {
			bad("an embedding model has no capabilities, cache, context_window or max_output_tokens; describe it under embedding")
		}
		if e.Embedding == nil {
			bad("kind embedding needs embedding: {dimensions, max_input_tokens}")
		} else {
			emb, err := e.Embedding.embedding()
			if err != nil {
				bad("embedding: %w", err)
			}
			m.Embedding = emb
		}
	default:
		bad("kind %q is not text or embedding", e.Kind)
	}
	seen := map[string]bool{}
	for _, name := range e.Capabilities {
		i := slices.IndexFunc(capabilities, func(c struct {
			name string
			set  func(*Model) *bool
		}) bool {
			return c.name == name
		})
		switch {
		case i < 0:
			bad("capability %q is not one of %s", name, strings.Join(CapabilityNames(), ", "))
		case seen[name]:
			bad("capability %q is listed twice", name)
		default:
			*capabilities[i].set(&m) = true
		}
		seen[name] = true
	}
	if m.StreamingTools && (!m.Streaming || !m.Tools) {
		bad("streaming_tools needs streaming and tools")
	}
	if (m.ToolChoiceAny || m.ToolChoiceTool) && !m.Tools {
		bad("tool_choice_any and tool_choice_tool need tools")
	}
	if c := e.Cache; c != nil {
		if err := c.apply(&m); err != nil {
			bad("cache: %w", err)
		}
	}
	if len(errs) > 0 {
		return Model{}, errors.Join(errs...)
	}
	return m, nil
}

func (c *CacheEntry) apply(m *Model) error {
	var errs []error
	if c.MinTokens < 0 || c.LookbackBlocks < 0 || c.MaxTokens < 0 {
		errs = append(errs, errors.New("min_tokens, lookback_blocks and max_tokens must not be negative"))
	}
	if c.MaxTokens > 0 && c.MaxTokens < c.MinTokens {
		errs = append(errs, fmt.Errorf("max_tokens %d is below min_tokens %d: no checkpoint could be cached", c.MaxTokens, c.MinTokens))
	}
	if len(c.Checkpoints) == 0 {
		errs = append(errs, fmt.Errorf("checkpoints is required: the fields accepting cachePoint, from %s", strings.Join(checkpointNames, ", ")))
	}
	if err := checkNames("checkpoint", c.Checkpoints, checkpointNames); err != nil {
		errs = append(errs, err)
	}
	if err := checkNames("ttl", c.TTL, ttlNames); err != nil {
		errs = append(errs, err)
	} else if len(c.TTL) > 0 && !slices.Contains(c.TTL, "5m") {
		errs = append(errs, errors.New(`ttl must include 5m: a cachePoint without ttl asks for it`))
	}
	m.MinCacheTokens, m.CacheLookbackBlocks, m.MaxCachedTokens = c.MinTokens, c.LookbackBlocks, c.MaxTokens
	m.CacheSystem = slices.Contains(c.Checkpoints, "system")
	m.CacheMessages = slices.Contains(c.Checkpoints, "messages")
	m.CacheTools = slices.Contains(c.Checkpoints, "tools")
	m.CacheTTL1h = slices.Contains(c.TTL, "1h")
	return errors.Join(errs...)
}

func (e *EmbeddingEntry) embedding() (*Embedding, error) {
	var errs []error
	if len(e.Dimensions) == 0 {
		errs = append(errs, errors.New("dimensions is required (the first is the default)"))
	}
	for i, d := range e.Dimensions {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("dimensions[%d] is %d; give positive vector lengths", i, d))
		}
		if slices.Index(e.Dimensions, d) != i {
			errs = append(errs, fmt.Errorf("dimension %d is listed twice", d))
		}
	}
	if e.MaxInputTokens <= 0 {
		errs = append(errs, errors.New("max_input_tokens must be positive"))
	}
	if e.MaxTexts < 0 {
		errs = append(errs, errors.New("max_texts must not be negative"))
	}
	if len(e.Types) == 0 {
		errs = append(errs, fmt.Errorf("types is required: the embedding types a request may ask for, from %s", strings.Join(embeddingTypes, ", ")))
	}
	if err := checkNames("type", e.Types, embeddingTypes); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Embedding{
		Dimensions: slices.Clone(e.Dimensions), MaxInputTokens: e.MaxInputTokens, MaxTexts: e.MaxTexts,
		Types: slices.Clone(e.Types), Images: e.Images,
	}, nil
}

// checkNames refuses names outside allowed and repeated names.
func checkNames(what string, names, allowed []string) error {
	for i, n := range names {
		if !slices.Contains(allowed, n) {
			return fmt.Errorf("%s %q is not one of %s", what, n, strings.Join(allowed, ", "))
		}
		if slices.Index(names, n) != i {
			return fmt.Errorf("%s %q is listed twice", what, n)
		}
	}
	return nil
}

// checkID refuses IDs Lookup could never find: the catalogue is keyed by
// base IDs, and a profile prefix or ARN is stripped before the lookup.
func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("id is required")
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("id %q contains spaces or control characters", id)
	case strings.HasPrefix(id, "arn:"):
		return fmt.Errorf("id %q is an ARN; write the base model ID (ARNs of it resolve to it)", id)
	}
	if base := BaseID(id); base != id {
		return fmt.Errorf("id %q starts with an inference-profile prefix; write the base model ID %q (profile IDs resolve to it)", id, base)
	}
	return nil
}

// EntryError is a mistake in one entry of a models list.
type EntryError struct {
	Index int    // position in the list
	ID    string // the entry's ID, if any
	Err   error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("models[%d] (%s): %v", e.Index, e.ID, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// Compile checks a models list and returns its models in order. Every
// mistake is reported, each as an *EntryError; an ID listed twice is one.
func Compile(entries []Entry) ([]Model, error) {
	var errs []error
	models := make([]Model, 0, len(entries))
	first := map[string]int{}
	for i, e := range entries {
		m, err := e.Model()
		if err == nil {
			if j, dup := first[e.ID]; dup {
				err = fmt.Errorf("the ID is already listed at models[%d]; keep one entry per ID", j)
			}
		}
		if err != nil {
			errs = append(errs, &EntryError{Index: i, ID: e.ID, Err: err})
			continue
		}
		first[e.ID] = i
		models = append(models, m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return models, nil
}

// file is the shape of models.yaml.
type file struct {
	Models []Entry `yaml:"models"`
}

// ParseFile reads a models file ("models: [...]") strictly: an unknown
// key is an error with its line, and so is every mistake Compile finds.
// name prefixes the errors.
func ParseFile(name string, data []byte) ([]Model, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	models, err := Compile(f.Models)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, WithLines(err, ItemLines(data, "models")))
	}
	return models, nil
}

// ItemLines returns the line of each item of the list under the top-level
// key of a YAML document (nil if there is none), to place errors.
func ItemLines(data []byte, key string) []int {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != key || doc.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		lines := make([]int, len(doc.Content[i+1].Content))
		for j, item := range doc.Content[i+1].Content {
			lines[j] = item.Line
		}
		return lines
	}
	return nil
}

// WithLines prefixes each *EntryError joined in err with the line of its
// entry ("line 12: models[3] (…): …").
func WithLines(err error, lines []int) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, len(list))
	for i, e := range list {
		var ee *EntryError
		if errors.As(e, &ee) && ee.Index < len(lines) {
			e = fmt.Errorf("line %d: %w", lines[ee.Index], e)
		}
		out[i] = e
	}
	return errors.Join(out...)
}
