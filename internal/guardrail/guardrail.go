// Package guardrail implements Amazon Bedrock Guardrails offline: the
// policies a guardrail version defines (word, sensitive information,
// denied topics, content filters, contextual grounding) applied to text,
// with assessments in the exact shapes of the Bedrock Runtime API model.
//
// Detection is lexical and rule based, not Bedrock's machine-learning
// classifiers: docs/config.md says what each policy can and cannot see.
// Every scan is bounded (Options.MaxCharacters): the text is the caller's.
package guardrail

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// Action is what a policy does with what it detects, as Bedrock's
// CreateGuardrail names it: BLOCK, ANONYMIZE (sensitive information only)
// or NONE (detect and report only).
type Action string

// Actions.
const (
	Block     Action = "BLOCK"
	Anonymize Action = "ANONYMIZE"
	None      Action = "NONE"
)

// DefaultBlockedMessaging is the message Bedrock's console proposes for a
// new guardrail, used when a guardrail gives none.
const DefaultBlockedMessaging = "Sorry, the model cannot answer this question."

// Config is one version of one guardrail.
type Config struct {
	// ID is the guardrail identifier clients send (lower-case letters and
	// digits, as Bedrock's); Version is DRAFT (the default) or 1..99999999.
	ID      string
	Version string
	// BlockedInputMessaging and BlockedOutputsMessaging replace a blocked
	// prompt's answer and a blocked answer (default DefaultBlockedMessaging).
	BlockedInputMessaging   string
	BlockedOutputsMessaging string
	Words                   WordPolicy
	SensitiveInformation    SensitiveInformationPolicy
	Topics                  []Topic
	ContentFilters          []ContentFilter
	ContextualGrounding     []GroundingFilter
}

// IO holds a policy's action on prompts and on answers; empty means the
// policy's default (BLOCK).
type IO struct {
	Input, Output Action
}

// WordPolicy blocks words and short phrases.
type WordPolicy struct {
	// Words are custom words or phrases, matched case-insensitively on
	// word boundaries.
	Words []string
	// ManagedLists names managed word lists; PROFANITY is the one Bedrock
	// has (converse ships its own small list: lists/profanity.txt).
	ManagedLists []string
	Actions      IO
}

// SensitiveInformationPolicy finds PII entities and custom patterns.
type SensitiveInformationPolicy struct {
	PIIEntities []PIIEntity
	Regexes     []Regex
}

// PIIEntity is a built-in entity type by its Bedrock name (EMAIL, PHONE…).
type PIIEntity struct {
	Type    string
	Actions IO
}

// Regex is a custom pattern (Go RE2 syntax); ANONYMIZE replaces a match
// with {Name}.
type Regex struct {
	Name, Description, Pattern string
	Actions                    IO
}

// Topic is a denied topic: a name, a definition and example phrases.
type Topic struct {
	Name, Definition string
	Examples         []string
	Actions          IO
}

// ContentFilter is one harmful-content category with its strengths
// (NONE, LOW, MEDIUM, HIGH; default HIGH).
type ContentFilter struct {
	Type                          string
	InputStrength, OutputStrength string
	Actions                       IO
}

// GroundingFilter is a contextual grounding check: GROUNDING (is the answer
// supported by the grounding source) or RELEVANCE (does it answer the
// query), blocking below Threshold (0 to 1, below 0.99).
type GroundingFilter struct {
	Type      string
	Threshold float64
	Action    Action
}

// Options bound the work of every assessment.
type Options struct {
	// MaxCharacters is the most text one assessment reads (guarded text,
	// grounding source and query together); more is refused with a
	// ValidationException. 0 means DefaultMaxCharacters.
	MaxCharacters int
}

// DefaultMaxCharacters is 200 text units of 1,000 characters.
const DefaultMaxCharacters = 200_000

// Set is the guardrails a server knows, by identifier and version. It is
// immutable and safe for concurrent use.
type Set struct {
	byKey map[string]*Guardrail
	max   int
}

// Guardrail is one compiled guardrail version.
type Guardrail struct {
	id, version                 string
	blockedInput, blockedOutput string

	words     *phraseSet
	wordAct   IO
	profanity *phraseSet // nil: not enabled
	pii       []piiRule
	regexes   []regexRule
	topics    []topicRule
	filters   []filterRule
	grounding []groundingRule
	max       int
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9]+$`)
	versionPattern = regexp.MustCompile(`^(DRAFT|[1-9][0-9]{0,7})$`)
	arnPattern     = regexp.MustCompile(`^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/([a-z0-9]+)$`)
)

// Bedrock's CreateGuardrail quotas, kept so a configuration that works
// here also fits Bedrock.
const (
	maxWords        = 10_000
	maxRegexes      = 10
	maxRegexLength  = 500
	maxTopics       = 30
	maxExamples     = 5
	maxPhraseWords  = 3
	maxMessageChars = 500
)

// New compiles guardrail configurations; every mistake is reported, each
// naming the guardrail and the field.
func New(cfgs []Config, opts Options) (*Set, error) {
	s := &Set{byKey: map[string]*Guardrail{}, max: cmp.Or(opts.MaxCharacters, DefaultMaxCharacters)}
	var errs []error
	for i, c := range cfgs {
		c.Version = cmp.Or(c.Version, "DRAFT")
		g, err := compile(c, s.max)
		if err != nil {
			errs = append(errs, fmt.Errorf("guardrail %d (%s version %s): %w", i, c.ID, c.Version, err))
			continue
		}
		k := key(c.ID, c.Version)
		if _, dup := s.byKey[k]; dup {
			errs = append(errs, fmt.Errorf("guardrail %d: %s version %s is defined twice", i, c.ID, c.Version))
		}
		s.byKey[k] = g
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func key(id, version string) string { return id + "\x00" + version }

// Lookup finds a guardrail by the identifier a client sent (an ID or a
// guardrail ARN) and its version. A nil Set knows none.
func (s *Set) Lookup(identifier, version string) (*Guardrail, bool) {
	if s == nil {
		return nil, false
	}
	if m := arnPattern.FindStringSubmatch(identifier); m != nil {
		identifier = m[2]
	}
	g, ok := s.byKey[key(identifier, version)]
	return g, ok
}

// Len is how many guardrail versions the set holds.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byKey)
}

// ID and Version name the guardrail.
func (g *Guardrail) ID() string      { return g.id }
func (g *Guardrail) Version() string { return g.version }

// BlockedMessage is what replaces blocked content from src.
func (g *Guardrail) BlockedMessage(src Source) string {
	if src == Input {
		return g.blockedInput
	}
	return g.blockedOutput
}

func compile(c Config, max int) (*Guardrail, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !idPattern.MatchString(c.ID) {
		bad("id %q must be lower-case letters and digits, as Bedrock's guardrail IDs are", c.ID)
	}
	if !versionPattern.MatchString(c.Version) {
		bad("version %q must be DRAFT or a number from 1 to 99999999", c.Version)
	}
	g := &Guardrail{
		id: c.ID, version: c.Version, max: max,
		blockedInput:  cmp.Or(c.BlockedInputMessaging, DefaultBlockedMessaging),
		blockedOutput: cmp.Or(c.BlockedOutputsMessaging, DefaultBlockedMessaging),
	}
	for _, m := range []string{g.blockedInput, g.blockedOutput} {
		if len([]rune(m)) > maxMessageChars {
			bad("blocked messaging is longer than %d characters", maxMessageChars)
		}
	}
	// Word policy.
	if len(c.Words.Words) > maxWords {
		bad("words: %d words, at most %d", len(c.Words.Words), maxWords)
	}
	for _, w := range c.Words.Words {
		n := len(tokenize(w, 16))
		if n == 0 || n > maxPhraseWords {
			bad("words: %q must be a word or a phrase of up to %d words", w, maxPhraseWords)
		}
	}
	if len(c.Words.Words) > 0 {
		g.words = newPhraseSet(c.Words.Words)
	}
	for _, l := range c.Words.ManagedLists {
		if l != string(wire.GuardrailManagedWordTypePROFANITY) {
			bad("words: managed list %q is not PROFANITY, the only one Bedrock has", l)
			continue
		}
		g.profanity = profanity()
	}
	act, err := actions(c.Words.Actions, false)
	if err != nil {
		bad("words: %w", err)
	}
	g.wordAct = act
	errs = append(errs, g.compileSensitive(c.SensitiveInformation)...)
	errs = append(errs, g.compileTopics(c.Topics)...)
	errs = append(errs, g.compileFilters(c.ContentFilters)...)
	errs = append(errs, g.compileGrounding(c.ContextualGrounding)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// actions fills in defaults and checks the values a policy allows.
func actions(a IO, anonymize bool) (IO, error) {
	out := IO{Input: cmp.Or(a.Input, Block), Output: cmp.Or(a.Output, Block)}
	for _, v := range []Action{out.Input, out.Output} {
		switch v {
		case Block, None:
		case Anonymize:
			if !anonymize {
				return out, errors.New("ANONYMIZE applies to sensitive information only; use BLOCK or NONE")
			}
		default:
			allowed := "BLOCK or NONE"
			if anonymize {
				allowed = "BLOCK, ANONYMIZE or NONE"
			}
			return out, fmt.Errorf("action %q is not %s", v, allowed)
		}
	}
	return out, nil
}

func (a IO) of(src Source) Action {
	if src == Input {
		return a.Input
	}
	return a.Output
}

// oneLine shortens config text for error messages.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}
