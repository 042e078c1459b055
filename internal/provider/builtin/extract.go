package builtin

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads the parts of a question a model would pick out: its
// words, content words, proper nouns, codes, quoted strings, numbers and
// coordinates. Every function reads a bounded question (questionOf keeps at
// most two windows of it), so none of them can be made to cost more by a
// huge prompt.

// token is one word of a question.
type token struct {
	text  string // as written
	lower string
	// start: the word opens a sentence (capitalised for grammar, not
	// because it is a name).
	start bool
	// gap: punctuation, not only space, separates it from the word before,
	// so the two do not form one phrase.
	gap bool
	cjk bool // a run of CJK characters, which have no spaces between words
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// tokenize splits s into words: runs of letters and digits, keeping inner
// hyphens, apostrophes and decimal points ("e-mail", "what's", "1.23");
// CJK runs are words of their own.
func tokenize(s string) []token {
	var out []token
	rs := []rune(s)
	start, gap := true, false
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isCJK(r):
			j := i
			for j < len(rs) && isCJK(rs[j]) {
				j++
			}
			w := string(rs[i:j])
			out = append(out, token{text: w, lower: w, start: start, gap: gap, cjk: true})
			start, gap, i = false, false, j
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(rs) {
				c := rs[j]
				if (unicode.IsLetter(c) && !isCJK(c)) || unicode.IsDigit(c) {
					j++
					continue
				}
				// Inner joiners: a letter or digit must follow.
				if (c == '-' || c == '\'' || c == '’' || c == '.' || c == '_') && j+1 < len(rs) && (unicode.IsLetter(rs[j+1]) && !isCJK(rs[j+1]) || unicode.IsDigit(rs[j+1])) {
					if c == '.' && !(unicode.IsDigit(rs[j-1]) && unicode.IsDigit(rs[j+1])) {
						break // a full stop, not a decimal point
					}
					j++
					continue
				}
				break
			}
			w := string(rs[i:j])
			out = append(out, token{text: w, lower: strings.ToLower(w), start: start, gap: gap})
			start, gap, i = false, false, j
		default:
			switch {
			case r == '.' || r == '?' || r == '!' || r == '\n' || r == '。' || r == '？' || r == '！':
				start, gap = true, true
			case unicode.IsSpace(r):
			default:
				gap = true
			}
			i++
		}
	}
	return out
}

// fillerWords carry no topic: articles, pronouns, auxiliaries,
// prepositions, question words, and the verbs and nouns of instructions
// ("tell me about", "write", "in 50 words").
var fillerWords = wordSet(`
		a an the this that these those there here it its it's i i'm i'd i'll me my mine we us our you your yours he she him her his they them their
		is are was were be been being am do does did done doing have has had having can could would should will shall may might must
		what what's whats which who whom whose when where why how how's whats
		and or but nor so yet if then than as of in on at to for from by with about into onto over under between through during without within
		up down out off again also just only very really quite too more most much many some any all each every both either neither no not
		please kindly tell say said says explain describe write writing give show list summarise summarize summary define discuss elaborate
		let let's lets know want need like get make help answer reply respond question questions ask asking thanks thank
		implement create generate build compose draft translate provide suggest recommend outline calculate solve find compare
		word words sentence sentences paragraph paragraphs token tokens line lines character characters short brief briefly detail detailed details
		simple simply exactly only one two three four five six seven eight nine ten single
		today now currently current right yes ok okay hi hello hey
		something anything everything thing things way ways kind sort type lot bit people person someone anyone everyone folks
		called named best worst good bad better worse great favorite favourite nice cool new old`)

// cjkInstructions are instruction words that open CJK questions; they are
// not the topic.
var cjkInstructions = []string{"请你", "请", "详细地", "详细", "简单地", "简要地", "简要", "解释一下", "解释", "介绍一下", "介绍", "描述一下", "描述", "说明", "告诉我", "什么是", "分析", "讲讲", "谈谈", "关于"}

// isContent reports whether a word can be (part of) a topic.
func isContent(t token) bool {
	if t.cjk {
		return true
	}
	if fillerWords[t.lower] || len([]rune(t.lower)) < 2 {
		return false
	}
	_, err := strconv.ParseFloat(t.lower, 64)
	return err != nil
}

// phraseCase is how a word appears inside a sentence: a capitalised word
// that only opens a sentence is lower-cased; names, acronyms and
// camelCase keep their case.
func phraseCase(t token) string {
	if !t.start || t.cjk {
		return t.text
	}
	rs := []rune(t.text)
	for _, r := range rs[1:] {
		if unicode.IsUpper(r) {
			return t.text
		}
	}
	return strings.ToLower(t.text)
}

// topicOf is what the question is about: the most prominent run of
// consecutive content words (at most four; "of" may join them, as in "the
// capital of France"). A longer run is more prominent; so is the first run
// after an opening instruction ("Explain overfitting in machine learning")
// and, more so, a run introduced by "about", "on" or "regarding" ("Write a
// poem about the ocean"); of equal runs, the first. For CJK text, its
// longest run without the instruction that opens it. "this topic" when
// nothing qualifies.
func topicOf(q string) string {
	// "a 'hello world' program": a short quoted phrase before a noun is one
	// word of the topic, hyphenated as English writes compound modifiers.
	q = quotedModifier.ReplaceAllStringFunc(q, func(m string) string {
		sub := quotedModifier.FindStringSubmatch(m)
		return strings.Join(strings.Fields(sub[1]), "-") + " " + sub[2]
	})
	toks := tokenize(q)
	instructed := len(toks) > 0 && (instructionVerbs[toks[0].lower] || (toks[0].lower == "please" && len(toks) > 1 && instructionVerbs[toks[1].lower]))
	bestStart, bestEnd, bestScore := -1, 0, 0
	first := true
	for i := 0; i < len(toks); {
		if !isContent(toks[i]) || toks[i].cjk {
			i++
			continue
		}
		j, n := i+1, 1
		for j < len(toks) && n < 4 {
			if isContent(toks[j]) && !toks[j].cjk && !toks[j].gap {
				j, n = j+1, n+1
				continue
			}
			// "capital of France": "of" joins two content words.
			if toks[j].lower == "of" && !toks[j].gap && j+1 < len(toks) && isContent(toks[j+1]) && !toks[j+1].cjk && !toks[j+1].gap {
				j, n = j+2, n+1
				continue
			}
			break
		}
		// "the purpose of a … program": the topic is what follows.
		if n == 1 && relationalNouns[toks[i].lower] && j < len(toks) && toks[j].lower == "of" {
			i = j
			continue
		}
		score := 2 * n
		if introduced(toks, i) {
			score += 3
		} else if first && instructed {
			score += 2
		}
		if score > bestScore {
			bestStart, bestEnd, bestScore = i, j, score
		}
		first = false
		i = j
	}
	if bestStart >= 0 {
		words := make([]string, 0, bestEnd-bestStart+1)
		// Keep the article the question used: "a joke", "the ocean".
		if k := bestStart - 1; k >= 0 && !toks[bestStart].gap && (toks[k].lower == "a" || toks[k].lower == "an" || toks[k].lower == "the") {
			words = append(words, toks[k].lower)
		}
		for _, t := range toks[bestStart:bestEnd] {
			words = append(words, phraseCase(t))
		}
		if s := strings.Join(words, " "); len([]rune(s)) <= 60 {
			return s
		}
	}
	best := ""
	for _, t := range toks {
		if !t.cjk {
			continue
		}
		w := t.text
		for changed := true; changed; {
			changed = false
			for _, p := range cjkInstructions {
				if rest, ok := strings.CutPrefix(w, p); ok && rest != "" {
					w, changed = rest, true
				}
			}
		}
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	if best != "" {
		if r := []rune(best); len(r) > 16 {
			best = string(r[:16])
		}
		return best
	}
	return "this topic"
}

// quotedModifier is a quoted phrase of two or three words followed by a
// word: the phrase and the first letter of that word.
var quotedModifier = regexp.MustCompile(`['‘"“]([\p{L}\p{N}]+(?:\s+[\p{L}\p{N}]+){1,2})['’"”]\s+(\p{L})`)

// relationalNouns name an aspect of something ("the purpose of X"); alone
// before "of", the topic is what follows them.
var relationalNouns = wordSet(`purpose meaning point role goal aim importance significance origin origins definition idea concept`)

// instructionVerbs open requests ("Explain …", "Write …"); what follows
// them is what the request is about.
var instructionVerbs = wordSet(`tell explain describe define summarise summarize discuss write list give show
	implement create generate compose draft translate outline compare calculate solve find suggest recommend name`)

// introduced reports whether the words before toks[i] are "about", "on",
// "regarding" or "concerning", perhaps with an article between.
func introduced(toks []token, i int) bool {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		switch toks[j].lower {
		case "about", "on", "regarding", "concerning":
			return true
		case "the", "a", "an", "my", "your", "our", "their", "its":
			continue
		}
		return false
	}
	return false
}

// properNouns are the runs of capitalised words that do not merely open a
// sentence ("New York", "Ada Lovelace"), in order.
func properNouns(q string) []string {
	// Quoted strings are titles and answers, not names.
	toks := tokenize(quotedPattern.ReplaceAllString(q, ". "))
	var out []string
	for i := 0; i < len(toks); {
		if !isName(toks[i]) {
			i++
			continue
		}
		// A capitalised word that opens a sentence is grammar ("Schedule a
		// meeting") unless a name continues it ("New York is …").
		if toks[i].start && (i+1 >= len(toks) || !isName(toks[i+1]) || toks[i+1].gap) {
			i++
			continue
		}
		j := i + 1
		for j < len(toks) && isName(toks[j]) && !toks[j].gap && !toks[j].start {
			j++
		}
		words := make([]string, 0, j-i)
		for _, t := range toks[i:j] {
			words = append(words, t.text)
		}
		out = append(out, strings.Join(words, " "))
		i = j
	}
	return out
}

func isName(t token) bool {
	if t.cjk || t.text == "" || !unicode.IsUpper([]rune(t.text)[0]) || fillerWords[t.lower] {
		return false
	}
	return isContent(t)
}

// codes are upper-case tokens such as call signs, tickers and airport
// codes ("WZPZ", "AAPL", "JFK"), optionally with digits ("KX9B").
func codes(q string) []string {
	var out []string
	for _, t := range tokenize(q) {
		rs := []rune(t.text)
		if t.cjk || len(rs) < 2 || len(rs) > 8 {
			continue
		}
		letters := 0
		ok := true
		for _, r := range rs {
			switch {
			case r >= 'A' && r <= 'Z':
				letters++
			case r >= '0' && r <= '9':
			default:
				ok = false
			}
		}
		if ok && letters >= 2 {
			out = append(out, t.text)
		}
	}
	return out
}

var quotedPattern = regexp.MustCompile(`"([^"\n]{1,200})"|“([^”\n]{1,200})”|「([^」\n]{1,200})」|(?:^|[\s(:])'([^'\n]{1,200})'(?:$|[\s.,!?;:)])`)

// quoted returns the quoted strings of q, in order.
func quoted(q string) []string {
	var out []string
	for _, m := range quotedPattern.FindAllStringSubmatch(q, -1) {
		for _, g := range m[1:] {
			if s := strings.TrimSpace(g); s != "" {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// numberPattern finds numbers that stand alone: not the digits of an ID
// such as "C001" or of a word such as "mp3".
var numberPattern = regexp.MustCompile(`(?:^|[^\p{L}\p{N}.])(-?\d+(?:[.,]\d+)?)`)

func numbersIn(s string) []float64 {
	// Dates, e-mail addresses and URLs hold digits that are not numbers.
	s = datePattern.ReplaceAllString(s, " ")
	s = emailPattern.ReplaceAllString(s, " ")
	s = urlPattern.ReplaceAllString(s, " ")
	var out []float64
	for _, m := range numberPattern.FindAllStringSubmatch(s, -1) {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", "."), 64); err == nil {
			out = append(out, f)
		}
	}
	for _, t := range tokenize(s) {
		if n, ok := smallNumbers[t.lower]; ok {
			out = append(out, float64(n))
		}
	}
	return out
}

// smallNumbers are numbers written as words.
var smallNumbers = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
}

// coordPattern is a latitude/longitude pair: "48.85, 2.35", "48.85N 2.35E",
// "-33.87,151.21". One value needs a decimal point or both a hemisphere,
// so a list of integers is not taken for coordinates.
var coordPattern = regexp.MustCompile(`(-?\d{1,2}(?:\.\d+)?)\s*°?\s*([NSns])?\s*[,/ ]\s*(-?\d{1,3}(?:\.\d+)?)\s*°?\s*([EWew])?`)

// coordinatesIn reads a latitude/longitude pair written in the text.
func coordinatesIn(s string) ([2]float64, bool) {
	for _, m := range coordPattern.FindAllStringSubmatch(s, -1) {
		if !strings.Contains(m[1]+m[3], ".") && (m[2] == "" || m[4] == "") {
			continue
		}
		lat, err1 := strconv.ParseFloat(m[1], 64)
		lon, err2 := strconv.ParseFloat(m[3], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if strings.EqualFold(m[2], "s") {
			lat = -lat
		}
		if strings.EqualFold(m[4], "w") {
			lon = -lon
		}
		if lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 {
			return [2]float64{lat, lon}, true
		}
	}
	return [2]float64{}, false
}

// subject is the part of a request that carries its content: after a
// "label:" prefix ("客户C001咨询: 产品无法开机" → "产品无法开机"), without the
// leading request words ("Can you search the web for …", "What's the …")
// and closing punctuation.
func subject(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.LastIndexAny(q, ":："); i >= 0 && i < 80 {
		_, size := utf8.DecodeRuneInString(q[i:])
		if rest := strings.TrimSpace(q[i+size:]); rest != "" {
			q = rest
		}
	}
	toks := tokenize(q)
	cut := 0
	for _, t := range toks {
		if t.cjk || !leadWords[t.lower] {
			break
		}
		cut++
	}
	if cut > 0 && cut < len(toks) {
		// Drop the lead words as written, up to the first kept word.
		first := toks[cut].text
		if i := indexWord(q, first, cut, toks); i >= 0 {
			q = q[i:]
		}
	}
	return strings.TrimRight(q, " ?!.。？！")
}

// indexWord finds the byte offset of the n-th token (whose text is w) in q.
func indexWord(q, w string, n int, toks []token) int {
	off := 0
	for i := 0; i <= n; i++ {
		j := strings.Index(q[off:], toks[i].text)
		if j < 0 {
			return -1
		}
		if i == n {
			return off + j
		}
		off += j + len(toks[i].text)
	}
	return -1
}

// leadWords open requests without being what is asked for.
var leadWords = wordSet(`please can could would will you i i'd we me us kindly just
		search find look lookup up google query fetch get retrieve show give tell let know want like need to
		for about on the a an what what's whats which who where when how is are do does some any information info
		web internet online`)

// wordSet is a set of the space-separated words of s.
func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(s) {
		set[w] = true
	}
	return set
}

// numberNear is the number the text writes next to a word of the
// property's name ("3 nights" for nights, "top 5" for top_k), if any.
func numberNear(text, name string) (float64, bool) {
	words := nameWords(name)
	related := func(t token) bool {
		w := strings.TrimSuffix(t.lower, "s")
		return len(w) >= 2 && (words[t.lower] || words[w] || words[w+"s"])
	}
	toks := tokenize(datePattern.ReplaceAllString(text, " "))
	for i, t := range toks {
		v, err := strconv.ParseFloat(t.lower, 64)
		if err != nil {
			n, ok := smallNumbers[t.lower]
			if !ok {
				continue
			}
			v = float64(n)
		}
		for j := max(0, i-2); j <= min(len(toks)-1, i+2); j++ {
			if j != i && related(toks[j]) {
				return v, true
			}
		}
	}
	return 0, false
}
