package playground_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/wire"
)

// node runs testdata/unit.mjs (the page's modules in Node) on one job and
// decodes its answer into out. Without node the test is skipped, unless
// CONVERSE_REQUIRE_JS is set (make test), where that is a failure.
func node(t *testing.T, kind string, input, out any) {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CONVERSE_REQUIRE_JS") != "" {
			t.Fatal("node is not installed")
		}
		t.Skip("node is not installed; make test installs it")
	}
	touchScripts(t)
	job, err := json.Marshal(map[string]any{"kind": kind, "input": input})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "testdata/unit.mjs")
	cmd.Stdin = bytes.NewReader(job)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node unit.mjs %s: %v\n%s", kind, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node unit.mjs %s: %v\n%s", kind, err, stdout.String())
	}
}

// touchScripts reads the scripts node runs, so that go test's result
// cache, which only sees files the test process opens, is invalidated when
// they change.
func touchScripts(t *testing.T) {
	t.Helper()
	for _, pattern := range []string{"static/*", "testdata/*.mjs"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
	}
}

type signJob struct {
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	Date            string            `json:"date"`
	AccessKeyID     string            `json:"accessKeyId"`
	SecretAccessKey string            `json:"secretAccessKey"`
	Region          string            `json:"region"`
}

// TestSigV4InJavaScript signs requests with the page's SigV4 module, both
// through WebCrypto and through its own SHA-256 (used on plain http to
// another host, where browsers hide WebCrypto), and has the server's
// verifier check them: model IDs with ':' and ARNs with '/', UTF-8 bodies,
// the empty body of the request log, and a query.
func TestSigV4InJavaScript(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, err := auth.New(auth.Options{
		Principals: []auth.Principal{{Name: "dev", Models: []string{"*"}}},
		AccessKeys: []auth.AccessKey{{ID: "test", Secret: "test", Principal: "dev"}, {ID: "AKIDLONG", Secret: auth.Secret(strings.Repeat("s", 80)), Principal: "dev"}},
		Regions:    []string{"us-east-1", "eu-west-3"},
		Now:        func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	base := signJob{Method: "POST", Headers: map[string]string{"Content-Type": "application/json"}, Date: now.Format(time.RFC3339), AccessKeyID: "test", SecretAccessKey: "test", Region: "us-east-1"}
	jobs := []signJob{}
	add := func(f func(j *signJob)) {
		j := base
		f(&j)
		jobs = append(jobs, j)
	}
	add(func(j *signJob) {
		j.URL = "http://127.0.0.1:8080/model/" + url.PathEscape("anthropic.claude-3-haiku-20240307-v1:0") + "/converse"
		j.Body = `{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}`
	})
	add(func(j *signJob) {
		j.URL = "http://localhost:8080/model/" + strings.ReplaceAll(url.QueryEscape("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"), "+", "%20") + "/converse-stream"
		j.Body = `{"messages":[{"role":"user","content":[{"text":"héllo ✓ — 東京"}]}]}`
	})
	add(func(j *signJob) {
		j.Method, j.URL, j.Body, j.Headers = "GET", "http://10.0.0.7:8080/playground/api/log", "", map[string]string{}
	})
	add(func(j *signJob) {
		j.URL = "http://[::1]:9000/model/x/count-tokens?b=2&a=1&a=0"
		j.Body = "{}"
		j.AccessKeyID, j.SecretAccessKey, j.Region = "AKIDLONG", strings.Repeat("s", 80), "eu-west-3"
	})
	var got []struct{ WebCrypto, Fallback map[string]string }
	node(t, "sign", jobs, &got)
	if len(got) != len(jobs) {
		t.Fatalf("%d results for %d requests", len(got), len(jobs))
	}
	for i, j := range jobs {
		if diff := cmp.Diff(got[i].WebCrypto, got[i].Fallback); diff != "" {
			t.Errorf("%s: WebCrypto and fallback signatures differ (-web +fallback):\n%s", j.URL, diff)
		}
		verify := func(body string) error {
			u, err := url.Parse(j.URL)
			if err != nil {
				t.Fatal(err)
			}
			r, err := http.NewRequest(j.Method, j.URL, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			// As a browser sends it: the path with the escapes it was
			// given, Host from the URL.
			r.RequestURI = u.RequestURI()
			r.Host = u.Host
			for k, v := range got[i].WebCrypto {
				r.Header.Set(k, v)
			}
			id, err := v.Verify(r, []byte(body))
			if err == nil && id.Principal.Name != "dev" {
				t.Errorf("%s: principal %q", j.URL, id.Principal.Name)
			}
			return err
		}
		if err := verify(j.Body); err != nil {
			t.Errorf("%s %s: the server refuses the page's signature: %v", j.Method, j.URL, err)
		}
		if err := verify(j.Body + " "); err == nil {
			t.Errorf("%s: a changed body still verifies", j.URL)
		}
	}
}

// TestSHA256FallbackMatchesGo checks the page's own SHA-256 and HMAC
// (used without WebCrypto) on the lengths around block boundaries.
func TestSHA256FallbackMatchesGo(t *testing.T) {
	type item struct {
		Key  string `json:"key"`
		Data string `json:"data"`
	}
	var items []item
	for _, n := range []int{0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000} {
		data := bytes.Repeat([]byte{byte(n), 0xA5, 0x00, 0xFF}, n)[:n]
		key := bytes.Repeat([]byte{0x5C}, n%130) // keys longer than a block are hashed first
		items = append(items, item{Key: hex.EncodeToString(key), Data: hex.EncodeToString(data)})
	}
	var got []struct{ SHA256, HMAC string }
	node(t, "hash", items, &got)
	for i, it := range items {
		data, _ := hex.DecodeString(it.Data)
		key, _ := hex.DecodeString(it.Key)
		sum := sha256.Sum256(data)
		mac := hmac.New(sha256.New, key)
		mac.Write(data)
		if got[i].SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256 of %d bytes: %s", len(data), got[i].SHA256)
		}
		if got[i].HMAC != hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("hmac of %d bytes with a %d-byte key: %s", len(data), len(key), got[i].HMAC)
		}
	}
}

type decoded struct {
	Error    string `json:"error"`
	Messages []struct {
		Headers map[string]any `json:"headers"`
		Payload string         `json:"payload"`
	} `json:"messages"`
}

// TestEventStreamInJavaScript decodes, with the page's decoder, a
// ConverseStream written by the server's own writer and frames with every
// header type written by the AWS SDK's encoder, split into chunks of
// several sizes; a corrupted frame is refused.
func TestEventStreamInJavaScript(t *testing.T) {
	var stream bytes.Buffer
	w := eventstream.NewWriter(&stream, nil)
	text := "Bonjour ✓"
	events := []*wire.StreamEvent{
		{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 0, Delta: &wire.ContentBlockDelta{Text: &text}}},
		{MessageStop: &wire.MessageStopEvent{StopReason: "end_turn"}},
	}
	for _, ev := range events {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteException(wire.Errorf(wire.ModelStreamErrorException, "stream broke")); err != nil {
		t.Fatal(err)
	}
	enc := awses.NewEncoder()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	uuid := awses.UUIDValue{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	if err := enc.Encode(&stream, awses.Message{Headers: awses.Headers{
		{Name: "t", Value: awses.BoolValue(true)}, {Name: "f", Value: awses.BoolValue(false)},
		{Name: "i8", Value: awses.Int8Value(-8)}, {Name: "i16", Value: awses.Int16Value(-1600)},
		{Name: "i32", Value: awses.Int32Value(-320000)}, {Name: "i64", Value: awses.Int64Value(-64000000000)},
		{Name: "b", Value: awses.BytesValue{0xde, 0xad}}, {Name: "s", Value: awses.StringValue("x")},
		{Name: "ts", Value: awses.TimestampValue(when)}, {Name: "u", Value: uuid},
	}, Payload: []byte("all types")}); err != nil {
		t.Fatal(err)
	}
	whole := stream.Bytes()
	var got []decoded
	node(t, "decode", map[string]any{"stream": base64.StdEncoding.EncodeToString(whole), "chunkSizes": []int{1, 7, 64, len(whole)}}, &got)
	type msg struct {
		Headers map[string]any
		Payload string
	}
	ev := func(typ, payload string) msg {
		return msg{map[string]any{":message-type": "event", ":event-type": typ, ":content-type": "application/json"}, payload}
	}
	want := []msg{
		ev("messageStart", `{"role":"assistant"}`),
		ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Bonjour ✓"}}`),
		ev("messageStop", `{"stopReason":"end_turn"}`),
		{map[string]any{":message-type": "exception", ":exception-type": "modelStreamErrorException", ":content-type": "application/json"}, `{"message":"stream broke"}`},
		{map[string]any{"t": true, "f": false, "i8": float64(-8), "i16": float64(-1600), "i32": float64(-320000), "i64": "-64000000000",
			"b": "dead", "s": "x", "ts": "2026-01-02T03:04:05.000Z", "u": "123456789abcdef00123456789abcdef"}, "all types"},
	}
	// Bedrock pads events ("p") to hide their length; whether and how
	// much is not for comparing.
	pad := func(s string) string {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return s
		}
		delete(m, "p")
		b, _ := json.Marshal(m)
		return string(b)
	}
	for i, d := range got {
		if d.Error != "" {
			t.Errorf("chunks %d: %s", i, d.Error)
			continue
		}
		var have []msg
		for _, m := range d.Messages {
			have = append(have, msg{m.Headers, pad(m.Payload)})
		}
		norm := make([]msg, len(want))
		for k, m := range want {
			norm[k] = msg{m.Headers, pad(m.Payload)}
		}
		if diff := cmp.Diff(norm, have); diff != "" {
			t.Errorf("chunk size #%d (-want +got):\n%s", i, diff)
		}
	}

	// A flipped payload byte, a cut stream and a bad length are refused.
	bad := bytes.Clone(whole)
	bad[20] ^= 0xFF
	for name, b := range map[string][]byte{"corrupt": bad, "cut": whole[:len(whole)-3], "length": append([]byte{0xFF, 0xFF, 0xFF, 0xFF}, whole[4:]...)} {
		var res []decoded
		node(t, "decode", map[string]any{"stream": base64.StdEncoding.EncodeToString(b), "chunkSizes": []int{5}}, &res)
		if res[0].Error == "" {
			t.Errorf("%s stream decoded without error", name)
		}
	}
}

// TestMarkdownIsSafe renders model output as the page does: what models
// write becomes markup, and markup they write stays text.
func TestMarkdownIsSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"# Title\nText **bold** *it* `a<b`", `<h1>Title</h1><p>Text <strong>bold</strong> <em>it</em> <code>a&lt;b</code></p>`},
		{"- a\n- b\n  - c\n\n1. x\n2. y", `<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol><li>x</li><li>y</li></ol>`},
		{"```go\nif a < b {}\n```", `<pre><code class="language-go">if a &lt; b {}</code></pre>`},
		{"```\nstill streaming <b>", `<pre><code>still streaming &lt;b&gt;</code></pre>`},
		{"| a | b |\n|---|--:|\n| 1 | 2 |", `<table><thead><tr><th>a</th><th class="align-right">b</th></tr></thead><tbody><tr><td>1</td><td class="align-right">2</td></tr></tbody></table>`},
		{"[ok](https://example.com/?a=1&b=2)", `<p><a href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">ok</a></p>`},
		{"[x](javascript:alert)", `<p>x</p>`},
		{"snake_case_name and 2*3*4", `<p>snake_case_name and 2*3*4</p>`},
		{"<script>alert(1)</script>", `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{`<img src=x onerror="alert(1)">`, `<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>`},
		{"[a\"><img src=x>](https://e.com/\"onmouseover=x)", `<p><a href="https://e.com/&quot;onmouseover=x" target="_blank" rel="noopener noreferrer">a&quot;&gt;&lt;img src=x&gt;</a></p>`},
		{"```\" onload=x\nbody\n```", `<pre><code>body</code></pre>`},
		{"> quote\n\n---", `<blockquote><p>quote</p></blockquote><hr>`},
	}
	var in []string
	for _, tc := range tests {
		in = append(in, tc.in)
	}
	var got []string
	node(t, "markdown", in, &got)
	for i, tc := range tests {
		if got[i] != tc.want {
			t.Errorf("render(%q)\n got %s\nwant %s", tc.in, got[i], tc.want)
		}
	}
}

// TestCodeSnippetsCompile generates the boto3, Go and JavaScript snippets
// for a turn that uses every kind of block the page sends, then compiles
// the Go one against this module's SDK, checks the JavaScript with node
// --check, and parses the Python when python3 is there.
func TestCodeSnippetsCompile(t *testing.T) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nnot really"))
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("%PDF-"), 2000))
	body := map[string]any{
		"messages": []any{
			map[string]any{"role": "user", "content": []any{
				map[string]any{"image": map[string]any{"format": "png", "source": map[string]any{"bytes": png}}},
				map[string]any{"document": map[string]any{"format": "pdf", "name": "Report (Q1)", "source": map[string]any{"bytes": big}}},
				map[string]any{"text": "Line one\nLine \"two\" with `ticks` and \\ backslash"},
				map[string]any{"cachePoint": map[string]any{"type": "default", "ttl": "1h"}},
			}},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"reasoningContent": map[string]any{"reasoningText": map[string]any{"text": "thinking", "signature": "sig"}}},
				map[string]any{"toolUse": map[string]any{"toolUseId": "t1", "name": "echo", "input": map[string]any{"text": "hi", "n": 1.5, "ok": true, "none": nil}}},
			}},
			map[string]any{"role": "user", "content": []any{
				map[string]any{"toolResult": map[string]any{"toolUseId": "t1", "status": "error", "content": []any{map[string]any{"json": map[string]any{"echo": "hi"}}, map[string]any{"text": "plain"}}}},
			}},
		},
		"system":          []any{map[string]any{"text": "Be brief."}, map[string]any{"cachePoint": map[string]any{"type": "default"}}},
		"inferenceConfig": map[string]any{"maxTokens": 512, "temperature": 0.5, "topP": 0.9, "stopSequences": []string{"END", "\"q\""}},
		"toolConfig": map[string]any{"tools": []any{
			map[string]any{"toolSpec": map[string]any{"name": "echo", "description": "Echo", "inputSchema": map[string]any{"json": map[string]any{"type": "object", "properties": map[string]any{"text": map[string]any{"type": "string"}}}}}},
			map[string]any{"cachePoint": map[string]any{"type": "default"}},
		}},
		"additionalModelRequestFields": map[string]any{"top_k": 40},
	}
	for _, stream := range []bool{true, false} {
		var code struct{ Boto3, Go, JS string }
		node(t, "codegen", map[string]any{"modelId": "anthropic.claude-sonnet-4-5-20250929-v1:0", "body": body, "stream": stream, "endpoint": "http://127.0.0.1:8080", "region": "us-east-1"}, &code)
		dir := t.TempDir()
		write := func(name, text string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		goFile := write("main.go", code.Go)
		// Built from the module root, so the snippet's imports resolve to
		// this module's SDK versions.
		build := exec.CommandContext(t.Context(), "go", "vet", goFile)
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			t.Errorf("stream=%v: the Go snippet does not compile: %v\n%s\n%s", stream, err, out, numbered(code.Go))
		}
		nodePath, _ := exec.LookPath("node")
		if out, err := exec.CommandContext(t.Context(), nodePath, "--check", write("call.mjs", code.JS)).CombinedOutput(); err != nil {
			t.Errorf("stream=%v: the JavaScript snippet does not parse: %v\n%s\n%s", stream, err, out, numbered(code.JS))
		}
		if py, err := exec.LookPath("python3"); err == nil {
			p := write("call.py", code.Boto3)
			if out, err := exec.CommandContext(t.Context(), py, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", p).CombinedOutput(); err != nil {
				t.Errorf("stream=%v: the boto3 snippet does not parse: %v\n%s\n%s", stream, err, out, numbered(code.Boto3))
			}
		}
		for _, c := range []string{code.Boto3, code.Go, code.JS} {
			if !strings.Contains(c, "anthropic.claude-sonnet-4-5-20250929-v1:0") || !strings.Contains(c, "http://127.0.0.1:8080") {
				t.Errorf("a snippet lacks the model or endpoint:\n%s", c)
			}
			if !strings.Contains(c, "Report (Q1).pdf") || !strings.Contains(c, png) {
				t.Errorf("a snippet lacks the media (large from a file, small inline):\n%s", c)
			}
		}
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d\t%s\n", i+1, l)
	}
	return b.String()
}
