package guardrail

import (
	"bufio"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/conversekit/converse/internal/wire"
)

//go:embed lists/profanity.txt
var profanityList string

//go:embed lists/content.txt
var contentList string

// profanity is the managed PROFANITY list, parsed once per process (it is
// read-only after that).
var profanity = sync.OnceValue(func() *phraseSet {
	var words []string
	for line := range strings.Lines(profanityList) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			words = append(words, line)
		}
	}
	return newPhraseSet(words)
})

// lexicon is one content category's phrases with their confidence levels.
type lexicon struct {
	phrases *phraseSet
	level   map[string]int // phrase → 1 LOW, 2 MEDIUM, 3 HIGH
}

var lexicons = sync.OnceValue(func() map[wire.GuardrailContentFilterType]*lexicon {
	byType := map[wire.GuardrailContentFilterType][]string{}
	levels := map[wire.GuardrailContentFilterType]map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(contentList))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		lvl, err := strconv.Atoi(f[1])
		if len(f) != 3 || err != nil || lvl < 1 || lvl > 3 {
			panic(fmt.Sprintf("guardrail: lists/content.txt: bad line %q", line)) // embedded data, checked by tests
		}
		t := wire.GuardrailContentFilterType(f[0])
		byType[t] = append(byType[t], f[2])
		if levels[t] == nil {
			levels[t] = map[string]int{}
		}
		levels[t][f[2]] = lvl
	}
	out := map[wire.GuardrailContentFilterType]*lexicon{}
	for t, ps := range byType {
		out[t] = &lexicon{phrases: newPhraseSet(ps), level: levels[t]}
	}
	return out
})

type filterRule struct {
	typ                wire.GuardrailContentFilterType
	inStrength, outStr wire.GuardrailContentFilterStrength
	actions            IO
	lex                *lexicon
}

func (f filterRule) strength(src Source) wire.GuardrailContentFilterStrength {
	if src == Input {
		return f.inStrength
	}
	return f.outStr
}

func (g *Guardrail) compileFilters(fs []ContentFilter) []error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range fs {
		t := wire.GuardrailContentFilterType(f.Type)
		if !slices.Contains(t.Values(), t) {
			errs = append(errs, fmt.Errorf("content_filters: type %q is not one of %s", f.Type, joinValues(t.Values())))
			continue
		}
		if seen[f.Type] {
			errs = append(errs, fmt.Errorf("content_filters: %s is listed twice", t))
			continue
		}
		seen[f.Type] = true
		r := filterRule{typ: t, lex: lexicons()[t]}
		var ok bool
		if r.inStrength, ok = strengthOf(f.InputStrength); !ok {
			errs = append(errs, fmt.Errorf("content_filters: %s: input_strength %q is not NONE, LOW, MEDIUM or HIGH", t, f.InputStrength))
		}
		if r.outStr, ok = strengthOf(f.OutputStrength); !ok {
			errs = append(errs, fmt.Errorf("content_filters: %s: output_strength %q is not NONE, LOW, MEDIUM or HIGH", t, f.OutputStrength))
		}
		// Bedrock's prompt attack filter applies to prompts only.
		if t == wire.GuardrailContentFilterTypePROMPTATTACK {
			if f.OutputStrength != "" && f.OutputStrength != "NONE" {
				errs = append(errs, fmt.Errorf("content_filters: PROMPT_ATTACK applies to prompts only; set its output_strength to NONE"))
			}
			r.outStr = wire.GuardrailContentFilterStrengthNONE
		}
		act, err := actions(f.Actions, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("content_filters: %s: %w", t, err))
		}
		r.actions = act
		g.filters = append(g.filters, r)
	}
	return errs
}

func strengthOf(s string) (wire.GuardrailContentFilterStrength, bool) {
	if s == "" {
		return wire.GuardrailContentFilterStrengthHIGH, true
	}
	v := wire.GuardrailContentFilterStrength(s)
	return v, slices.Contains(v.Values(), v)
}

func joinValues[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

var confidences = []wire.GuardrailContentFilterConfidence{"NONE", "LOW", "MEDIUM", "HIGH"}

// confidence scores a category in the texts: the highest level of its
// phrases found, one level more when two or more different phrases are.
func (l *lexicon) confidence(texts []string, toks [][]token) int {
	if l == nil {
		return 0
	}
	level, distinct := 0, map[string]bool{}
	for i, t := range texts {
		for _, h := range l.phrases.find(t, toks[i]) {
			distinct[h.phrase] = true
			level = max(level, l.level[h.phrase])
		}
	}
	if len(distinct) >= 2 && level < 3 {
		level++
	}
	return level
}

// blocks says whether a filter of strength s acts on confidence c: HIGH
// acts on LOW and above, MEDIUM on MEDIUM and above, LOW on HIGH only, as
// Bedrock documents its filter strengths.
func blocks(s wire.GuardrailContentFilterStrength, c int) bool {
	switch s {
	case wire.GuardrailContentFilterStrengthHIGH:
		return c >= 1
	case wire.GuardrailContentFilterStrengthMEDIUM:
		return c >= 2
	case wire.GuardrailContentFilterStrengthLOW:
		return c >= 3
	}
	return false
}
