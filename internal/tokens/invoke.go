package tokens

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// InvokeModelBody counts the prompt tokens of a model-native InvokeModel
// body (CountTokens' invokeModel input). Bodies differ per model family, so
// every string in the JSON is counted (prompts, messages, system text) and
// keys are not; a body that is not JSON is counted as text.
func (c *Counter) InvokeModelBody(body []byte) int {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return c.Text(string(body))
	}
	var b strings.Builder
	collectStrings(v, &b)
	return c.Text(b.String())
}

func collectStrings(v any, b *strings.Builder) {
	switch x := v.(type) {
	case string:
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(x)
	case []any:
		for _, e := range x {
			collectStrings(e, b)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) { // stable count
			collectStrings(x[k], b)
		}
	}
}
