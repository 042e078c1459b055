package guardrail

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// Source says whose text is assessed: the prompt (INPUT) or the model's
// answer (OUTPUT). Policies may act differently on each.
type Source int

// Sources.
const (
	Input Source = iota
	Output
)

// SourceOf converts ApplyGuardrail's source.
func SourceOf(s wire.GuardrailContentSource) Source {
	if s == wire.GuardrailContentSourceOUTPUT {
		return Output
	}
	return Input
}

// Text is one block of text to assess. Without qualifiers (or with
// guard_content) it is guarded; grounding_source and query blocks only
// feed the contextual grounding check.
type Text struct {
	Text       string
	Qualifiers []wire.GuardrailContentQualifier
}

func (t Text) has(q wire.GuardrailContentQualifier) bool { return slices.Contains(t.Qualifiers, q) }

func (t Text) guarded() bool {
	return len(t.Qualifiers) == 0 || t.has(wire.GuardrailContentQualifierGuardContent)
}

// Scope chooses what an assessment reports: Interventions (what was
// detected) or Full (also what each configured policy found nothing of),
// as ApplyGuardrail's outputScope and Converse's trace enabled_full.
type Scope int

// Scopes.
const (
	Interventions Scope = iota
	Full
)

// Request is one assessment.
type Request struct {
	Source  Source
	Content []Text
	Scope   Scope
	// NoMasking reports what ANONYMIZE would mask without masking it:
	// Bedrock's asynchronous stream mode cannot mask.
	NoMasking bool
}

// Result is an assessment and what it does to the content.
type Result struct {
	// Action is GUARDRAIL_INTERVENED when a policy blocked or masked.
	Action       wire.GuardrailAction
	ActionReason string
	// Blocked: a BLOCK fired, the content must be replaced by
	// Guardrail.BlockedMessage. Masked: ANONYMIZE replaced entities.
	Blocked, Masked bool
	// Texts are the content's blocks after masking, one per Text of the
	// request (qualified grounding sources and queries unchanged).
	Texts []string
	// Assessment carries the policies' findings and invocationMetrics.
	Assessment wire.GuardrailAssessment
	Usage      wire.GuardrailUsage
	// Guarded and Total count characters, for guardrailCoverage.
	Guarded, Total int
}

// Action reasons as Bedrock words them.
const (
	reasonBlocked = "Guardrail blocked."
	reasonMasked  = "Guardrail masked."
	reasonNone    = "No action."
)

// maxReported bounds each list of findings in an assessment.
const maxReported = 100

// textUnit is Bedrock's billing unit: up to 1,000 characters.
const textUnit = 1000

func units(chars int) int { return (chars + textUnit - 1) / textUnit }

// Assess applies the guardrail's policies to content. It fails only when
// the content is larger than the set's bound (a ValidationException).
func (g *Guardrail) Assess(req Request) (*Result, error) {
	began := time.Now()
	res := &Result{Texts: make([]string, len(req.Content))}
	var guarded, sources, queries []int
	for i, t := range req.Content {
		n := utf8.RuneCountInString(t.Text)
		res.Total += n
		res.Texts[i] = t.Text
		switch {
		case t.guarded():
			guarded = append(guarded, i)
			res.Guarded += n
		case t.has(wire.GuardrailContentQualifierGroundingSource):
			sources = append(sources, i)
		case t.has(wire.GuardrailContentQualifierQuery):
			queries = append(queries, i)
		}
	}
	if res.Total > g.max {
		return nil, wire.Errorf(wire.ValidationException,
			"The content to assess has %d characters; this server's guardrails assess at most %d per request. Send less text, or raise guardrail_max_characters in the server's config.", res.Total, g.max)
	}
	texts := make([]string, len(guarded))
	toks := make([][]token, len(guarded))
	for j, i := range guarded {
		texts[j] = req.Content[i].Text
		toks[j] = tokenize(texts[j], len(texts[j]))
	}
	a := &res.Assessment
	var blocked, masked bool

	// Word policy (full scope does not apply to words, as on Bedrock).
	if g.words != nil || g.profanity != nil {
		res.Usage.WordPolicyUnits = units(res.Guarded)
		wp := &wire.GuardrailWordPolicyAssessment{CustomWords: []wire.GuardrailCustomWord{}, ManagedWordLists: []wire.GuardrailManagedWord{}}
		act := g.wordAct.of(req.Source)
		seen := map[string]bool{}
		for j, t := range texts {
			for _, list := range []*phraseSet{g.words, g.profanity} {
				if list == nil {
					continue
				}
				for _, h := range list.find(t, toks[j]) {
					if act == Block {
						blocked = true
					}
					m := t[h.start:h.end]
					k := strings.ToLower(m)
					if list == g.profanity {
						k = "\x00" + k
					}
					if seen[k] || len(wp.CustomWords)+len(wp.ManagedWordLists) >= maxReported {
						continue
					}
					seen[k] = true
					if list == g.words {
						wp.CustomWords = append(wp.CustomWords, wire.GuardrailCustomWord{Match: m, Action: wordAction(act), Detected: wire.Ptr(true)})
					} else {
						wp.ManagedWordLists = append(wp.ManagedWordLists, wire.GuardrailManagedWord{Match: m, Type: wire.GuardrailManagedWordTypePROFANITY, Action: wordAction(act), Detected: wire.Ptr(true)})
					}
				}
			}
		}
		if len(wp.CustomWords)+len(wp.ManagedWordLists) > 0 {
			a.WordPolicy = wp
		}
	}

	// Sensitive information.
	if len(g.pii) > 0 || len(g.regexes) > 0 {
		if len(g.pii) > 0 {
			res.Usage.SensitiveInformationPolicyUnits = units(res.Guarded)
		} else {
			res.Usage.SensitiveInformationPolicyFreeUnits = units(res.Guarded)
		}
		sp := &wire.GuardrailSensitiveInformationPolicyAssessment{PIIEntities: []wire.GuardrailPiiEntityFilter{}, Regexes: []wire.GuardrailRegexFilter{}}
		found := map[wire.GuardrailPiiEntityType]bool{}
		for j, t := range texts {
			spans := g.findSensitive(t)
			var out strings.Builder
			last, changed := 0, false
			for _, s := range spans {
				var act Action
				if s.pii != nil {
					act = s.pii.actions.of(req.Source)
					found[s.pii.typ] = true
				} else {
					act = s.regex.actions.of(req.Source)
				}
				if act == Anonymize && req.NoMasking {
					act = None
				}
				switch act {
				case Block:
					blocked = true
				case Anonymize:
					masked, changed = true, true
					out.WriteString(t[last:s.start])
					out.WriteString(s.label())
					last = s.end
				}
				if len(sp.PIIEntities)+len(sp.Regexes) >= maxReported {
					continue
				}
				m := t[s.start:s.end]
				if s.pii != nil {
					sp.PIIEntities = append(sp.PIIEntities, wire.GuardrailPiiEntityFilter{Match: m, Type: s.pii.typ, Action: sensitiveAction(act), Detected: wire.Ptr(true)})
				} else {
					sp.Regexes = append(sp.Regexes, wire.GuardrailRegexFilter{Name: s.regex.name, Match: m, Regex: s.regex.pattern, Action: sensitiveAction(act), Detected: wire.Ptr(true)})
				}
			}
			if changed {
				out.WriteString(t[last:])
				res.Texts[guarded[j]] = out.String()
			}
		}
		if req.Scope == Full {
			for _, r := range g.pii {
				if !found[r.typ] {
					sp.PIIEntities = append(sp.PIIEntities, wire.GuardrailPiiEntityFilter{Type: r.typ, Action: wire.GuardrailSensitiveInformationPolicyActionNONE, Detected: wire.Ptr(false)})
				}
			}
		}
		if len(sp.PIIEntities)+len(sp.Regexes) > 0 {
			a.SensitiveInformationPolicy = sp
		}
	}

	// Denied topics.
	if len(g.topics) > 0 {
		res.Usage.TopicPolicyUnits = units(res.Guarded)
		tp := &wire.GuardrailTopicPolicyAssessment{Topics: []wire.GuardrailTopic{}}
		for i := range g.topics {
			r := &g.topics[i]
			hit := false
			for j, t := range texts {
				for _, s := range sentences(t, toks[j]) {
					if r.matches(s) {
						hit = true
						break
					}
				}
				if hit {
					break
				}
			}
			act := r.actions.of(req.Source)
			switch {
			case hit:
				if act == Block {
					blocked = true
				}
				tp.Topics = append(tp.Topics, wire.GuardrailTopic{Name: r.name, Type: wire.GuardrailTopicTypeDENY, Action: topicAction(act), Detected: wire.Ptr(true)})
			case req.Scope == Full:
				tp.Topics = append(tp.Topics, wire.GuardrailTopic{Name: r.name, Type: wire.GuardrailTopicTypeDENY, Action: wire.GuardrailTopicPolicyActionNONE, Detected: wire.Ptr(false)})
			}
		}
		if len(tp.Topics) > 0 {
			a.TopicPolicy = tp
		}
	}

	// Content filters.
	if len(g.filters) > 0 {
		res.Usage.ContentPolicyUnits = units(res.Guarded)
		cp := &wire.GuardrailContentPolicyAssessment{Filters: []wire.GuardrailContentFilter{}}
		for _, f := range g.filters {
			strength := f.strength(req.Source)
			conf := 0
			if !(f.typ == wire.GuardrailContentFilterTypePROMPTATTACK && req.Source == Output) {
				conf = f.lex.confidence(texts, toks)
			}
			hit := blocks(strength, conf)
			act := f.actions.of(req.Source)
			switch {
			case hit:
				if act == Block {
					blocked = true
				}
				cp.Filters = append(cp.Filters, wire.GuardrailContentFilter{Type: f.typ, Confidence: confidences[conf], FilterStrength: strength, Action: contentAction(act), Detected: wire.Ptr(true)})
			case req.Scope == Full:
				cp.Filters = append(cp.Filters, wire.GuardrailContentFilter{Type: f.typ, Confidence: confidences[conf], FilterStrength: strength, Action: wire.GuardrailContentPolicyActionNONE, Detected: wire.Ptr(false)})
			}
		}
		if len(cp.Filters) > 0 {
			a.ContentPolicy = cp
		}
	}

	// Contextual grounding: answers only, and only with a grounding source
	// and a query to judge them against.
	if len(g.grounding) > 0 && req.Source == Output && len(sources) > 0 && len(queries) > 0 {
		var srcWords, queryWords, answerWords []string
		chars := res.Guarded
		for _, i := range sources {
			srcWords = append(srcWords, contentWords(tokenize(req.Content[i].Text, len(req.Content[i].Text)))...)
			chars += utf8.RuneCountInString(req.Content[i].Text)
		}
		for _, i := range queries {
			queryWords = append(queryWords, contentWords(tokenize(req.Content[i].Text, len(req.Content[i].Text)))...)
			chars += utf8.RuneCountInString(req.Content[i].Text)
		}
		for _, t := range toks {
			answerWords = append(answerWords, contentWords(t)...)
		}
		res.Usage.ContextualGroundingPolicyUnits = units(chars)
		gp := &wire.GuardrailContextualGroundingPolicyAssessment{}
		for _, r := range g.grounding {
			score := overlap(answerWords, srcWords)
			if r.typ == wire.GuardrailContextualGroundingFilterTypeRELEVANCE {
				score = overlap(queryWords, answerWords)
			}
			hit := score < r.threshold
			act := wire.GuardrailContextualGroundingPolicyActionNONE
			if hit && r.action == Block {
				blocked = true
				act = wire.GuardrailContextualGroundingPolicyActionBLOCKED
			}
			gp.Filters = append(gp.Filters, wire.GuardrailContextualGroundingFilter{Type: r.typ, Threshold: r.threshold, Score: score, Action: act, Detected: wire.Ptr(hit)})
		}
		a.ContextualGroundingPolicy = gp
	}

	res.Usage.ContentPolicyImageUnits = wire.Ptr(0)
	res.Usage.AutomatedReasoningPolicyUnits = wire.Ptr(0)
	res.Usage.AutomatedReasoningPolicies = wire.Ptr(0)
	res.Blocked, res.Masked = blocked, masked && !blocked
	switch {
	case blocked:
		res.Action, res.ActionReason = wire.GuardrailActionGUARDRAILINTERVENED, reasonBlocked
	case masked:
		res.Action, res.ActionReason = wire.GuardrailActionGUARDRAILINTERVENED, reasonMasked
	default:
		res.Action, res.ActionReason = wire.GuardrailActionNONE, reasonNone
	}
	usage := res.Usage
	a.InvocationMetrics = &wire.GuardrailInvocationMetrics{
		GuardrailProcessingLatency: wire.Ptr(time.Since(began).Milliseconds()),
		Usage:                      &usage,
		GuardrailCoverage:          res.Coverage(),
	}
	return res, nil
}

// Coverage is the guardrailCoverage of the assessment.
func (r *Result) Coverage() *wire.GuardrailCoverage {
	return &wire.GuardrailCoverage{TextCharacters: &wire.GuardrailTextCharactersCoverage{Guarded: wire.Ptr(r.Guarded), Total: wire.Ptr(r.Total)}}
}

// Details is the appliedGuardrailDetails of an assessment of g requested
// as identifier (an ARN identifier is echoed as guardrailArn).
func (g *Guardrail) Details(identifier string) *wire.AppliedGuardrailDetails {
	d := &wire.AppliedGuardrailDetails{
		GuardrailID: g.id, GuardrailVersion: g.version,
		GuardrailOrigin:    []wire.GuardrailOrigin{wire.GuardrailOriginREQUEST},
		GuardrailOwnership: wire.GuardrailOwnershipSELF,
	}
	if arnPattern.MatchString(identifier) {
		d.GuardrailARN = identifier
	}
	return d
}

func wordAction(a Action) wire.GuardrailWordPolicyAction {
	if a == Block {
		return wire.GuardrailWordPolicyActionBLOCKED
	}
	return wire.GuardrailWordPolicyActionNONE
}

func topicAction(a Action) wire.GuardrailTopicPolicyAction {
	if a == Block {
		return wire.GuardrailTopicPolicyActionBLOCKED
	}
	return wire.GuardrailTopicPolicyActionNONE
}

func contentAction(a Action) wire.GuardrailContentPolicyAction {
	if a == Block {
		return wire.GuardrailContentPolicyActionBLOCKED
	}
	return wire.GuardrailContentPolicyActionNONE
}

func sensitiveAction(a Action) wire.GuardrailSensitiveInformationPolicyAction {
	switch a {
	case Block:
		return wire.GuardrailSensitiveInformationPolicyActionBLOCKED
	case Anonymize:
		return wire.GuardrailSensitiveInformationPolicyActionANONYMIZED
	}
	return wire.GuardrailSensitiveInformationPolicyActionNONE
}
