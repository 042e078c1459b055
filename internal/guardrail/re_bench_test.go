package guardrail

import (
	"strings"
	"testing"
)

// BenchmarkDetectors times each PII detector alone on 10 KB of prose with
// an address and a phone number per paragraph.
func BenchmarkDetectors(b *testing.B) {
	para := "Our quarterly review covers revenue, hiring and the roadmap; contact jane.doe@example.com or +1 415-555-0132 for details. "
	text := strings.Repeat(para, 10240/len(para)+1)[:10240]
	for _, typ := range piiOrder {
		d := piiDetectors[typ]
		b.Run(string(typ), func(b *testing.B) {
			for b.Loop() {
				d.find(text)
			}
		})
	}
}

// FuzzDetectorRegions checks the trigger regions against a plain search of
// the whole text: every entity the whole-text search finds (bounded and
// valid) is found in the regions too.
func FuzzDetectorRegions(f *testing.F) {
	for _, s := range []string{"call +1 (415) 555-0132 now", "GB82 WEST 1234 5698 7654 32", "QQ 12 34 56 C", "fe80::1 and 10.0.0.1", "aa:bb:cc:dd:ee:ff", "4111 1111 1111 1111", "078-05-1120"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, typ := range piiOrder {
			d := piiDetectors[typ]
			if d.native != nil {
				continue
			}
			got := map[[2]int]bool{}
			for _, m := range d.find(text) {
				got[[2]int{m[0], m[1]}] = true
			}
			for _, dd := range []*piiDetector{&d, d.extra} {
				if dd == nil {
					continue
				}
				for _, m := range dd.re.FindAllStringIndex(text, -1) {
					if !bounded(text, m[0], m[1]) || dd.valid != nil && !dd.valid(text[m[0]:m[1]]) {
						continue
					}
					if !got[[2]int{m[0], m[1]}] {
						t.Errorf("%s: %q at %d found by a whole-text search only", typ, text[m[0]:m[1]], m[0])
					}
				}
			}
		}
	})
}
