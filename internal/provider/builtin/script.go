package builtin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/glob"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Script is a parsed set of scripted rules for the built-in model (see
// docs/emulator.md). It is immutable; each Model that uses it keeps its own
// call counters and random source, so two servers never share state.
type Script struct {
	seed  uint64
	rules []rule
}

// Len is the number of rules.
func (s *Script) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// rule is one scripted rule: conditions, then what to answer.
type rule struct {
	name        string
	line        int
	model       string // internal/glob pattern; "" matches every model
	text        *regexp.Regexp
	toolResults *bool
	tools       []string
	stream      *bool
	calls       []int
	probability float64 // in (0, 1]
	sequence    []action
	repeat      bool
}

// action is what a rule answers with. Content left empty is the default
// behaviour's; the other fields change timing, usage or outcome.
type action struct {
	text      *string
	toolUse   []scriptedToolUse
	exception *wire.Exception
	// failAfter is the number of stream events sent before exception;
	// -1 fails before the stream starts (an HTTP error).
	failAfter        int
	delay            time.Duration
	timeToFirstToken *time.Duration
	tokensPerSecond  *float64
	usage            *usageOverride
	stopReason       wire.StopReason
}

type scriptedToolUse struct {
	name  string
	id    string
	input map[string]any // nil: filled from the tool's schema
}

type usageOverride struct {
	InputTokens           *int `yaml:"inputTokens"`
	OutputTokens          *int `yaml:"outputTokens"`
	TotalTokens           *int `yaml:"totalTokens"`
	CacheReadInputTokens  *int `yaml:"cacheReadInputTokens"`
	CacheWriteInputTokens *int `yaml:"cacheWriteInputTokens"`
}

// The YAML form. Field names are the documented keys; unknown keys are
// errors (strict decoding).
type scriptYAML struct {
	Seed  uint64     `yaml:"seed"`
	Rules []ruleYAML `yaml:"rules"`
}

type ruleYAML struct {
	Name        string       `yaml:"name"`
	Match       matchYAML    `yaml:"match"`
	Probability *float64     `yaml:"probability"`
	Reply       *actionYAML  `yaml:"reply"`
	Sequence    []actionYAML `yaml:"sequence"`
	Repeat      bool         `yaml:"repeat"`
}

type matchYAML struct {
	Model       string   `yaml:"model"`
	Text        string   `yaml:"text"`
	ToolResults *bool    `yaml:"toolResults"`
	Tools       []string `yaml:"tools"`
	Stream      *bool    `yaml:"stream"`
	Calls       []int    `yaml:"calls"`
}

type actionYAML struct {
	Text             *string        `yaml:"text"`
	ToolUse          []toolUseYAML  `yaml:"toolUse"`
	Exception        *exceptionYAML `yaml:"exception"`
	FailAfter        *int           `yaml:"failAfter"`
	Delay            duration       `yaml:"delay"`
	TimeToFirstToken *duration      `yaml:"timeToFirstToken"`
	TokensPerSecond  *float64       `yaml:"tokensPerSecond"`
	Usage            *usageOverride `yaml:"usage"`
	StopReason       string         `yaml:"stopReason"`
}

type toolUseYAML struct {
	Name      string         `yaml:"name"`
	ToolUseID string         `yaml:"toolUseId"`
	Input     map[string]any `yaml:"input"`
}

type exceptionYAML struct {
	Type               string `yaml:"type"`
	Message            string `yaml:"message"`
	OriginalStatusCode int    `yaml:"originalStatusCode"`
	OriginalMessage    string `yaml:"originalMessage"`
	ResourceName       string `yaml:"resourceName"`
}

// duration reads "250ms", "1.5s" and the like.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration: write a non-negative number with a unit, such as 250ms or 2s", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

// scriptExceptions are the exceptions a rule may answer with: those the API
// model lists for Converse and ConverseStream, plus the stream's own
// ModelStreamErrorException and the quota error Bedrock sends for daily
// token limits.
var scriptExceptions = []string{
	wire.AccessDeniedException, wire.ThrottlingException, wire.ResourceNotFoundException,
	wire.ModelTimeoutException, wire.InternalServerException, wire.ServiceUnavailableException,
	wire.ValidationException, wire.ModelNotReadyException, wire.ModelErrorException,
	wire.ModelStreamErrorException, wire.ServiceQuotaExceededException,
}

// defaultMessages are the texts Bedrock sends with the retryable
// exceptions, used when a rule gives none.
var defaultMessages = map[string]string{
	wire.ThrottlingException:         "Too many requests, please wait before trying again.",
	wire.ModelTimeoutException:       "Model has timed out in processing the request. Try your request again.",
	wire.ServiceUnavailableException: "Bedrock is unable to process your request.",
	wire.ModelNotReadyException:      "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation.",
	wire.InternalServerException:     "The server encountered an internal error while processing the request.",
	wire.ModelStreamErrorException:   "The model stream ended unexpectedly.",
}

// LoadScript reads and parses a script file; errors name the file and line.
func LoadScript(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	s, err := ParseScript(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseScript parses a script. Decoding is strict: unknown keys, wrong
// types, bad regular expressions, unknown exception types or stop reasons
// are errors that give the line.
func ParseScript(data []byte) (*Script, error) {
	var doc scriptYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("script: %w", cleanYAMLError(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("script: more than one YAML document; put every rule under one rules: list")
	}
	// A second, untyped pass gives the line of each rule and key.
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // the strict pass above succeeded
	rulesNode := lookup(&root, "rules")

	s := &Script{seed: doc.Seed}
	var errs []error
	for i, ry := range doc.Rules {
		var rn *yaml.Node
		if rulesNode != nil && i < len(rulesNode.Content) {
			rn = rulesNode.Content[i]
		}
		r, err := compileRule(i, ry, rn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.rules = append(s.rules, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// cleanYAMLError drops the Go type names yaml adds ("in type
// builtin.ruleYAML"), which mean nothing to someone writing a script.
func cleanYAMLError(err error) error {
	msg := regexp.MustCompile(` in type [\w.]+`).ReplaceAllString(err.Error(), "")
	msg = strings.ReplaceAll(msg, "yaml: unmarshal errors:\n  ", "")
	return errors.New(msg)
}

// lookup follows mapping keys from n (a document or mapping node).
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

func lineOf(n *yaml.Node, keys ...string) int {
	if v := lookup(n, keys...); v != nil {
		return v.Line
	}
	if n != nil {
		return n.Line
	}
	return 0
}

func compileRule(i int, ry ruleYAML, n *yaml.Node) (rule, error) {
	r := rule{name: ry.Name, line: lineOf(n), model: ry.Match.Model, toolResults: ry.Match.ToolResults,
		tools: ry.Match.Tools, stream: ry.Match.Stream, calls: ry.Match.Calls, repeat: ry.Repeat, probability: 1}
	label := fmt.Sprintf("rule %d", i+1)
	if r.name != "" {
		label = fmt.Sprintf("rule %d (%s)", i+1, r.name)
	}
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("line %d: %s: %s", line, label, fmt.Sprintf(format, args...))
	}
	if ry.Match.Text != "" {
		re, err := regexp.Compile(ry.Match.Text)
		if err != nil {
			return r, fail(lineOf(n, "match", "text"), "match.text is not a valid regular expression: %v", err)
		}
		r.text = re
	}
	for _, c := range r.calls {
		if c < 1 {
			return r, fail(lineOf(n, "match", "calls"), "match.calls counts from 1 (the first matching call); %d is not a call number", c)
		}
	}
	if ry.Probability != nil {
		p := *ry.Probability
		if math.IsNaN(p) || p <= 0 || p > 1 {
			return r, fail(lineOf(n, "probability"), "probability %v must be more than 0 and at most 1 (0.1 fires on one matching call in ten)", p)
		}
		r.probability = p
	}
	switch {
	case ry.Reply != nil && ry.Sequence != nil:
		return r, fail(r.line, "give either reply or sequence, not both")
	case ry.Reply != nil:
		a, err := compileAction(*ry.Reply)
		if err != nil {
			return r, fail(lineOf(n, "reply"), "reply: %v", err)
		}
		r.sequence = []action{a}
		r.repeat = true
	case len(ry.Sequence) > 0:
		seqNode := lookup(n, "sequence")
		for j, ay := range ry.Sequence {
			a, err := compileAction(ay)
			if err != nil {
				line := r.line
				if seqNode != nil && j < len(seqNode.Content) {
					line = seqNode.Content[j].Line
				}
				return r, fail(line, "sequence item %d: %v", j+1, err)
			}
			r.sequence = append(r.sequence, a)
		}
	default:
		return r, fail(r.line, "say what to answer with reply: (one answer) or sequence: (a list, one per call)")
	}
	return r, nil
}

func compileAction(ay actionYAML) (action, error) {
	a := action{text: ay.Text, delay: time.Duration(ay.Delay), failAfter: -1, tokensPerSecond: ay.TokensPerSecond, usage: ay.Usage}
	if ay.TimeToFirstToken != nil {
		d := time.Duration(*ay.TimeToFirstToken)
		a.timeToFirstToken = &d
	}
	if a.tokensPerSecond != nil && *a.tokensPerSecond < 0 {
		return a, fmt.Errorf("tokensPerSecond %v must not be negative", *a.tokensPerSecond)
	}
	for _, tu := range ay.ToolUse {
		if !toolNamePattern.MatchString(tu.Name) {
			return a, fmt.Errorf("toolUse name %q must be 1 to 64 letters, digits, _ or - (the tool's toolSpec name)", tu.Name)
		}
		if tu.ToolUseID != "" && !toolUseIDPattern.MatchString(tu.ToolUseID) {
			return a, fmt.Errorf("toolUseId %q must be 1 to 64 letters, digits, _ . : or -", tu.ToolUseID)
		}
		if _, err := json.Marshal(tu.Input); err != nil {
			return a, fmt.Errorf("toolUse %s input is not JSON: %v", tu.Name, err)
		}
		a.toolUse = append(a.toolUse, scriptedToolUse{name: tu.Name, id: tu.ToolUseID, input: tu.Input})
	}
	if ay.Exception != nil {
		ex := ay.Exception
		if !slices.Contains(scriptExceptions, ex.Type) {
			return a, fmt.Errorf("exception type %q is not one Bedrock sends; use one of %s", ex.Type, strings.Join(scriptExceptions, ", "))
		}
		if ex.OriginalStatusCode != 0 && (ex.OriginalStatusCode < 100 || ex.OriginalStatusCode > 599) {
			return a, fmt.Errorf("exception originalStatusCode %d must be an HTTP status (100 to 599)", ex.OriginalStatusCode)
		}
		msg := ex.Message
		if msg == "" {
			msg = defaultMessages[ex.Type]
		}
		if msg == "" {
			msg = "Scripted " + ex.Type + "."
		}
		a.exception = &wire.Exception{Type: ex.Type, Message: msg, OriginalStatusCode: ex.OriginalStatusCode,
			OriginalMessage: ex.OriginalMessage, ResourceName: ex.ResourceName}
	}
	if ay.FailAfter != nil {
		if *ay.FailAfter < 0 {
			return a, fmt.Errorf("failAfter %d must be the number of stream events sent before the failure (0 or more)", *ay.FailAfter)
		}
		a.failAfter = *ay.FailAfter
		if a.exception == nil {
			a.exception = &wire.Exception{Type: wire.ModelStreamErrorException, Message: defaultMessages[wire.ModelStreamErrorException], OriginalStatusCode: 500}
		}
	}
	if a.exception != nil && (a.text != nil || len(a.toolUse) > 0) && a.failAfter < 0 {
		return a, errors.New("an exception without failAfter ends the call before any content; drop text/toolUse or add failAfter")
	}
	if ay.StopReason != "" {
		sr := wire.StopReason(ay.StopReason)
		if !slices.Contains(sr.Values(), sr) {
			vals := make([]string, 0, 9)
			for _, v := range sr.Values() {
				vals = append(vals, string(v))
			}
			return a, fmt.Errorf("stopReason %q is not a Bedrock stop reason; use one of %s", ay.StopReason, strings.Join(vals, ", "))
		}
		a.stopReason = sr
	}
	if u := a.usage; u != nil {
		for _, v := range []*int{u.InputTokens, u.OutputTokens, u.TotalTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens} {
			if v != nil && *v < 0 {
				return a, errors.New("usage token counts must not be negative")
			}
		}
	}
	return a, nil
}

var (
	toolNamePattern  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	toolUseIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_.:-]{1,64}$`)
)

// matches reports whether the rule's conditions hold for a call; the call
// count and probability are checked by the caller, which keeps the counts.
func (r *rule) matches(c *provider.Call, stream bool) bool {
	if r.model != "" && !modelMatches(r.model, c) {
		return false
	}
	req := c.Request
	if r.text != nil && !r.text.MatchString(lastUserText(req.Messages)) {
		return false
	}
	if r.toolResults != nil && *r.toolResults != lastUserHasToolResults(req.Messages) {
		return false
	}
	if r.stream != nil && *r.stream != stream {
		return false
	}
	if len(r.tools) > 0 {
		offered := map[string]bool{}
		for _, s := range toolSpecs(req.ToolConfig) {
			offered[s.Name] = true
		}
		for _, t := range r.tools {
			if !offered[t] {
				return false
			}
		}
	}
	return true
}

// modelMatches matches a glob against the model ID as sent, the upstream
// model, and their base IDs, so "anthropic.*" also covers "us.anthropic.…"
// and ARNs.
func modelMatches(pattern string, c *provider.Call) bool {
	for _, id := range []string{c.ModelID, c.UpstreamModel} {
		if id != "" && (glob.Match(pattern, id) || glob.Match(pattern, catalog.BaseID(id))) {
			return true
		}
	}
	return false
}

// scriptedCalls turns a rule's tool calls into toolUse blocks. An input the
// rule leaves out is filled from the offered tool's schema, as the default
// behaviour fills it; IDs are deterministic unless the rule gives one.
func scriptedCalls(req *wire.ConverseRequest, uses []scriptedToolUse) []wire.ToolUseBlock {
	if len(uses) == 0 {
		return nil
	}
	specs := map[string]*wire.ToolSpecification{}
	for _, s := range toolSpecs(req.ToolConfig) {
		specs[s.Name] = s
	}
	question := questionOf(req.Messages)
	out := make([]wire.ToolUseBlock, 0, len(uses))
	for i, u := range uses {
		var input any = u.input
		if u.input == nil {
			input = map[string]any{}
			if s, ok := specs[u.name]; ok {
				input = fillSchema(schemaOf(s), newFiller(question))
			}
		}
		b, _ := json.Marshal(input) // checked when the script was parsed
		id := u.id
		if id == "" {
			id = toolUseID(req, u.name, i)
		}
		out = append(out, wire.ToolUseBlock{ToolUseID: id, Name: u.name, Input: b})
	}
	return out
}
