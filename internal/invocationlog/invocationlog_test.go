package invocationlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lines is a Writer that keeps what it is given.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) records(t *testing.T) []Record {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	return decode(t, l.buf.Bytes())
}

func decode(t *testing.T, b []byte) []Record {
	t.Helper()
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func newLog(t *testing.T, o Options) (*Log, *lines) {
	t.Helper()
	w := &lines{}
	o.Writer = w
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, w
}

func intp(n int) *int { return &n }

func TestRecordConverse(t *testing.T) {
	l, w := newLog(t, Options{})
	ctx, inv := l.Begin(t.Context(), "Converse", "req-1", "anthropic.claude-3-haiku-20240307-v1:0")
	inv.Request("team-a", []byte(`{"messages":[]}`))
	Routed(ctx, "ollama", "llama3.2")
	Routed(ctx, "builtin", "anthropic.claude-3-haiku-20240307-v1:0") // the fallback that answered
	inv.Response(&wire.ConverseResponse{StopReason: "end_turn", Usage: &wire.TokenUsage{
		InputTokens: 10, OutputTokens: 5, TotalTokens: 15, CacheReadInputTokens: intp(100), CacheWriteInputTokens: intp(7),
	}})
	inv.End(200, "")
	l.Close()
	got := w.records(t)
	want := []Record{{
		SchemaType: SchemaType, SchemaVersion: SchemaVersion, RequestID: "req-1", Operation: "Converse",
		ModelID: "anthropic.claude-3-haiku-20240307-v1:0", Identity: Identity{Principal: "team-a"},
		Backend: "builtin", UpstreamModelID: "anthropic.claude-3-haiku-20240307-v1:0",
		Outcome: OK, HTTPStatus: 200,
		Input:  Input{InputContentType: "application/json", InputTokenCount: 10, CacheReadInputTokenCount: 100, CacheWriteInputTokenCount: 7},
		Output: Output{OutputContentType: "application/json", OutputTokenCount: 5},
	}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Record{}, "Timestamp", "Timing")); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if got[0].Timestamp.IsZero() || got[0].Timing.TimeToFirstTokenMs != nil {
		t.Errorf("timing %+v at %v", got[0].Timing, got[0].Timestamp)
	}
}

func TestRecordStream(t *testing.T) {
	l, w := newLog(t, Options{Bodies: true})
	_, inv := l.Begin(t.Context(), "ConverseStream", "req-2", "m")
	for _, ev := range []*wire.StreamEvent{
		{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: new("Hi")}}},
		{MessageStop: &wire.MessageStopEvent{StopReason: "end_turn"}},
		{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 3, OutputTokens: 1}}},
	} {
		inv.Event(ev)
	}
	inv.Fail("ModelStreamErrorException")
	inv.End(200, "")
	l.Close()
	got := w.records(t)[0]
	if got.Outcome != "ModelStreamErrorException" || got.ErrorCode != got.Outcome || got.HTTPStatus != 200 {
		t.Errorf("outcome %q, errorCode %q, status %d", got.Outcome, got.ErrorCode, got.HTTPStatus)
	}
	if got.Timing.TimeToFirstTokenMs == nil || *got.Timing.TimeToFirstTokenMs > got.Timing.TotalMs {
		t.Errorf("timing %+v", got.Timing)
	}
	if got.Input.InputTokenCount != 3 || got.Output.OutputTokenCount != 1 || got.Output.OutputContentType != "application/vnd.amazon.eventstream" {
		t.Errorf("usage %+v %+v", got.Input, got.Output)
	}
	var events []map[string]any
	if err := json.Unmarshal(got.Output.OutputBodyJSON, &events); err != nil || len(events) != 4 || events[1]["contentBlockDelta"] == nil {
		t.Errorf("events %s: %v", got.Output.OutputBodyJSON, err)
	}
}

func TestNilLogAndInvocation(t *testing.T) {
	var l *Log
	ctx, inv := l.Begin(t.Context(), "Converse", "id", "m")
	if inv != nil || ctx != t.Context() {
		t.Fatal("a nil Log opened an invocation")
	}
	Routed(ctx, "b", "m")
	inv.Request("p", nil)
	inv.Response(&wire.ConverseResponse{})
	inv.Event(&wire.StreamEvent{})
	inv.Fail("x")
	inv.End(200, "")
	Routed(context.Background(), "b", "m")
	if l.Close() != nil || l.Dropped() != 0 {
		t.Fatal("nil Log")
	}
}

func TestBodies(t *testing.T) {
	image := strings.Repeat("iVBORw0KGgo", 100)
	req := `{"messages":[{"role":"user","content":[{"text":"look \u003c here"},{"image":{"format":"png","source":{"bytes":"` + image + `"}}},` +
		`{"toolResult":{"toolUseId":"t","content":[{"document":{"format":"pdf","name":"d","source":{"bytes":"JVBERi0="}}}]}}]}]}`
	for _, tc := range []struct {
		name       string
		opts       Options
		body       string
		wantIn     []string // substrings of inputBodyJson
		wantNot    []string
		wantCutLen int // > 0: truncated to this many bytes
	}{
		{name: "media redacted", opts: Options{Bodies: true}, body: req,
			wantIn:  []string{`"[1100 base64 characters redacted]"`, `"[8 base64 characters redacted]"`, `"look < here"`, `"format":"png"`},
			wantNot: []string{image, "JVBERi0="}},
		{name: "media kept", opts: Options{Bodies: true, KeepMedia: true}, body: req, wantIn: []string{image, "JVBERi0="}},
		{name: "cut", opts: Options{Bodies: true, MaxBodyBytes: 50, KeepMedia: true}, body: req, wantCutLen: 50},
		{name: "not JSON", opts: Options{Bodies: true}, body: `{"messages": [`, wantIn: []string{`"{\"messages\": ["`}},
		{name: "bodies off", opts: Options{}, body: req, wantNot: []string{"messages"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, w := newLog(t, tc.opts)
			_, inv := l.Begin(t.Context(), "Converse", "id", "m")
			inv.Request("p", []byte(tc.body))
			inv.End(400, "ValidationException")
			l.Close()
			got := w.records(t)[0]
			if tc.wantCutLen > 0 {
				if got.Input.InputBodyJSON != nil || len(got.Input.InputBodyTruncated) != tc.wantCutLen || got.Input.InputBodyBytes != len(tc.body) {
					t.Errorf("cut body: json %q, truncated %q (%d bytes of %d)", got.Input.InputBodyJSON, got.Input.InputBodyTruncated, len(got.Input.InputBodyTruncated), got.Input.InputBodyBytes)
				}
				return
			}
			in := string(got.Input.InputBodyJSON)
			for _, s := range tc.wantIn {
				if !strings.Contains(in, s) {
					t.Errorf("inputBodyJson lacks %q:\n%s", s, in)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(in, s) {
					t.Errorf("inputBodyJson has %q:\n%s", s, in)
				}
			}
		})
	}
}

// A stream longer than the body limit keeps its first events and reports
// the size of all of them.
func TestStreamBodyCut(t *testing.T) {
	l, w := newLog(t, Options{Bodies: true, MaxBodyBytes: 200})
	_, inv := l.Begin(t.Context(), "ConverseStream", "id", "m")
	size := 1
	for range 20 {
		ev := &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: new("0123456789")}}}
		b, _ := json.Marshal(ev)
		size += len(b) + 1
		inv.Event(ev)
	}
	inv.End(200, "")
	l.Close()
	got := w.records(t)[0].Output
	if got.OutputBodyJSON != nil || !strings.HasPrefix(got.OutputBodyTruncated, `[{"contentBlockDelta"`) || len(got.OutputBodyTruncated) > 200 || got.OutputBodyBytes != size {
		t.Errorf("output %+v, want the beginning and size %d", got, size)
	}
}

// Configured secrets never reach the writer, however they got into a
// record: raw, JSON-escaped, \u-escaped by the client, or in another
// letter case.
func TestSecretsScrubbed(t *testing.T) {
	secrets := []string{"sk-backend-0123456789", `we"ird\secret`, "AKIAsecretkeyvalue/xyz"}
	l, w := newLog(t, Options{Bodies: true, Secrets: append(secrets, "test")})
	_, inv := l.Begin(t.Context(), "Converse", "id", "model-sk-backend-0123456789")
	inv.Request("p", []byte(`{"messages":[{"role":"user","content":[{"text":"my keys: sk-backend-0123456789 we\"ird\\secret \u0041KIAsecretkeyvalue\/xyz test"}]}]}`))
	inv.Response(&wire.ConverseResponse{Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: new("echo SK-BACKEND-0123456789")}}}}})
	inv.End(200, "")
	l.Close()
	line := func() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }()
	for _, s := range append(secrets, `we\"ird\\secret`) {
		if strings.Contains(strings.ToLower(line), strings.ToLower(s)) {
			t.Errorf("log holds secret %q:\n%s", s, line)
		}
	}
	if n := strings.Count(line, "[REDACTED]"); n != 5 {
		t.Errorf("%d redactions, want 5 (model ID, three in the prompt, one in the answer, upper-cased):\n%s", n, line)
	}
	if !strings.Contains(line, " test") {
		t.Errorf("a short secret was scrubbed as an ordinary word:\n%s", line)
	}
}

// blockingWriter holds every Write until released, and says when one has
// started.
type blockingWriter struct {
	lines
	started chan struct{}
	release chan struct{}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.started <- struct{}{}
	<-b.release
	return b.lines.Write(p)
}

// A writer that does not keep up never blocks callers: the queue fills,
// further records are dropped, counted and reported.
func TestFullQueueDrops(t *testing.T) {
	bw := &blockingWriter{started: make(chan struct{}, 10), release: make(chan struct{})}
	var logs lines
	l, err := New(Options{Writer: bw, Buffer: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	end := func(id string) {
		_, inv := l.Begin(t.Context(), "Converse", id, "m")
		inv.End(200, "")
	}
	end("r1")
	<-bw.started // the writer holds r1; the queue is empty
	for i := 2; i <= 6; i++ {
		end(fmt.Sprintf("r%d", i)) // r2, r3 queue; r4..r6 are dropped
	}
	if got := l.Dropped(); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	close(bw.release)
	l.Close()
	var ids []string
	for _, r := range bw.records(t) {
		ids = append(ids, r.RequestID)
	}
	if diff := cmp.Diff([]string{"r1", "r2", "r3"}, ids); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	if s := logs.buf.String(); !strings.Contains(s, "records dropped") || !strings.Contains(s, "droppedTotal=3") {
		t.Errorf("drops not reported: %s", s)
	}
	end("after close")
	if l.Dropped() != 4 {
		t.Errorf("a record logged after Close was not counted as dropped")
	}
}

func TestFileRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "invocations.jsonl")
	f, err := OpenFile(FileOptions{Path: path, MaxBytes: 100, MaxBackups: 2})
	if err != nil {
		t.Fatal(err)
	}
	line := func(i int) string { return fmt.Sprintf(`{"n":%d,"pad":"%s"}`+"\n", i, strings.Repeat("x", 20)) } // 36 bytes
	for i := range 10 {
		if _, err := f.Write([]byte(line(i))); err != nil {
			t.Fatal(err)
		}
	}
	big := `{"big":"` + strings.Repeat("y", 200) + "\"}\n"
	if _, err := f.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Two lines fit in 100 bytes: 0,1 | 2,3 | 4,5 | 6,7 | 8,9 | big.
	want := map[string]string{
		path:        big,
		path + ".1": line(8) + line(9),
		path + ".2": line(6) + line(7),
	}
	for p, w := range want {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != w {
			t.Errorf("%s = %q, want %q", filepath.Base(p), b, w)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third backup exists (%v), MaxBackups is 2", err)
	}
	// Reopening appends and counts what is there.
	f, err = OpenFile(FileOptions{Path: path, MaxBytes: 100, MaxBackups: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(line(10))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, _ := os.ReadFile(path + ".1"); string(b) != big {
		t.Errorf("after reopening, the full file was not rotated: .1 = %q", b)
	}
}

// Through a Log onto a rotating File, every record is a whole line in one
// of the files.
func TestLogOntoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inv.jsonl")
	f, err := OpenFile(FileOptions{Path: path, MaxBytes: 2000, MaxBackups: 10})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{Writer: f})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		_, inv := l.Begin(t.Context(), "Converse", fmt.Sprintf("r%02d", i), "m")
		inv.End(200, "")
	}
	l.Close()
	f.Close()
	seen := map[string]bool{}
	matches, _ := filepath.Glob(path + "*")
	if len(matches) < 3 {
		t.Errorf("%d files, want rotation into several", len(matches))
	}
	for _, p := range matches {
		b, _ := os.ReadFile(p)
		if len(b) > 2000 {
			t.Errorf("%s has %d bytes", p, len(b))
		}
		for _, r := range decode(t, b) {
			seen[r.RequestID] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("found %d of 30 records", len(seen))
	}
}

// The cost a call pays on its own goroutine: opening, filling and queueing
// a record (the writer's encoding runs on the log's goroutine, here too).
func BenchmarkInvocation(b *testing.B) {
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"` + strings.Repeat("word ", 400) + `"},{"image":{"format":"png","source":{"bytes":"` + strings.Repeat("QUFB", 5000) + `"}}}]}]}`)
	resp := &wire.ConverseResponse{StopReason: "end_turn", Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: new(strings.Repeat("answer ", 200))}}}},
		Usage: &wire.TokenUsage{InputTokens: 500, OutputTokens: 200}}
	for _, bodies := range []bool{false, true} {
		b.Run(fmt.Sprintf("bodies=%v", bodies), func(b *testing.B) {
			l, err := New(Options{Writer: io.Discard, Bodies: bodies, Buffer: 1 << 16, Secrets: []string{"sk-0123456789abcdef", "another-secret-value"}})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			for b.Loop() {
				ctx, inv := l.Begin(ctx, "Converse", "0123", "anthropic.claude-3-haiku-20240307-v1:0")
				inv.Request("team-a", body)
				Routed(ctx, "builtin", "m")
				inv.Response(resp)
				inv.End(200, "")
			}
			b.ReportMetric(float64(l.Dropped()), "dropped")
		})
	}
}
