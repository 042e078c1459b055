package replay

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/golden"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

var sharedTokens = sync.OnceValues(tokens.New)

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

// upstream is the built-in model with a fixed clock (so recordings are
// byte-stable) and a script that adds the hard paths: a throttled call and
// a stream that fails partway.
func upstream(t *testing.T) provider.Provider {
	t.Helper()
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	script, err := builtin.ParseScript([]byte(`
rules:
  - match: {text: "slow down"}
    reply: {exception: {type: ThrottlingException}}
  - match: {text: "cut me off"}
    reply: {failAfter: 3}
`))
	if err != nil {
		t.Fatal(err)
	}
	epoch := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return builtin.New(builtin.Options{Tokens: tok, Script: script, Now: func() time.Time { return epoch }})
}

func decode(t *testing.T, body string) *wire.ConverseRequest {
	t.Helper()
	var req wire.ConverseRequest
	if err := wire.Decode([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

const weatherTool = `{"toolSpec":{"name":"Weather_Tool","description":"Get the current weather for a location","inputSchema":{"json":{"type":"object","properties":{"latitude":{"type":"number"},"longitude":{"type":"number"}},"required":["latitude","longitude"]}}}}`

// outcome is everything a client sees from one call.
type outcome struct {
	Response *wire.ConverseResponse
	Events   []*wire.StreamEvent
	Err      string
}

func run(t *testing.T, p provider.Provider, stream bool, c *provider.Call) outcome {
	t.Helper()
	var o outcome
	if !stream {
		out, err := p.Converse(t.Context(), c)
		o.Response = out
		if err != nil {
			o.Err = err.Error()
		}
		return o
	}
	for ev, err := range p.ConverseStream(t.Context(), c) {
		if err != nil {
			o.Err = err.Error()
			continue
		}
		o.Events = append(o.Events, ev)
	}
	return o
}

// comparable re-encodes outcomes as JSON values, so documents (tool
// input) compare by meaning, not by their whitespace in a file.
func comparable(t *testing.T, o []outcome) any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A session recorded from the built-in model replays identically offline:
// responses, event lists and errors, including a tool loop whose second
// request carries the recorded toolUseId.
func TestRecordThenReplay(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(upstream(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	session := func(p provider.Provider) []outcome {
		var out []outcome
		ask := decode(t, `{"messages":[{"role":"user","content":[{"text":"What's the weather in Paris?"}]}],"toolConfig":{"tools":[`+weatherTool+`]}}`)
		first := run(t, p, false, &provider.Call{ModelID: haiku, Request: ask})
		out = append(out, first)
		if first.Response == nil {
			t.Fatalf("first call: %s", first.Err)
		}
		use := first.Response.Output.Message.Content[1].ToolUse // [0] is the text before the call
		follow := *ask
		follow.Messages = append(follow.Messages, *first.Response.Output.Message, wire.Message{Role: "user", Content: []wire.ContentBlock{{
			ToolResult: &wire.ToolResultBlock{ToolUseID: use.ToolUseID, Content: []wire.ToolResultContentBlock{{JSON: wire.Document(`{"temperature":21}`)}}},
		}}})
		out = append(out, run(t, p, false, &provider.Call{ModelID: haiku, Request: &follow}))
		out = append(out, run(t, p, true, &provider.Call{ModelID: haiku, Request: ask}))
		out = append(out, run(t, p, true, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Write a poem <about> the sea & sky"}]}]}`)}))
		out = append(out, run(t, p, false, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"slow down"}]}]}`)}))
		out = append(out, run(t, p, true, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"cut me off please"}]}]}`)}))
		return out
	}
	recorded := session(rec)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 6 {
		t.Errorf("%d recordings, want 6: %v", len(files), files)
	}
	if recorded[4].Err == "" || recorded[5].Err == "" || len(recorded[5].Events) != 3 {
		t.Fatalf("the scripted failures did not happen: %+v", recorded[4:])
	}

	player, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	replayed := session(player)
	if diff := cmp.Diff(comparable(t, recorded), comparable(t, replayed)); diff != "" {
		t.Errorf("replay differs from the recording (-recorded +replayed):\n%s", diff)
	}
	var ex *wire.Exception
	if _, err := player.Converse(t.Context(), &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"slow down"}]}]}`)}); !errors.As(err, &ex) || ex.Type != wire.ThrottlingException {
		t.Errorf("replayed error %v, want the recorded ThrottlingException", err)
	}
}

func TestNormalisation(t *testing.T) {
	key := func(op, model, body string) string {
		n, err := normalise(op, &provider.Call{ModelID: model, Request: decode(t, body)})
		if err != nil {
			t.Fatal(err)
		}
		return n.key
	}
	base := key(opConverse, haiku, `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":10}}`)
	same := map[string]string{
		"key order and spacing": `{ "inferenceConfig": {"maxTokens": 10},
			"messages": [{"content": [{"text": "hi"}], "role": "user"}] }`,
		"requestMetadata": `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":10},"requestMetadata":{"trace":"abc-123"}}`,
	}
	for name, body := range same {
		if k := key(opConverse, haiku, body); k != base {
			t.Errorf("%s changed the key", name)
		}
	}
	differ := map[string]string{
		"operation": key(opStream, haiku, `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":10}}`),
		"model":     key(opConverse, "us."+haiku, `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":10}}`),
		"text":      key(opConverse, haiku, `{"messages":[{"role":"user","content":[{"text":"hi!"}]}],"inferenceConfig":{"maxTokens":10}}`),
		"settings":  key(opConverse, haiku, `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":11}}`),
	}
	for name, k := range differ {
		if k == base {
			t.Errorf("a different %s kept the key", name)
		}
	}

	// Media bytes become a digest; different bytes, different keys.
	img := func(b64 string) *normalised {
		n, err := normalise(opConverse, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"`+b64+`"}}}]}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := img("AAECAw=="), img("AAECBA==")
	if a.key == b.key {
		t.Error("different image bytes, same key")
	}
	got, _ := canonical(a.request)
	if want := `"bytes":"sha256:054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8 (4 bytes)"`; !strings.Contains(string(got), want) {
		t.Errorf("normalised request %s lacks %s", got, want)
	}
	// Normalising a normalised request changes nothing (recordings reload).
	again, err := normaliseTree(a.op, a.modelID, a.request)
	if err != nil || again.key != a.key {
		t.Errorf("normalisation is not idempotent: %v", err)
	}
}

// Recording the same exchange twice gives the same bytes; the file matches
// its golden copy (go test -update rewrites it).
func TestRecordingFileIsStableAndReadable(t *testing.T) {
	write := func() (string, []byte) {
		dir := t.TempDir()
		rec, err := NewRecorder(upstream(t), dir)
		if err != nil {
			t.Fatal(err)
		}
		req := decode(t, `{"messages":[{"role":"user","content":[{"text":"Is <b> bold & brave?"}]}],"inferenceConfig":{"maxTokens":12},"requestMetadata":{"run":"1"}}`)
		if _, err := rec.Converse(t.Context(), &provider.Call{ModelID: haiku, Request: req}); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) != 1 {
			t.Fatalf("files %v", files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Base(files[0]), b
	}
	name, first := write()
	name2, second := write()
	if name != name2 || string(first) != string(second) {
		t.Errorf("recording is not stable: %s vs %s", name, name2)
	}
	if !strings.HasPrefix(name, "converse-") || strings.Contains(string(first), `\u003c`) || strings.Contains(string(first), "requestMetadata") {
		t.Errorf("recording %s is not as documented:\n%s", name, first)
	}
	golden.Check(t, filepath.Join("testdata", "golden.converse.json"), first)
}

func TestMissNamesClosestRecording(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(upstream(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"What is the capital of France?", "Tell me a joke about cats"} {
		if _, err := rec.Converse(t.Context(), &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"`+q+`"}]}]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := normalise(opConverse, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"What is the capital of Spain?"}]}]}`)})
	want := p.byKeyText("What is the capital of France?")
	_, err = p.Converse(t.Context(), &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"What is the capital of Spain?"}]}]}`)})
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
		t.Fatalf("miss gave %v, want a ValidationException", err)
	}
	for _, s := range []string{"no recording in " + filepath.Base(dir), n.key[:16], "The closest recording is " + want, `"What is the capital of France?"`, "it differs in messages.", "--record DIR"} {
		if !strings.Contains(ex.Message, s) {
			t.Errorf("miss message lacks %q:\n%s", s, ex.Message)
		}
	}

	// A stream of a recorded Converse request is a miss too, and says so.
	var serr error
	for _, err := range p.ConverseStream(t.Context(), &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"What is the capital of France?"}]}]}`)}) {
		serr = err
	}
	if serr == nil || !strings.Contains(serr.Error(), "it differs in operation.") {
		t.Errorf("stream miss: %v", serr)
	}
}

// byKeyText finds the file recording a last user text (test helper).
func (p *Player) byKeyText(text string) string {
	for _, r := range p.all {
		if r.text == text {
			return r.file
		}
	}
	return ""
}

func TestPlayerRejectsBrokenDirectories(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      "hello",
		"unknown field": `{"version":1,"operation":"Converse","modelId":"m","request":{},"response":{},"extra":1}`,
		"old version":   `{"version":0,"operation":"Converse","modelId":"m","request":{},"response":{}}`,
		"no answer":     `{"version":1,"operation":"Converse","modelId":"m","request":{}}`,
		"bad event":     `{"version":1,"operation":"ConverseStream","modelId":"m","request":{},"events":[{"nope":{}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := NewPlayer(dir)
			if err == nil || !strings.Contains(err.Error(), "broken.json") {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
	if _, err := NewPlayer(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
}

// A stream the client abandons is not recorded: replaying half a stream as
// if it were whole would mislead.
func TestAbandonedStreamNotRecorded(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(upstream(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	for range rec.ConverseStream(t.Context(), &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)}) {
		break
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("files after an abandoned stream: %v", files)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"天气", "天空", 1}, {"abc", "", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// BenchmarkPlayerConverse measures answering from a directory of 200
// recordings: normalising and hashing the request, then decoding the
// recorded response.
func BenchmarkPlayerConverse(b *testing.B) {
	dir := b.TempDir()
	tok, err := sharedTokens()
	if err != nil {
		b.Fatal(err)
	}
	rec, err := NewRecorder(builtin.New(builtin.Options{Tokens: tok}), dir)
	if err != nil {
		b.Fatal(err)
	}
	var req wire.ConverseRequest
	for i := range 200 {
		body := `{"messages":[{"role":"user","content":[{"text":"Question number ` + strconv.Itoa(i) + `: explain tides"}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`
		if err := wire.Decode([]byte(body), &req); err != nil {
			b.Fatal(err)
		}
		if _, err := rec.Converse(b.Context(), &provider.Call{ModelID: haiku, Request: &req}); err != nil {
			b.Fatal(err)
		}
	}
	p, err := NewPlayer(dir)
	if err != nil {
		b.Fatal(err)
	}
	c := &provider.Call{ModelID: haiku, Request: &req}
	for b.Loop() {
		if _, err := p.Converse(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzLoad: any file either loads as a recording whose request normalises
// to a stable key, or is refused with an error; nothing panics.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"golden.converse.json", "v1.converse.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"version":2,"operation":"CountTokens","modelId":"m","request":{"converse":{"messages":[{"role":"user","content":[{"text":"hi"}]}]}},"exchanges":[{"error":{"type":"ThrottlingException","message":"x"}},{"response":{"inputTokens":3}}]}`))
	f.Add([]byte(`{"version":1,"operation":"ConverseStream","modelId":"m","request":{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"AAEC"}}}]}]},"events":[{"messageStart":{"role":"assistant"}}],"error":{"type":"ThrottlingException","message":"x"}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "x.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := load(path)
		if err != nil {
			return
		}
		again, err := normaliseTree(rec.n.op, rec.n.modelID, rec.n.request)
		if err != nil || again.key != rec.n.key {
			t.Errorf("normalising a loaded request again changed its key: %v", err)
		}
	})
}
