package guardrail

import (
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// piiDetector finds one entity type: a pattern proposes candidates, valid
// (optional) confirms them with the type's checksum or structure.
//
// Go's regexp runs an unanchored search on long text with its slowest
// engine, so each detector names the bytes its entities cannot lack
// (trigger) and how far an entity reaches from them: the pattern then runs
// only on those small regions, where the fast backtracker applies. Regions
// join triggers at most gap bytes apart and extend before and after bytes.
type piiDetector struct {
	re                 *regexp.Regexp
	valid              func(string) bool
	trigger            func(byte) bool
	gap, before, after int
	// native replaces re and trigger where a few lines of code find the
	// candidates faster than a pattern can; extra adds a second pattern.
	native func(string) [][]int
	extra  *piiDetector
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isColon(c byte) bool { return c == ':' }

func ipValid(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
func isMACSep(c byte) bool { return c == ':' || c == '-' }

// piiDetectors are the entity types converse detects offline, by Bedrock's
// names. The others (NAME, ADDRESS, AGE, PASSWORD, USERNAME…) need a
// model of language that a pattern cannot be; config refuses them and
// points at custom regexes. AWS_SECRET_KEY is found without a pattern
// (secretKeys).
var piiDetectors = map[wire.GuardrailPiiEntityType]piiDetector{
	wire.GuardrailPiiEntityTypeEMAIL:        {native: emails},
	wire.GuardrailPiiEntityTypeURL:          {native: urls},
	wire.GuardrailPiiEntityTypeAWSACCESSKEY: {re: regexp.MustCompile(`(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}`)},
	wire.GuardrailPiiEntityTypeAWSSECRETKEY: {native: secretKeys},
	wire.GuardrailPiiEntityTypeCREDITDEBITCARDNUMBER: {re: regexp.MustCompile(`\d(?:[ \-]?\d){12,18}`), valid: luhnCard,
		trigger: isDigit, gap: 2, before: 0, after: 0},
	wire.GuardrailPiiEntityTypeINTERNATIONALBANKACCOUNTNUMBER: {re: regexp.MustCompile(`[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?`), valid: ibanValid,
		// after: everything the pattern can take past its check digits, which
		// may be letters only (found by FuzzDetectorRegions).
		trigger: isDigit, gap: 6, before: 2, after: 39},
	wire.GuardrailPiiEntityTypeUSSOCIALSECURITYNUMBER: {re: regexp.MustCompile(`\d{3}-\d{2}-\d{4}`), valid: ssnValid,
		trigger: isDigit, gap: 1},
	wire.GuardrailPiiEntityTypeUKNATIONALINSURANCENUMBER: {re: regexp.MustCompile(`[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]`), valid: ninoValid,
		trigger: isDigit, gap: 1, before: 3, after: 2},
	wire.GuardrailPiiEntityTypeIPADDRESS: {re: regexp.MustCompile(`\d{1,3}(?:\.\d{1,3}){3}`), valid: ipValid, trigger: isDigit, gap: 1,
		extra: &piiDetector{re: regexp.MustCompile(`(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}`), valid: ipValid, trigger: isColon, gap: 5, before: 4, after: 4}},
	wire.GuardrailPiiEntityTypeMACADDRESS: {re: regexp.MustCompile(`[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}`),
		trigger: isMACSep, gap: 2, before: 2, after: 2},
	wire.GuardrailPiiEntityTypePHONE: {re: regexp.MustCompile(`(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?|\d{2,4}[ .\-])\d{3,4}[ .\-]?\d{3,4}`), valid: phoneValid,
		trigger: isDigit, gap: 3, before: 1, after: 0},
}

// find returns the candidate spans of d in text.
func (d piiDetector) find(text string) [][]int {
	if d.native != nil {
		return d.native(text)
	}
	if d.trigger == nil {
		return d.re.FindAllStringIndex(text, maxMatchesPerRule)
	}
	var out [][]int
	if d.extra != nil {
		out = d.extra.find(text)
	}
	for _, r := range regions(text, d.trigger, d.gap, d.before, d.after) {
		for _, m := range d.re.FindAllStringIndex(text[r[0]:r[1]], maxMatchesPerRule) {
			out = append(out, []int{m[0] + r[0], m[1] + r[0]})
			if len(out) >= maxMatchesPerRule {
				return out
			}
		}
	}
	return out
}

// regions joins the trigger bytes of text that lie at most gap bytes
// apart into spans, each widened by before and after bytes (to whole
// runes) and merged where they overlap.
func regions(text string, trigger func(byte) bool, gap, before, after int) [][2]int {
	var out [][2]int
	start, last := -1, -1
	emit := func() {
		a, b := max(0, start-before), min(len(text), last+1+after)
		for a > 0 && !utf8.RuneStart(text[a]) {
			a--
		}
		for b < len(text) && !utf8.RuneStart(text[b]) {
			b++
		}
		if n := len(out); n > 0 && a <= out[n-1][1] {
			out[n-1][1] = b
			return
		}
		out = append(out, [2]int{a, b})
	}
	for i := 0; i < len(text); i++ {
		if !trigger(text[i]) {
			continue
		}
		if start >= 0 && i-last-1 > gap {
			emit()
			start = -1
		}
		if start < 0 {
			start = i
		}
		last = i
	}
	if start >= 0 {
		emit()
	}
	return out
}

// emailDomain matches the domain of an address, from the @.
var emailDomain = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}`)

func isLocalPart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || strings.IndexByte("._%+-", c) >= 0
}

// emails finds addresses around each @: up to 64 characters of local part
// before it, a dotted domain after it (at most 255 bytes).
func emails(text string) [][]int {
	var out [][]int
	for off := 0; len(out) < maxMatchesPerRule; {
		i := strings.IndexByte(text[off:], '@')
		if i < 0 {
			break
		}
		at := off + i
		off = at + 1
		s := at
		for s > 0 && at-s < 64 && isLocalPart(text[s-1]) {
			s--
		}
		if s == at {
			continue
		}
		if m := emailDomain.FindStringIndex(text[at:min(len(text), at+256)]); m != nil {
			out = append(out, []int{s, at + m[1]})
			off = at + m[1]
		}
	}
	return out
}

// urls finds http://, https://, ftp:// and www. addresses, up to the next
// space, quote or angle bracket (at most 2,000 bytes).
func urls(text string) [][]int {
	var out [][]int
	stop := func(c byte) bool { return c <= ' ' || strings.IndexByte("<>\"'`", c) >= 0 }
	add := func(start, from int) int {
		end := from
		for end < len(text) && end-start < 2000 && !stop(text[end]) {
			end++
		}
		if end-from >= 2 {
			out = append(out, []int{start, end})
		}
		return end
	}
	for i := 0; i+4 <= len(text) && len(out) < maxMatchesPerRule; i++ {
		switch {
		case text[i] == ':' && strings.HasPrefix(text[i:], "://"):
			s := i
			for s > 0 && i-s < 5 && (text[s-1]|0x20) >= 'a' && (text[s-1]|0x20) <= 'z' {
				s--
			}
			switch strings.ToLower(text[s:i]) {
			case "http", "https", "ftp":
				i = add(s, i+3) - 1
			}
		case (text[i]|0x20) == 'w' && strings.EqualFold(text[i:i+4], "www.") && (i == 0 || stop(text[i-1]) || text[i-1] == '(' || text[i-1] == '/'):
			i = add(i, i+4) - 1
		}
	}
	return out
}

// secretKeys finds 40-character runs of the characters AWS secret access
// keys are made of that look random (secretKeyLike).
func secretKeys(text string) [][]int {
	var out [][]int
	isKey := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '/' || c == '+'
	}
	for i := 0; i < len(text); {
		if !isKey(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isKey(text[j]) {
			j++
		}
		if j-i == 40 && secretKeyLike(text[i:j]) {
			out = append(out, []int{i, j})
			if len(out) >= maxMatchesPerRule {
				break
			}
		}
		i = j
	}
	return out
}

// piiOrder breaks ties between types proposing the same span: the more
// specific type wins (a card number is not reported as a phone number).
var piiOrder = []wire.GuardrailPiiEntityType{
	wire.GuardrailPiiEntityTypeEMAIL, wire.GuardrailPiiEntityTypeURL,
	wire.GuardrailPiiEntityTypeAWSACCESSKEY, wire.GuardrailPiiEntityTypeAWSSECRETKEY,
	wire.GuardrailPiiEntityTypeCREDITDEBITCARDNUMBER, wire.GuardrailPiiEntityTypeINTERNATIONALBANKACCOUNTNUMBER,
	wire.GuardrailPiiEntityTypeUSSOCIALSECURITYNUMBER, wire.GuardrailPiiEntityTypeUKNATIONALINSURANCENUMBER,
	wire.GuardrailPiiEntityTypeIPADDRESS, wire.GuardrailPiiEntityTypeMACADDRESS, wire.GuardrailPiiEntityTypePHONE,
}

// SupportedPIIEntities lists the entity types converse detects, in the
// order ties are broken.
func SupportedPIIEntities() []string {
	out := make([]string, len(piiOrder))
	for i, t := range piiOrder {
		out[i] = string(t)
	}
	return out
}

type piiRule struct {
	typ     wire.GuardrailPiiEntityType
	det     piiDetector
	actions IO
	rank    int
}

type regexRule struct {
	name, pattern string
	re            *regexp.Regexp
	actions       IO
}

func (g *Guardrail) compileSensitive(p SensitiveInformationPolicy) []error {
	var errs []error
	seen := map[string]bool{}
	for _, e := range p.PIIEntities {
		t := wire.GuardrailPiiEntityType(e.Type)
		rank := slices.Index(piiOrder, t)
		switch {
		case rank < 0 && slices.Contains(wire.GuardrailPiiEntityType("").Values(), t):
			errs = append(errs, fmt.Errorf("sensitive_information: PII type %s cannot be detected offline by converse (it needs a language model); detected types are %s, and a custom regex can cover a pattern of your own", t, strings.Join(SupportedPIIEntities(), ", ")))
			continue
		case rank < 0:
			errs = append(errs, fmt.Errorf("sensitive_information: %q is not a Bedrock PII entity type (detected offline: %s)", e.Type, strings.Join(SupportedPIIEntities(), ", ")))
			continue
		case seen[e.Type]:
			errs = append(errs, fmt.Errorf("sensitive_information: PII type %s is listed twice", t))
			continue
		}
		seen[e.Type] = true
		act, err := actions(e.Actions, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("sensitive_information: %s: %w", t, err))
		}
		g.pii = append(g.pii, piiRule{typ: t, det: piiDetectors[t], actions: act, rank: rank})
	}
	slices.SortFunc(g.pii, func(a, b piiRule) int { return a.rank - b.rank })
	if len(p.Regexes) > maxRegexes {
		errs = append(errs, fmt.Errorf("sensitive_information: %d regexes, at most %d", len(p.Regexes), maxRegexes))
	}
	names := map[string]bool{}
	for i, r := range p.Regexes {
		where := fmt.Sprintf("sensitive_information.regexes[%d] (%s)", i, r.Name)
		if r.Name == "" || names[r.Name] {
			errs = append(errs, fmt.Errorf("%s: every regex needs a name of its own (it is what {name} masks with)", where))
		}
		names[r.Name] = true
		if r.Pattern == "" || len(r.Pattern) > maxRegexLength {
			errs = append(errs, fmt.Errorf("%s: pattern must have 1 to %d characters", where, maxRegexLength))
			continue
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: pattern is not a Go (RE2) regular expression, which has no lookaround or backreferences: %w", where, err))
			continue
		}
		act, err := actions(r.Actions, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		g.regexes = append(g.regexes, regexRule{name: r.Name, pattern: r.Pattern, re: re, actions: act})
	}
	return errs
}

// span is a detected entity in one text.
type span struct {
	start, end int
	pii        *piiRule   // one of pii, regex is set
	regex      *regexRule // custom pattern
}

func (s span) label() string {
	if s.pii != nil {
		return "{" + string(s.pii.typ) + "}"
	}
	return "{" + s.regex.name + "}"
}

// maxMatchesPerRule bounds the candidates one rule may propose in one
// text, so a text of a million digits does not become a million findings.
const maxMatchesPerRule = 1000

// findSensitive returns the non-overlapping entities in text: the earliest
// wins, then the longest, then PII before custom patterns, in piiOrder.
func (g *Guardrail) findSensitive(text string) []span {
	var cands []span
	for i := range g.pii {
		r := &g.pii[i]
		for _, m := range r.det.find(text) {
			start, end := m[0], m[1]
			if r.typ == wire.GuardrailPiiEntityTypeURL {
				end = start + len(strings.TrimRight(text[start:end], ".,;:!?)]}'\""))
			}
			if !bounded(text, start, end) {
				continue
			}
			if r.det.valid != nil && !r.det.valid(text[start:end]) {
				continue
			}
			cands = append(cands, span{start: start, end: end, pii: r})
		}
	}
	for i := range g.regexes {
		r := &g.regexes[i]
		for _, m := range r.re.FindAllStringIndex(text, maxMatchesPerRule) {
			if m[1] > m[0] {
				cands = append(cands, span{start: m[0], end: m[1], regex: r})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return (b.end - b.start) - (a.end - a.start)
	})
	var out []span
	last := 0
	for _, c := range cands {
		if c.start < last {
			continue
		}
		out = append(out, c)
		last = c.end
	}
	return out
}

// bounded reports whether text[start:end] is not part of a longer word or
// number.
func bounded(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '+' || r == '/' {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '/' || r == '+' || r == '=' {
			return false
		}
	}
	return true
}

func digitsOf(s string) []int {
	var d []int
	for _, r := range s {
		if r >= '0' && r <= '9' {
			d = append(d, int(r-'0'))
		}
	}
	return d
}

// luhnCard accepts 13 to 19 digits with a valid Luhn check digit and
// consistent grouping.
func luhnCard(s string) bool {
	d := digitsOf(s)
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	if strings.Contains(s, " ") && strings.Contains(s, "-") {
		return false
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := d[i]
		if (len(d)-1-i)%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// ssnValid rejects numbers the Social Security Administration never
// issues: area 000, 666 or 900-999, group 00, serial 0000.
func ssnValid(s string) bool {
	area, group, serial := s[0:3], s[4:6], s[7:11]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// ninoValid rejects the prefixes HMRC never allocates.
func ninoValid(s string) bool {
	p := s[:2]
	return !slices.Contains([]string{"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}, p)
}

// ibanValid checks an IBAN's length and ISO 13616 mod-97 checksum.
func ibanValid(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	var b strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&b, "%d", r-'A'+10)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// phoneValid wants 10 to 15 digits (E.164's maximum) and, without a
// country code, separators: a bare run of digits is more often an ID.
func phoneValid(s string) bool {
	n := len(digitsOf(s))
	return n >= 10 && n <= 15
}

// secretKeyLike accepts 40 characters that look random: upper and lower
// case letters and a digit, slash or plus, as AWS secret access keys do.
func secretKeyLike(s string) bool {
	var upper, lower, other bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		default:
			other = true
		}
	}
	return upper && lower && other
}
