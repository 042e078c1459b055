package ratelimit

import (
	"testing"
)

// BenchmarkAdmit measures one admission decision (requests and tokens
// limited, always allowed) in this process and in Redis over loopback: the
// cost a quota adds before the backend is called.
func BenchmarkAdmit(b *testing.B) {
	rule := Rule{Name: "bench", RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 40}
	req := Request{Principal: "alice", Models: []string{claude}, Tokens: func() Reserve { return Reserve{Prompt: 1000, Output: 1000} }}
	for _, tc := range []struct {
		name  string
		store func(b *testing.B) Store
	}{
		{"memory", func(*testing.B) Store { return NewMemory(MemoryOptions{}) }},
		{"redis", func(b *testing.B) Store {
			return NewRedis(benchRedis(b), RedisOptions{Prefix: "bench:"})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l, err := New(Options{Rules: []Rule{rule}, Store: tc.store(b)})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			for b.Loop() {
				if _, err := l.Admit(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
