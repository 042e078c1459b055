// Package glob is the one pattern dialect of converse's configuration:
// principals' allowed models, routes and the built-in model's scripted
// rules all match model IDs with Match, so a pattern means the same thing
// wherever an operator writes it.
//
// The dialect, matched against the whole string:
//
//   - '*' matches any run of characters, including none. Unlike
//     path.Match it crosses '/' and ':', which ARNs and model versions
//     contain, so "anthropic.*" covers
//     "anthropic.claude-3-haiku-20240307-v1:0" and "*" matches everything.
//   - '?' matches exactly one character.
//   - Every other character matches itself. There is no escape and there
//     are no classes ('[' and '\' are ordinary): model IDs and ARNs never
//     contain '*' or '?'.
//
// A character is a UTF-8 sequence, or one byte that is not valid UTF-8, so
// '?' is one byte on Bedrock's ASCII model IDs and one letter on an alias
// such as "modèle". Patterns come from configuration files and are UTF-8.
package glob

import (
	"strings"
	"unicode/utf8"
)

// Match reports whether s matches pattern as a whole. It runs in
// O(len(pattern)·len(s)) time at worst and never allocates.
func Match(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// Greedy matching with one backtrack point, the last '*' seen: when a
	// later literal fails, that star absorbs one more character and the
	// rest is retried. Earlier stars never need revisiting, because the
	// last one can absorb anything they could.
	var px, sx int
	starPx, starSx := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				if s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx < 0 {
			return false
		}
		// Let the last star absorb one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starSx:])
		starSx += n
		px, sx = starPx+1, starSx
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
