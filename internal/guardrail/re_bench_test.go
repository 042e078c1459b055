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
