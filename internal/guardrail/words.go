package guardrail

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: its lower-cased form and where it sits in
// the original (byte offsets), so a match can be reported and masked as
// the caller wrote it.
type token struct {
	word       string
	start, end int
}

// tokenize splits s into words: runs of letters and digits, with inner
// apostrophes and hyphens kept ("don't", "e-mail"). At most max tokens are
// returned; callers bound the input, this bounds the work per text.
func tokenize(s string, max int) []token {
	var out []token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := strings.TrimRight(s[start:end], "'-’")
			out = append(out, token{word: strings.ToLower(w), start: start, end: start + len(w)})
			start = -1
		}
	}
	for i, r := range s {
		if len(out) >= max {
			return out
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
		case (r == '\'' || r == '-' || r == '’') && start >= 0:
			// inner punctuation stays in the word; trailing is trimmed
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

// phraseSet matches words and phrases of up to a few words, case
// insensitively, on word boundaries: "ass" does not match "class".
type phraseSet struct {
	first map[string][][]string // first word → the phrases starting with it
	text  map[string]string     // joined phrase → the phrase as configured
}

func newPhraseSet(phrases []string) *phraseSet {
	ps := &phraseSet{first: map[string][][]string{}, text: map[string]string{}}
	for _, p := range phrases {
		var words []string
		for _, t := range tokenize(p, 16) {
			words = append(words, t.word)
		}
		if len(words) == 0 {
			continue
		}
		key := strings.Join(words, " ")
		if _, dup := ps.text[key]; dup {
			continue
		}
		ps.text[key] = p
		ps.first[words[0]] = append(ps.first[words[0]], words)
	}
	return ps
}

// phraseHit is a phrase found in a text.
type phraseHit struct {
	phrase     string // as configured
	start, end int    // byte span in the text
}

// find returns every occurrence of the set's phrases in toks (from text),
// longest first at each position, without overlaps.
func (ps *phraseSet) find(text string, toks []token) []phraseHit {
	var hits []phraseHit
	for i := 0; i < len(toks); i++ {
		best := -1
		var bestKey string
		for _, words := range ps.first[toks[i].word] {
			if len(words) <= best || i+len(words) > len(toks) {
				continue
			}
			ok := true
			for j := 1; j < len(words); j++ {
				if toks[i+j].word != words[j] {
					ok = false
					break
				}
			}
			if ok {
				best, bestKey = len(words), strings.Join(words, " ")
			}
		}
		if best > 0 {
			hits = append(hits, phraseHit{phrase: ps.text[bestKey], start: toks[i].start, end: toks[i+best-1].end})
			i += best - 1
		}
	}
	return hits
}

// stem is a light English stemmer for lexical overlap (topics, grounding):
// it folds plurals and common verb endings so "investing", "invests" and
// "invest" meet. It is not a linguistic stemmer, and says so in the docs.
func stem(w string) string {
	n := utf8.RuneCountInString(w)
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if n > len(suf)+3 && strings.HasSuffix(w, suf) {
			w = strings.TrimSuffix(w, suf)
			break
		}
	}
	return w
}

// stopwords carry no topic: they are left out of lexical overlap.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are aren't as at be because
been before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
down during each few for from further had hadn't has hasn't have haven't having he her here hers herself him himself
his how i if in into is isn't it it's its itself just let's me more most my myself no nor not of off on once only or
other ought our ours ourselves out over own same she should so some such than that that's the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves tell give get make know want need please
also may might must shall like one`) {
		m[w] = true
	}
	return m
}()

// contentWords returns the stemmed words of toks that carry meaning.
func contentWords(toks []token) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if stopwords[t.word] || len(t.word) < 2 {
			continue
		}
		out = append(out, stem(t.word))
	}
	return out
}
