package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// What a new user types first: -h and --version answer and exit 0.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--help"}, {"chat", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err != nil {
			t.Errorf("%q: %v (exit 1), want the flags and exit 0", args, err)
		}
		if out := stdout.String() + stderr.String(); !strings.Contains(out, "-model") && !strings.Contains(out, "-builtin-pace-converse") {
			t.Errorf("%q printed %q, want the flags", args, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var stdout bytes.Buffer
		if err := run(t.Context(), args, &stdout, io.Discard); err != nil {
			t.Errorf("%q: %v", args, err)
		}
		if got := strings.TrimSpace(stdout.String()); got != version() {
			t.Errorf("%q printed %q, want %q", args, got, version())
		}
	}
}

func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install @version", debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"pseudo-version", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207013319-26c287f1a2b3"}}, "v0.0.0-20261207013319-26c287f1a2b3"},
		{"clean checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("26c287f1a2b3c4d5e6f708192a3b4c5d6e7f8091", "false")}, "(devel) 26c287f1a2b3"},
		{"uncommitted changes", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("26c287f1a2b3c4d5e6f708192a3b4c5d6e7f8091", "true")}, "(devel) 26c287f1a2b3-dirty"},
		{"no VCS information", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
	} {
		if got := versionOf(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A port in use says which flag chooses another.
func TestServePortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte("listen: "+addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "-addr", addr}, "choose another address with -addr"},
		{[]string{"serve", "-config", cfg}, "choose another address with -addr (or listen: in the config file)"},
		{[]string{"serve", "-addr", "127.0.0.1:0", "-metrics-addr", addr}, "choose another address with -metrics-addr"},
	} {
		err := run(t.Context(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), addr+" is already in use") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it to say %q", tc.args, err, tc.want)
		}
	}
}

// notifyBuffer is a stdout that tests can read while serve writes to it.
type notifyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveBanner runs `converse serve args...` and returns its endpoint and
// everything it printed before it served its first request (the whole
// banner: it is written before the server starts answering).
func serveBanner(t *testing.T, args ...string) (endpoint, banner string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &notifyBuffer{wrote: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	for endpoint == "" {
		select {
		case <-out.wrote:
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, out.String())
		case <-time.After(60 * time.Second):
			t.Fatalf("serve printed no endpoint:\n%s", out.String())
		}
		if m := endpointLine.FindStringSubmatch(out.String()); m != nil {
			endpoint = m[1]
		}
	}
	tr := &http.Transport{}
	if strings.HasPrefix(endpoint, "https://") {
		// Only to learn that serve is answering; TestServeConfigTLSAndAPIKeys checks the certificate.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(endpoint + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return endpoint, out.String()
}

// The banner says what is configured: backends without their secrets,
// routes, aliases, what answers the rest, script rules, recording,
// quotas, guardrails, the invocation log, pacing, and absolute paths.
func TestServeBanner(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rules.yaml", "rules:\n  - match: {text: hi}\n    reply: {text: Hi.}\n  - match: {text: bye}\n    reply: {text: Bye.}\n")
	t.Setenv("OLLAMA_KEY", "sk-backend-secret")
	write("converse.yaml", `
builtin:
  time_to_first_token: 250ms
  tokens_per_second: 40
  pace_converse: true
script: rules.yaml
backends:
  - name: ollama
    kind: openai
    base_url: http://user:hunter2@127.0.0.1:11434/v1?api-key=query-secret
    api_key: ${OLLAMA_KEY}
  - name: claude
    kind: anthropic
    api_key: ${OLLAMA_KEY}
routes:
  - match: anthropic.claude-3-haiku-20240307-v1:0
    backend: ollama
    model: llama3.2
    fallbacks: [{backend: builtin}]
  - match: "anthropic.*"
    backend: claude
aliases:
  haiku: anthropic.claude-3-haiku-20240307-v1:0
quotas:
  rules:
    - {principal: "*", model: "*", requests_per_minute: 60}
guardrails:
  - id: pii
    version: "1"
    words: {words: [secretword], action: BLOCK}
invocation_log:
  output: calls.jsonl
`)
	_, banner := serveBanner(t, "-config", "converse.yaml", "-record", "recordings", "-tls-dev-cert", "ca.pem")
	t.Log(banner)
	for _, want := range []string{
		"builtin (the built-in model: first token after 250ms, 40 tokens/s streamed; Converse waits for the whole answer)",
		"ollama (OpenAI-compatible API at http://127.0.0.1:11434/v1)",
		"claude (Anthropic Messages API at https://api.anthropic.com)",
		"anthropic.claude-3-haiku-20240307-v1:0 → ollama as llama3.2, falling back to builtin",
		"anthropic.* → claude",
		"haiku → anthropic.claude-3-haiku-20240307-v1:0",
		"builtin answers every catalogue model ID no route matches",
		"2 rules from " + filepath.Join(dir, "rules.yaml"),
		"every exchange with a backend is written to " + filepath.Join(dir, "recordings"),
		"1 rule, counted in this process",
		"pii (version 1)",
		filepath.Join(dir, "calls.jsonl") + ", without bodies",
		"AWS_CA_BUNDLE=" + filepath.Join(dir, "ca.pem"),
		"/playground/",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	for _, leak := range []string{"hunter2", "query-secret", "sk-backend-secret", "answers every catalogue model ID)"} {
		if strings.Contains(banner, leak) {
			t.Errorf("banner shows %q:\n%s", leak, banner)
		}
	}
}

// With no configuration the banner says the built-in model answers every
// catalogue model ID, and how Converse is paced by default; with -replay,
// that recordings answer everything.
func TestServeBannerDefaults(t *testing.T) {
	_, banner := serveBanner(t)
	for _, want := range []string{
		"builtin answers every catalogue model ID\n",
		"first token after 300ms, 60 tokens/s streamed; Converse waits for the first token only",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	_, banner = serveBanner(t, "-builtin-pace-converse", "-builtin-ttft", "0", "-builtin-tps", "0")
	if !strings.Contains(banner, "the built-in model: no pacing") {
		t.Errorf("banner with pacing off:\n%s", banner)
	}
	_, banner = serveBanner(t, "-builtin-pace-converse")
	if !strings.Contains(banner, "Converse waits for the whole answer") {
		t.Errorf("banner with -builtin-pace-converse:\n%s", banner)
	}
	dir := t.TempDir()
	_, banner = serveBanner(t, "-replay", dir)
	if !strings.Contains(banner, "every call is answered from the 0 exchanges recorded in "+dir) || strings.Contains(banner, "builtin") {
		t.Errorf("replay banner:\n%s", banner)
	}
}

// The README's first screen: a code block of exactly two commands (the
// server, the tests), then how to install; the built-in model's pacing
// flags are all documented; the Tests section offers the quick run; and
// .ci/deps says what it installs before it asks apt.
func TestReadmeFirstRun(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, rest, _ := strings.Cut(readme, "```sh\n")
	block, after, _ := strings.Cut(rest, "```")
	var commands []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		cmd, _, _ := strings.Cut(l, "#")
		commands = append(commands, strings.TrimSpace(cmd))
	}
	if want := []string{"go run ./cmd/converse serve", "make test"}; !slices.Equal(commands, want) {
		t.Errorf("first code block %q, want %q", commands, want)
	}
	firstScreen, _, _ := strings.Cut(after, "\n## ")
	if !strings.Contains(firstScreen, "go install github.com/conversekit/converse/cmd/converse@latest") {
		t.Error("the README's first screen does not say how to go install converse")
	}
	var usage bytes.Buffer
	if err := run(t.Context(), []string{"serve", "-h"}, io.Discard, &usage); err != nil {
		t.Fatal(err)
	}
	for _, f := range regexp.MustCompile(`(?m)^  (-builtin-[a-z-]+)`).FindAllStringSubmatch(usage.String(), -1) {
		if !strings.Contains(readme, "`"+f[1]) {
			t.Errorf("README does not document %s", f[1])
		}
	}
	_, tests, _ := strings.Cut(readme, "\n## Tests\n")
	if !strings.Contains(tests, "`go test ./...`") {
		t.Error("README's Tests section does not offer go test ./...")
	}
	deps, err := os.ReadFile("../../.ci/deps")
	if err != nil {
		t.Fatal(err)
	}
	say, apt := strings.Index(string(deps), `echo "installing`), strings.Index(string(deps), "apt-get install")
	if say < 0 || apt < 0 || say > apt {
		t.Error(".ci/deps does not say what it installs before apt-get install")
	}
}
