package glob

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		// Exact IDs.
		{haiku, haiku, true},
		{haiku, "us." + haiku, false},
		{haiku, haiku[:len(haiku)-1], false},
		{"", "", true},
		{"", "a", false},
		// '*' crosses ':' and '/', and may be empty.
		{"*", "", true},
		{"*", "arn:aws:bedrock:us-east-1::foundation-model/" + haiku, true},
		{"anthropic.*", haiku, true},
		{"anthropic.*", "anthropic.", true},
		{"anthropic.*", "us." + haiku, false},
		{"*.anthropic.*", "us." + haiku, true},
		{"*haiku*", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + haiku, true},
		{"arn:aws:bedrock:*:*:foundation-model/anthropic.*", "arn:aws:bedrock:eu-west-1::foundation-model/" + haiku, true},
		{"*:0", haiku, true},
		{"*:1", haiku, false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"a**c", "ac", true},
		{"*a", "aaaa", true},
		{"*ab", "aaab", true},
		{"*aab", "aab", true},
		// '?' is exactly one character: the dialect the three old matchers
		// disagreed on (routes took it literally).
		{"anthropic.claude-?-haiku-20240307-v1:0", haiku, true},
		{"anthropic.claude-?-haiku-20240307-v1:0", "anthropic.claude-35-haiku-20240307-v1:0", false},
		{"anthropic.claude-?-haiku-20240307-v1:0", "anthropic.claude--haiku-20240307-v1:0", false},
		{"?", "", false},
		{"??", "é", false},
		{"?", "é", true},
		{"mod?le", "modèle", true},
		{"mod??le", "modèle", false},
		{"?", "\xff", true},
		{"??", "\xff\xfe", true},
		{"*?", "", false},
		{"*?", "x", true},
		// No escapes and no classes.
		{`a\*`, `a\bc`, true},
		{"[ab]", "a", false},
		{"[ab]", "[ab]", true},
		// Non-ASCII literals after a star.
		{"*è", "modè", true},
		{"*\xa9", "é", false}, // a stray continuation byte is not part of é
	} {
		if got := Match(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// TestMatchLinear: a pattern built to make naive backtracking exponential
// is answered quickly; the test fails by timing out, never by a time bound.
func TestMatchLinear(t *testing.T) {
	s := strings.Repeat("a", 4096)
	p := strings.Repeat("a*", 64) + "b"
	if Match(p, s) {
		t.Fatal("matched a string without b")
	}
}

// oracle is the dialect as a regular expression, for valid UTF-8 input.
func oracle(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)$`)
	return regexp.MustCompile(b.String())
}

func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"anthropic.*", haiku},
		{"*.anthropic.*", "us." + haiku},
		{"a*b?c", "aXXbYc"},
		{"mod?le", "modèle"},
		{"*?*?", "é\xff"},
		{"**a*", "bbbbbbbbbba"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := Match(pattern, s)
		if pattern == "*" && !got {
			t.Fatalf("* did not match %q", s)
		}
		if !strings.ContainsAny(pattern, "*?") && got != (pattern == s) {
			t.Fatalf("literal %q vs %q: %v", pattern, s, got)
		}
		// The regexp decodes an invalid byte as U+FFFD; compare only where
		// that cannot blur bytes and characters.
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || len(pattern) > 64 {
			return
		}
		if want := oracle(pattern).MatchString(s); got != want {
			t.Fatalf("Match(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + haiku
	for b.Loop() {
		Match("arn:aws:bedrock:*:*:inference-profile/*.anthropic.claude-?-*", arn)
	}
}
