package router

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// metered answers with text and reports usage; for streams it can stop
// after its text with an error or without a metadata event.
type metered struct {
	text      string
	usage     *wire.TokenUsage
	err       error // Converse: fail; stream: fail before any event
	midStream error // stream: fail after the text
	calls     int
	mu        sync.Mutex
}

func (m *metered) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: &m.text}}}},
		StopReason: wire.StopReasonEndTurn, Usage: m.usage,
	}, nil
}

func (m *metered) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		m.mu.Lock()
		m.calls++
		m.mu.Unlock()
		if m.err != nil {
			yield(nil, m.err)
			return
		}
		events := []*wire.StreamEvent{
			{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &m.text}}},
		}
		for _, ev := range events {
			if !yield(ev, nil) {
				return
			}
		}
		if m.midStream != nil {
			yield(nil, m.midStream)
			return
		}
		for _, ev := range []*wire.StreamEvent{
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: m.usage}},
		} {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// ledger is a store that records what the router reserves and settles.
type ledger struct {
	ratelimit.Store
	mu       sync.Mutex
	reserved []int64
	settled  []int64 // reserved + delta: what each settled call was charged
	released int     // concurrency slots freed
}

func (l *ledger) Admit(ctx context.Context, b ratelimit.Bucket, tokens int64, lease string) (ratelimit.Decision, error) {
	d, err := l.Store.Admit(ctx, b, tokens, lease)
	if err == nil && d.Allowed {
		l.mu.Lock()
		l.reserved = append(l.reserved, tokens)
		l.mu.Unlock()
	}
	return d, err
}

func (l *ledger) Settle(ctx context.Context, b ratelimit.Bucket, delta int64, lease string) error {
	l.mu.Lock()
	l.settled = append(l.settled, l.reserved[len(l.settled)]+delta)
	if lease != "" {
		l.released++
	}
	l.mu.Unlock()
	return l.Store.Settle(ctx, b, delta, lease)
}

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

func quotaRouter(t *testing.T, backend provider.Provider, rules ...ratelimit.Rule) (*Router, *ledger) {
	t.Helper()
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	l := &ledger{Store: ratelimit.NewMemory(ratelimit.MemoryOptions{})}
	r, err := New(Options{
		Backends: map[string]provider.Provider{"builtin": backend}, Default: "builtin",
		Aliases: map[string]string{"fast": haiku},
		Tokens:  tok, Catalog: catalog.New(),
		Quotas: ratelimit.Options{Rules: rules, Store: l},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, l
}

func quotaCall(principal, model string, maxTokens int) *provider.Call {
	c := call(model)
	c.Principal = principal
	if maxTokens > 0 {
		c.Request.InferenceConfig = &wire.InferenceConfiguration{MaxTokens: &maxTokens}
	}
	return c
}

func exceptionType(err error) string {
	var ex *wire.Exception
	if errors.As(err, &ex) {
		return ex.Type
	}
	return ""
}

// Admission comes before any backend is called; the rule is matched on the
// model ID as sent, as aliased and as its base ID, with the routes' glob.
func TestQuotaAdmission(t *testing.T) {
	backend := &metered{text: "hi", usage: &wire.TokenUsage{InputTokens: 3, OutputTokens: 1, TotalTokens: 4}}
	r, _ := quotaRouter(t, backend, ratelimit.Rule{Name: "claude", Principal: "team-*", Model: "anthropic.*", RequestsPerMinute: 2})
	for i, model := range []string{"fast", "us." + haiku} {
		if _, err := r.Converse(t.Context(), quotaCall("team-a", model, 0)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := r.Converse(t.Context(), quotaCall("team-a", "arn:aws:bedrock:us-east-1::foundation-model/"+haiku, 0))
	if exceptionType(err) != wire.ThrottlingException || !strings.Contains(err.Error(), `"claude"`) {
		t.Fatalf("third call: %v, want ThrottlingException naming the rule", err)
	}
	var events int
	for ev, err := range r.ConverseStream(t.Context(), quotaCall("team-a", haiku, 0)) {
		events++
		if ev != nil || exceptionType(err) != wire.ThrottlingException {
			t.Fatalf("stream: %v, %v; want a ThrottlingException before any event", ev, err)
		}
	}
	if events != 1 || backend.calls != 2 {
		t.Errorf("stream yielded %d items; backend called %d times, want 1 and 2", events, backend.calls)
	}
	// Other principals and models are not limited by the rule.
	for _, c := range []*provider.Call{quotaCall("other", haiku, 0), quotaCall("team-a", "amazon.nova-lite-v1:0", 0)} {
		if _, err := r.Converse(t.Context(), c); err != nil {
			t.Errorf("%s on %s: %v", c.Principal, c.ModelID, err)
		}
	}
}

// What each kind of ending charges: reported usage when there is one;
// nothing for a call that failed before any output; the prompt plus the
// streamed output for a stream cut short or abandoned. Every ending frees
// its concurrency slot.
func TestQuotaSettlement(t *testing.T) {
	tok, _ := sharedTokens()
	long := strings.Repeat("streamed words ", 40)
	usage := &wire.TokenUsage{InputTokens: 7, OutputTokens: 30, TotalTokens: 37}
	prompt := int64(tok.Converse(tokensInput(quotaCall("a", haiku, 0))).Total)
	streamedTokens := int64(tok.Text(long))
	boom := wire.Errorf(wire.ModelErrorException, "boom")
	for _, tc := range []struct {
		name    string
		backend *metered
		stream  bool
		stopAt  int // stream: stop reading after this many events (0: read all)
		want    int64
	}{
		{"converse usage", &metered{text: long, usage: usage}, false, 0, 37},
		{"converse with cache usage", &metered{text: long, usage: &wire.TokenUsage{InputTokens: 2, OutputTokens: 3, CacheReadInputTokens: ptr(100), CacheWriteInputTokens: ptr(50)}}, false, 0, 155},
		{"converse error", &metered{err: boom}, false, 0, 0},
		{"stream usage", &metered{text: long, usage: usage}, true, 0, 37},
		{"stream error before any event", &metered{err: boom}, true, 0, 0},
		{"stream error after text", &metered{text: long, usage: usage, midStream: boom}, true, 0, prompt + streamedTokens},
		{"stream abandoned after text", &metered{text: long, usage: usage}, true, 2, prompt + streamedTokens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, l := quotaRouter(t, tc.backend, ratelimit.Rule{Name: "q", TokensPerMinute: 100000, Concurrent: 1})
			c := quotaCall("a", haiku, 500)
			if tc.stream {
				n := 0
				for range r.ConverseStream(t.Context(), c) {
					n++
					if n == tc.stopAt {
						break
					}
				}
			} else {
				_, _ = r.Converse(t.Context(), c)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if len(l.reserved) != 1 || l.reserved[0] != prompt+500 {
				t.Errorf("reserved %v, want [%d] (prompt %d + maxTokens 500)", l.reserved, prompt+500, prompt)
			}
			if len(l.settled) != 1 || l.settled[0] != tc.want {
				t.Errorf("charged %v, want [%d]", l.settled, tc.want)
			}
			if l.released != 1 {
				t.Errorf("released %d slots, want 1", l.released)
			}
		})
	}
}

// Without maxTokens the reservation is the configured default output,
// capped by the model's maximum output.
func TestQuotaReserveDefaults(t *testing.T) {
	tok, _ := sharedTokens()
	backend := &metered{text: "x", usage: &wire.TokenUsage{}}
	for _, tc := range []struct {
		model     string
		maxTokens int
		want      int64
	}{
		{haiku, 0, DefaultQuotaOutputTokens},
		{"anthropic.claude-v2:1", 0, 4096},           // maximum 4096
		{"meta.llama3-2-11b-instruct-v1:0", 0, 2048}, // maximum 2048 caps the default
		{haiku, 123, 123},
	} {
		r, l := quotaRouter(t, backend, ratelimit.Rule{Name: "q", TokensPerMinute: 1 << 30})
		c := quotaCall("a", tc.model, tc.maxTokens)
		if _, err := r.Converse(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		prompt := int64(tok.Converse(tokensInput(c)).Total)
		if got := l.reserved[0] - prompt; got != tc.want {
			t.Errorf("%s maxTokens %d: output reserve %d, want %d", tc.model, tc.maxTokens, got, tc.want)
		}
	}
}

// A request reserving more than a minute's tokens fails at once with
// ServiceQuotaExceededException; one that only has to wait is throttled.
func TestQuotaNeverFits(t *testing.T) {
	backend := &metered{text: "x", usage: &wire.TokenUsage{InputTokens: 8, OutputTokens: 400}}
	r, _ := quotaRouter(t, backend, ratelimit.Rule{Name: "small", TokensPerMinute: 1000})
	_, err := r.Converse(t.Context(), quotaCall("a", haiku, 2000))
	if exceptionType(err) != wire.ServiceQuotaExceededException || !strings.Contains(err.Error(), "allows 1000 tokens per minute") {
		t.Fatalf("got %v, want ServiceQuotaExceededException", err)
	}
	// Reserves 900 + prompt, is charged 408: without the refund the next
	// call would not fit.
	if _, err := r.Converse(t.Context(), quotaCall("a", haiku, 900)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Converse(t.Context(), quotaCall("a", haiku, 500)); err != nil {
		t.Fatal(err)
	}
	// 816 charged: 500 more do not fit for now.
	_, err = r.Converse(t.Context(), quotaCall("a", haiku, 500))
	if exceptionType(err) != wire.ThrottlingException {
		t.Errorf("got %v, want ThrottlingException", err)
	}
	if backend.calls != 2 {
		t.Errorf("backend called %d times, want 2", backend.calls)
	}
}

func ptr[T any](v T) *T { return &v }

func tokensInput(c *provider.Call) tokens.Input { return tokens.FromRequest(c.Request) }
