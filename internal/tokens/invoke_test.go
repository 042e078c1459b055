package tokens

import "testing"

func TestInvokeModelBody(t *testing.T) {
	c := newCounter(t)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"prompt string", `{"prompt": "tiktoken is great!", "max_tokens": 100}`, greatTokens},
		{"not json is text", `tiktoken is great!`, greatTokens},
		{"empty object", `{}`, 0},
		// Strings are joined in sorted-key order with a newline between them.
		{"nested, keys sorted", `{"messages": [{"role": "It work!!!"}], "anthropic_version": "tiktoken is great!"}`,
			c.Text("tiktoken is great!\nIt work!!!")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.InvokeModelBody([]byte(tc.body)); got != tc.want {
				t.Errorf("InvokeModelBody(%s) = %d, want %d", tc.body, got, tc.want)
			}
		})
	}
	a := c.InvokeModelBody([]byte(`{"system": "tiktoken is great!", "prompt": "It work!!!"}`))
	b := c.InvokeModelBody([]byte(`{"prompt": "It work!!!", "system": "tiktoken is great!"}`))
	if a != b {
		t.Errorf("key order changes the count: %d vs %d", a, b)
	}
}
