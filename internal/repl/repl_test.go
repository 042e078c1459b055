package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

const (
	sonnet = "anthropic.claude-sonnet-4-20250514-v1:0"
	// hangModel is routed to a backend that sends one piece of text and
	// then waits for the client to go.
	hangModel = "amazon.nova-lite-v1:0"
)

// guard bounds every wait: a hang fails the test, a slow machine does not.
const guard = 60 * time.Second

// screen is the session's output; tests wait for what should appear.
type screen struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{}
	pos     int // expect searches from here
}

func newScreen() *screen { return &screen{changed: make(chan struct{})} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

// expect waits until want appears after the previous match and returns
// the output between the previous match and the end of this one.
func (s *screen) expect(t *testing.T, want string) string {
	t.Helper()
	timeout := time.NewTimer(guard)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		out, changed, from := s.buf.String(), s.changed, s.pos
		if i := strings.Index(out[from:], want); i >= 0 {
			s.pos = from + i + len(want)
			s.mu.Unlock()
			return out[from:s.pos]
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%q did not appear within %s; output after the last match:\n%s", want, guard, out[from:])
		}
	}
}

// keyboard is a terminal whose keys the test types.
type keyboard struct {
	*io.PipeReader
	w *io.PipeWriter
}

func newKeyboard() *keyboard {
	r, w := io.Pipe()
	return &keyboard{PipeReader: r, w: w}
}

func (k *keyboard) Raw() (func() error, error) { return func() error { return nil }, nil }

func (k *keyboard) typ(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(k.w, keys); err != nil {
		t.Fatalf("type %q: %v", keys, err)
	}
}

// hang sends one piece of text, then waits until the request ends and
// reports that on ended.
type hang struct{ ended chan struct{} }

func (h hang) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return nil, wire.Errorf(wire.ValidationException, "hang streams only")
}

func (h hang) ConverseStream(ctx context.Context, _ *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		defer close(h.ended)
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("partial answer")}}}, nil) {
			return
		}
		<-ctx.Done()
	}
}

// recording keeps the requests that reach the built-in model.
type recording struct {
	provider.Provider
	mu   sync.Mutex
	reqs []*wire.ConverseRequest
}

func (r *recording) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	r.mu.Lock()
	r.reqs = append(r.reqs, c.Request)
	r.mu.Unlock()
	return r.Provider.ConverseStream(ctx, c)
}

func (r *recording) last(t *testing.T) *wire.ConverseRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request reached the model")
	}
	return r.reqs[len(r.reqs)-1]
}

type fixture struct {
	endpoint string
	client   *chat.Client
	rec      *recording
	ended    chan struct{}
}

// serve starts an in-process converse: the built-in model (unpaced,
// recorded) for every model but hangModel.
func serve(t *testing.T) fixture {
	t.Helper()
	f := fixture{ended: make(chan struct{})}
	f.rec = &recording{Provider: builtin.New(builtin.Options{Tokens: servertest.Tokens(t)})}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"rec": f.rec, "hang": hang{ended: f.ended}},
		Default:  "rec",
		Routes:   []router.Route{{Pattern: hangModel, Target: router.Target{Backend: "hang"}}},
	})
	f.endpoint, f.client = endpoint, newClient(t, endpoint)
	return f
}

func newClient(t *testing.T, endpoint string, opts ...chat.ClientOption) *chat.Client {
	t.Helper()
	c, err := chat.New(t.Context(), append([]chat.ClientOption{
		chat.WithSettings(chat.Settings{Endpoint: endpoint, AccessKey: "test", SecretKey: "test"}),
		chat.WithRetry(chat.Retry{MaxAttempts: 1}),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// session runs Run on a keyboard until the test ends.
type running struct {
	kb   *keyboard
	out  *screen
	ints chan os.Signal
	done chan error
}

func start(t *testing.T, f fixture, o Options) *running {
	t.Helper()
	r := &running{kb: newKeyboard(), out: newScreen(), ints: make(chan os.Signal, 1), done: make(chan error, 1)}
	o.Client, o.Out, o.Interrupts = f.client, r.out, r.ints
	if o.Model == "" {
		o.Model = sonnet
	}
	if o.Where == "" {
		o.Where = "test"
	}
	go func() { r.done <- Run(t.Context(), r.kb, o) }()
	t.Cleanup(func() {
		r.kb.w.CloseWithError(io.EOF)
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(guard):
			t.Error("Run did not return")
		}
	})
	r.out.expect(t, "/help for commands")
	r.out.expect(t, "› ")
	return r
}

// ask types a line and returns the output up to the turn's status line.
func (r *running) ask(t *testing.T, line string) string {
	t.Helper()
	r.kb.typ(t, line+"\r")
	out := r.out.expect(t, " tok/s")
	return out + r.out.expect(t, "› ")
}

var statusPattern = regexp.MustCompile(`in (\d+) · out (\d+) · cache read (\d+) · cache write (\d+) · ttft (\S+) · (\S+) tok/s`)

type status struct{ in, out, cacheRead, cacheWrite int }

func statusOf(t *testing.T, out string) status {
	t.Helper()
	m := statusPattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no status line in:\n%s", out)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	return status{n(m[1]), n(m[2]), n(m[3]), n(m[4])}
}

func TestTurnStreamsAnswerAndStatus(t *testing.T) {
	f := serve(t)
	r := start(t, f, Options{})
	out := r.ask(t, "What is a river?")
	if !strings.Contains(out, "The limits of a river matter as much as its strengths.") { // the built-in model, deterministic
		t.Errorf("answer missing:\n%s", out)
	}
	st := statusOf(t, out)
	if st.in == 0 || st.out == 0 {
		t.Errorf("status %+v: want input and output tokens", st)
	}
	r.kb.typ(t, "/usage\r")
	want := fmt.Sprintf("session: 1 turns · in %d · out %d · cache read 0 · cache write 0 · total %d", st.in, st.out, st.in+st.out)
	r.out.expect(t, want)
}

// A turn that did not end on its own says why after the usage.
func TestStopReasonShown(t *testing.T) {
	f := serve(t)
	f.client = newClient(t, f.endpoint, chat.WithOptions(chat.Options{MaxTokens: chat.Ptr(5)}))
	r := start(t, f, Options{})
	if out := r.ask(t, "Tell me about rivers"); !strings.Contains(out, "tok/s · stop max_tokens\n") {
		t.Errorf("no stop reason after a cut answer:\n%s", out)
	}
}

// The cache strategy reaches the request: a long system prompt is written
// to the cache on the first turn and read on the second.
func TestCacheStrategy(t *testing.T) {
	f := serve(t)
	long := strings.Repeat("You are a careful assistant who answers about rivers and lakes. ", 200)
	r := start(t, f, Options{System: long})
	r.kb.typ(t, "/cache system\r")
	r.out.expect(t, "cache strategy SYSTEM_ONLY")
	first := statusOf(t, r.ask(t, "Hello"))
	second := statusOf(t, r.ask(t, "Hello again"))
	if first.cacheWrite == 0 || second.cacheRead == 0 {
		t.Errorf("first turn %+v, second %+v: want a cache write, then a read", first, second)
	}
	if got := f.rec.last(t).System; len(got) != 2 || got[1].CachePoint == nil {
		t.Errorf("system blocks %+v: want the prompt and a cache point", got)
	}
}

func TestToolCard(t *testing.T) {
	f := serve(t)
	r := start(t, f, Options{})
	r.kb.typ(t, "/tools on\r")
	r.out.expect(t, "demo tools on")
	out := r.ask(t, "Use the calculator for (2+3)*4.5")
	for _, want := range []string{
		`┌ calculator {"expression":"Use the calculator for (2+3)*4.5"}`,
		"└ 22.5",
		"calculator returned 22.5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// A conversation holding tool calls keeps the tools declared after
// /tools off, as Bedrock requires; /clear ends that.
func TestToolsStayDeclaredForToolHistory(t *testing.T) {
	f := serve(t)
	r := start(t, f, Options{})
	r.kb.typ(t, "/tools on\r")
	r.out.expect(t, "demo tools on")
	r.ask(t, "Use the calculator for 6*7")
	r.kb.typ(t, "/tools off\r")
	r.out.expect(t, "off, but still declared")
	if out := r.ask(t, "Thanks"); strings.Contains(out, "Exception") {
		t.Fatalf("turn after /tools off failed:\n%s", out)
	}
	if f.rec.last(t).ToolConfig == nil {
		t.Error("no toolConfig beside the tool calls of the history")
	}
	r.kb.typ(t, "/clear\r")
	r.out.expect(t, "conversation cleared")
	r.ask(t, "Hello")
	if tc := f.rec.last(t).ToolConfig; tc != nil {
		t.Errorf("toolConfig %+v after /clear with tools off", tc)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	f := serve(t)
	r := start(t, f, Options{})
	r.ask(t, "First question")
	r.ask(t, "Second question")
	path := filepath.Join(t.TempDir(), "conversation.json")
	r.kb.typ(t, "/save "+path+"\r")
	r.out.expect(t, "saved 4 messages")
	saved := f.rec.last(t).Messages // the second turn's request: 3 messages

	r.kb.typ(t, "/clear\r")
	r.out.expect(t, "conversation cleared")
	r.ask(t, "Fresh start")
	if n := len(f.rec.last(t).Messages); n != 1 {
		t.Fatalf("after /clear the request has %d messages, want 1", n)
	}

	r.kb.typ(t, "/load "+path+"\r")
	r.out.expect(t, "loaded 4 messages")
	r.ask(t, "Third question")
	got := f.rec.last(t).Messages
	if len(got) != 5 {
		t.Fatalf("after /load the request has %d messages, want 5", len(got))
	}
	if diff := cmp.Diff(saved, got[:3]); diff != "" {
		t.Errorf("loaded history differs from the saved one (-saved +sent):\n%s", diff)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := chat.UnmarshalMessages(data)
	if err != nil {
		t.Fatalf("saved file: %v", err)
	}
	if len(msgs) != 4 || msgs[3].Role != types.ConversationRoleAssistant {
		t.Errorf("saved %d messages ending with %v", len(msgs), msgs[len(msgs)-1].Role)
	}
}

// Ctrl-C while an answer streams stops it, drops the turn, and the
// session goes on; no goroutine is left behind.
func TestInterruptStopsTurn(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	f := serve(t)
	r := start(t, f, Options{Model: hangModel})
	r.kb.typ(t, "Tell me everything\r")
	r.out.expect(t, "partial answer")
	r.ints <- os.Interrupt
	r.out.expect(t, "stopped; this turn is not kept")
	select {
	case <-f.ended:
	case <-time.After(guard):
		t.Fatal("the server's stream did not end")
	}
	r.kb.typ(t, "/model "+sonnet+"\r")
	r.out.expect(t, "model "+sonnet)
	r.ask(t, "Still there?")
	if n := len(f.rec.last(t).Messages); n != 1 {
		t.Errorf("the request after an interrupted turn has %d messages, want 1", n)
	}
}

func TestErrorIsOneLine(t *testing.T) {
	f := serve(t)
	r := start(t, f, Options{Model: "no.such-model"})
	r.kb.typ(t, "Hello\r")
	out := r.out.expect(t, "› ")
	if want := "ValidationException: The provided model identifier is invalid.\n"; !strings.Contains(out, want) {
		t.Errorf("want %q in:\n%q", want, out)
	}
}

// Multi-line input: a trailing backslash continues the line; a pasted
// block (bracketed paste) is kept whole until one more Enter.
func TestMultiLineInput(t *testing.T) {
	tests := []struct{ name, keys, want string }{
		{"backslash", "first line \\\rsecond line\r", "first line \nsecond line"},
		{"paste", "\x1b[200~def f():\r    return 1\r\x1b[201~\r", "def f():\n    return 1"},
		{"paste then typed", "\x1b[200~one\rtwo\x1b[201~ three\r", "one\ntwo three"},
		{"slash inside is text", "look at \\\r/etc/hosts\r", "look at \n/etc/hosts"},
	}
	f := serve(t)
	r := start(t, f, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.kb.typ(t, tc.keys)
			r.out.expect(t, " tok/s\n")
			msgs := f.rec.last(t).Messages
			got := wire.Val(msgs[len(msgs)-1].Content[0].Text)
			if got != tc.want {
				t.Errorf("sent %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAttachments(t *testing.T) {
	f := serve(t)
	dir := t.TempDir()
	png := filepath.Join(dir, "dot.png")
	// A 1×1 PNG.
	pngBytes := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	notes := filepath.Join(dir, "notes.txt")
	for path, data := range map[string][]byte{png: pngBytes, notes: []byte("Meeting at noon.")} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := start(t, f, Options{})
	r.kb.typ(t, "/image "+notes+"\r")
	r.out.expect(t, notes+": ")
	r.kb.typ(t, "/image "+png+"\r")
	r.out.expect(t, "attached image dot.png")
	r.kb.typ(t, "/doc "+notes+"\r")
	r.out.expect(t, "attached document notes.txt")
	out := r.ask(t, "What are these?")
	if !strings.Contains(out, "PNG image of 1×1 pixels") {
		t.Errorf("the model did not see the image:\n%s", out)
	}
	content := f.rec.last(t).Messages[0].Content
	if len(content) != 3 || content[1].Image == nil || content[2].Document == nil || content[2].Document.Name != "notes" {
		t.Errorf("content %+v: want text, image, document named notes", content)
	}
	r.ask(t, "And now?")
	if n := len(f.rec.last(t).Messages[2].Content); n != 1 {
		t.Errorf("attachments were sent again: %d blocks", n)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"/model", []string{"model " + sonnet}},
		{"/model other.model-v1", []string{"model other.model-v1"}},
		{"/system", []string{"no system prompt"}},
		{"/system Be brief.", []string{"system prompt: Be brief."}},
		{"/system -", []string{"no system prompt"}},
		{"/cache", []string{"cache strategy NONE", "NONE, SYSTEM_ONLY, TOOLS_ONLY, SYSTEM_AND_TOOLS, CONVERSATION_HISTORY"}},
		{"/cache system+tools", []string{"cache strategy SYSTEM_AND_TOOLS"}},
		{"/cache conversation_history", []string{"cache strategy CONVERSATION_HISTORY"}},
		{"/cache sometimes", []string{`unknown cache strategy "sometimes"`}},
		{"/tools", []string{"demo tools off", "calculator", "clock"}},
		{"/tools on", []string{"demo tools on"}},
		{"/tools maybe", []string{"/tools takes on or off"}},
		{"/image", []string{"give a file"}},
		{"/load /no/such/file.json", []string{"no such file or directory"}},
		{"/bogus", []string{"unknown command /bogus"}},
		{"/help", []string{"/model", "/system", "/image", "/doc", "/tools", "/cache", "/clear", "/save", "/load", "/usage", "/help", "/quit"}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			out := newScreen()
			s := newSession(Options{Model: sonnet, Out: out})
			if quit := s.command(t.Context(), tc.line); quit {
				t.Fatal("command quit")
			}
			for _, w := range tc.want {
				if !strings.Contains(out.buf.String(), w) {
					t.Errorf("missing %q in:\n%s", w, out.buf.String())
				}
			}
		})
	}
}

func TestQuit(t *testing.T) {
	tests := []struct{ name, keys string }{
		{"quit", "/quit\r"},
		{"ctrl-d", "\x04"},
		{"ctrl-c at the prompt", "\x03"},
	}
	f := serve(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kb, out := newKeyboard(), newScreen()
			done := make(chan error, 1)
			go func() { done <- Run(t.Context(), kb, Options{Client: f.client, Model: sonnet, Out: out}) }()
			out.expect(t, "› ")
			kb.typ(t, tc.keys)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(guard):
				t.Fatal("Run did not return")
			}
		})
	}
}

// A cancelled context ends a read pending at the prompt, through the
// terminal's read deadline.
func TestContextEndsPrompt(t *testing.T) {
	f := serve(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	ctx, cancel := context.WithCancel(t.Context())
	out := newScreen()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, pipeTerminal{pr}, Options{Client: f.client, Model: sonnet, Out: out}) }()
	out.expect(t, "› ")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return after the context ended")
	}
}

type pipeTerminal struct{ *os.File }

func (pipeTerminal) Raw() (func() error, error) { return func() error { return nil }, nil }

func TestOnce(t *testing.T) {
	f := serve(t)
	want, err := f.client.Prompt("Why is the sky blue?").Options(chat.Options{Model: sonnet}).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := Once(t.Context(), "Why is the sky blue?\n", Options{Client: f.client, Model: sonnet, Out: &out, Color: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Text+"\n", out.String()); diff != "" {
		t.Errorf("piped output (-want +got):\n%s", diff)
	}

	out.Reset()
	err = Once(t.Context(), "Hello", Options{Client: f.client, Model: "no.such-model", Out: &out})
	if err == nil || err.Error() != "ValidationException: The provided model identifier is invalid." {
		t.Errorf("error %v, want the exception on one line", err)
	}
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("error %T does not unwrap to *types.ValidationException", err)
	}
	if out.Len() != 0 {
		t.Errorf("output on error: %q", out.String())
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("converse stream m: operation error Bedrock Runtime: ConverseStream, https response error StatusCode: 429, RequestID: x, %w",
			&types.ThrottlingException{Message: ptr("Too many requests,\nplease wait.")}), "ThrottlingException: Too many requests, please wait."},
		{&types.ModelStreamErrorException{Message: ptr("The model stopped.")}, "ModelStreamErrorException: The model stopped."},
		{fmt.Errorf("call: %w", context.Canceled), "interrupted"},
		{errors.New("dial tcp 127.0.0.1:1:\n connection refused"), "dial tcp 127.0.0.1:1: connection refused"},
	}
	for _, tc := range tests {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func ptr(s string) *string { return &s }

func TestCalculate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"6*7", 42, false},
		{"What is (2+3)*4.5 please?", 22.5, false},
		{"2^3^2", 512, false},
		{"-3 + 10 % 4", -1, false},
		{"7 ÷ 2", 3.5, false},
		{"1/0", 0, true},
		{"(1+2", 0, true},
		{"no numbers here", 0, true},
		{strings.Repeat("(", 500) + "1" + strings.Repeat(")", 500), 0, true},
	}
	for _, tc := range tests {
		got, err := calculate(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("calculate(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestCompleteCommand(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"/mo", "/model ", true},
		{"/s", "", false}, // /system and /save
		{"/sy", "/system ", true},
		{"hello", "", false},
	}
	for _, tc := range tests {
		got, pos, ok := completeCommand(tc.line, len(tc.line), '\t')
		if got != tc.want || ok != tc.ok || (ok && pos != len(tc.want)) {
			t.Errorf("complete %q = %q, %d, %v; want %q, %v", tc.line, got, pos, ok, tc.want, tc.ok)
		}
	}
}

func TestStatusLine(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	u := chat.Usage{InputTokens: 12, OutputTokens: 50, CacheReadInputTokens: 3, CacheWriteInputTokens: 4}
	got := statusLine(u, start, start.Add(250*time.Millisecond), start.Add(2250*time.Millisecond))
	if want := "in 12 · out 50 · cache read 3 · cache write 4 · ttft 250ms · 25.0 tok/s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := statusLine(u, start, time.Time{}, start); !strings.HasSuffix(got, "ttft – · – tok/s") {
		t.Errorf("no first token: %q", got)
	}
}

// The calculator evaluates what a model sends: any text yields a finite
// number or an error, never a panic or a deep recursion.
func FuzzCalculate(f *testing.F) {
	for _, s := range []string{"6*7", "(2+3)*4.5", "2^3^2", "-(-(-1))", "1/0", "((((", "9^9^9^9", "1e5", "..", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := calculate(s)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Errorf("calculate(%q) = %v without an error", s, v)
		}
	})
}
