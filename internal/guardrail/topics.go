package guardrail

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// topicRule matches a denied topic lexically. A sentence is on the topic
// when it holds most of the content words of one example phrase (at least
// 60 %, and two words when the example has two or more), or three
// different content words of the topic's name and definition.
type topicRule struct {
	name     string
	actions  IO
	examples [][]string      // stemmed content words of each example
	keywords map[string]bool // stemmed content words of name + definition
}

const (
	maxDefinitionChars = 200
	maxExampleChars    = 100
	maxTopicNameChars  = 100
	exampleCoverage    = 0.6
	keywordHits        = 3
)

func (g *Guardrail) compileTopics(ts []Topic) []error {
	var errs []error
	if len(ts) > maxTopics {
		errs = append(errs, fmt.Errorf("topics: %d topics, at most %d", len(ts), maxTopics))
	}
	names := map[string]bool{}
	for i, t := range ts {
		where := fmt.Sprintf("topics[%d] (%s)", i, oneLine(t.Name))
		switch {
		case t.Name == "" || utf8.RuneCountInString(t.Name) > maxTopicNameChars:
			errs = append(errs, fmt.Errorf("%s: name must have 1 to %d characters", where, maxTopicNameChars))
		case names[t.Name]:
			errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
		}
		names[t.Name] = true
		if t.Definition == "" || utf8.RuneCountInString(t.Definition) > maxDefinitionChars {
			errs = append(errs, fmt.Errorf("%s: definition must have 1 to %d characters", where, maxDefinitionChars))
		}
		if len(t.Examples) > maxExamples {
			errs = append(errs, fmt.Errorf("%s: %d examples, at most %d", where, len(t.Examples), maxExamples))
		}
		r := topicRule{name: t.Name, keywords: map[string]bool{}}
		for _, w := range contentWords(tokenize(t.Name+" "+t.Definition, 512)) {
			r.keywords[w] = true
		}
		for _, ex := range t.Examples {
			if utf8.RuneCountInString(ex) > maxExampleChars {
				errs = append(errs, fmt.Errorf("%s: example %q is longer than %d characters", where, oneLine(ex), maxExampleChars))
			}
			if words := dedupe(contentWords(tokenize(ex, 256))); len(words) > 0 {
				r.examples = append(r.examples, words)
			}
		}
		act, err := actions(t.Actions, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		r.actions = act
		g.topics = append(g.topics, r)
	}
	return errs
}

func dedupe(words []string) []string {
	seen := map[string]bool{}
	out := words[:0]
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// sentences splits a text's tokens at sentence ends (. ! ? ; and line
// breaks), so a topic's words must meet within one sentence.
func sentences(text string, toks []token) [][]token {
	var out [][]token
	begin := 0
	for i := 1; i <= len(toks); i++ {
		if i == len(toks) || strings.ContainsAny(text[toks[i-1].end:toks[i].start], ".!?;\n") {
			out = append(out, toks[begin:i])
			begin = i
		}
	}
	return out
}

// matches reports whether one sentence is on the topic.
func (r *topicRule) matches(sentence []token) bool {
	words := map[string]bool{}
	for _, w := range contentWords(sentence) {
		words[w] = true
	}
	for _, ex := range r.examples {
		hit := 0
		for _, w := range ex {
			if words[w] {
				hit++
			}
		}
		need := max(2, int(float64(len(ex))*exampleCoverage+0.999))
		if len(ex) == 1 {
			need = 1
		}
		if hit >= need {
			return true
		}
	}
	hit := 0
	for w := range words {
		if r.keywords[w] {
			hit++
		}
	}
	return hit >= keywordHits
}
