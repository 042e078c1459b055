package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var screenshots = flag.Bool("screenshots", false, "write the playground test's screenshots to docs/ (for the README)")

// browser finds node, Debian's chromium and playwright-core (installed by
// .ci/deps); without them the test is skipped, unless CONVERSE_REQUIRE_JS
// is set (make test), where that is a failure.
func browser(t *testing.T) (node string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CONVERSE_REQUIRE_JS") != "" {
			t.Fatal(what + " (run .ci/deps)")
		}
		t.Skip(what + "; make test installs it")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(chromium()); err != nil {
		missing("chromium is not installed")
	}
	if _, err := os.Stat("../../browsertest/node_modules/playwright-core/package.json"); err != nil {
		missing("browsertest/node_modules is missing: npm ci in browsertest")
	}
	return node
}

func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// TestPlaygroundInBrowser opens the playground of real `converse serve`
// processes in chromium and uses it as a person would (browsertest/
// playground.mjs): a streamed answer in Markdown, the request and event
// views and code snippets, a tool round trip, image and document
// attachments, prompt-cache checkpoints, a ValidationException, Converse
// without streaming, the request log, and a server with configured keys
// where the user pastes a Bedrock API key. Every step waits for what it
// needs; nothing depends on timing.
func TestPlaygroundInBrowser(t *testing.T) {
	node := browser(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	script := write("rules.yaml", []byte(`rules:
  - name: markdown
    match: {text: "(?i)markdown demo"}
    reply:
      text: |
        ### Prompt caching

        A **cache point** marks the end of a reusable prefix; see the `+"`cachePoint`"+` block.

        - the system prompt
        - the tool definitions
        - the conversation so far

        | field | meaning |
        | --- | --- |
        | cacheReadInputTokens | read from the cache |
        | cacheWriteInputTokens | written to it |

        `+"```json"+`
        {"cachePoint": {"type": "default"}}
        `+"```"+`

        Markup a model writes stays text: <img src=x onerror=alert(1)>
`))
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(40 * i)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	pngPath := write("photo.png", pngBytes.Bytes())
	txtPath := write("release notes v2.txt", []byte("converse 2.0: the playground.\n"))
	const apiKey = "pg-test-bedrock-api-key-0001"
	config := write("keys.yaml", []byte(`auth:
  principals:
    - name: team
      models: ["*"]
      api_keys: ["`+apiKey+`"]
`))

	// Paced like a model (the later flags win over startServe's), so the
	// screenshots show plausible figures; no check depends on the pace.
	dev := startServe(t, "-script", script, "-builtin-ttft", "150ms", "-builtin-tps", "150")
	keys := startServe(t, "-config", config)
	out := t.TempDir()
	if *screenshots {
		var err error
		if out, err = filepath.Abs("../../docs"); err != nil {
			t.Fatal(err)
		}
	}
	args, _ := json.Marshal(map[string]string{"dev": dev, "keys": keys, "apiKey": apiKey, "png": pngPath, "txt": txtPath, "out": out})

	// Read the script here so go test's cache notices when it changes.
	if _, err := os.ReadFile("../../browsertest/playground.mjs"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "playground.mjs", string(args))
	cmd.Dir = "../../browsertest"
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium())
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	t.Logf("browsertest/playground.mjs:\n%s", output.String())
	if err != nil {
		t.Fatalf("browsertest/playground.mjs: %v", err)
	}
	if n := strings.Count(output.String(), "\nok ") + boolInt(strings.HasPrefix(output.String(), "ok ")); n != 12 {
		t.Errorf("%d of 12 checks passed", n)
	}
	for _, name := range []string{"playground.png", "playground-log.png"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func getWith(t *testing.T, url, bearer string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// -playground and playground.enabled turn the playground on and off (the
// flag wins); with the development key the page gets it and dev reads
// the request log.
func TestServePlaygroundSwitch(t *testing.T) {
	off := writeConfig(t, "playground: {enabled: false}\n")
	for _, tc := range []struct {
		name string
		args []string
		on   bool
	}{
		{"default", nil, true},
		{"flag off", []string{"-playground=false"}, false},
		{"config off", []string{"-config", off}, false},
		{"flag wins", []string{"-config", off, "-playground=true"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := startServe(t, tc.args...)
			status, body, h := getWith(t, endpoint+"/playground/", "")
			if tc.on && (status != 200 || !strings.Contains(body, "converse playground")) {
				t.Errorf("GET /playground/: %d, want the page", status)
			}
			if !tc.on && (status != 404 || !strings.HasPrefix(h.Get("X-Amzn-ErrorType"), "UnknownOperationException")) {
				t.Errorf("GET /playground/: %d %q, want UnknownOperationException", status, h.Get("X-Amzn-ErrorType"))
			}
			if !tc.on {
				return
			}
			_, cfg, _ := getWith(t, endpoint+"/playground/api/config", "")
			if !strings.Contains(cfg, `"mode":"dev","region":"us-east-1","accessKeyId":"test","secretAccessKey":"test"`) || !strings.Contains(cfg, `"requestLog":true`) {
				t.Errorf("settings: %.300s", cfg)
			}
		})
	}
	// The page signs for the region the server accepts.
	endpoint := startServe(t, "-config", writeConfig(t, "auth: {regions: [eu-west-3]}\n"))
	if _, cfg, _ := getWith(t, endpoint+"/playground/api/config", ""); !strings.Contains(cfg, `"region":"eu-west-3"`) {
		t.Errorf("settings: %.200s", cfg)
	}
	if err := run(t.Context(), []string{"serve", "-config", writeConfig(t, "playground: {operators: [nobody]}\n")}, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), `playground.operators[0]: "nobody" is not a principal`) {
		t.Errorf("unknown operator: %v", err)
	}
}

// With configured principals the page gets no key; the request log shows
// every principal's calls to the operators only, fed by the same records
// the invocation log file gets.
func TestServePlaygroundRequestLog(t *testing.T) {
	const opsKey, teamKey = "ops-api-key-0123456789", "team-api-key-0123456789"
	logPath := filepath.Join(t.TempDir(), "invocations.jsonl")
	principals := `auth:
  principals:
    - {name: ops, models: ["*"], api_keys: ["` + opsKey + `"]}
    - {name: team, models: ["*"], api_keys: ["` + teamKey + `"]}
`
	endpoint := startServe(t, "-config", writeConfig(t, principals+"playground: {operators: [ops]}\ninvocation_log: {output: "+logPath+"}\n"))
	_, cfg, _ := getWith(t, endpoint+"/playground/api/config", "")
	if !strings.Contains(cfg, `"auth":{"mode":"keys","region":"us-east-1"}`) || strings.Contains(cfg, opsKey) || strings.Contains(cfg, teamKey) || !strings.Contains(cfg, `"requestLog":true`) {
		t.Errorf("settings: %.300s", cfg)
	}

	// team calls a model; bearer tokens over plain HTTP, as the page sends
	// them.
	body := `{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/model/amazon.nova-lite-v1:0/converse", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+teamKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("Converse: %d", res.StatusCode)
	}

	if status, body, _ := getWith(t, endpoint+"/playground/api/log", teamKey); status != 403 || !strings.Contains(body, "AccessDeniedException") {
		t.Errorf("team reads the log: %d %s", status, body)
	}
	// Records reach the log through the invocation log's writer goroutine:
	// poll until it is there, as the page does (the deadline only guards
	// against a hang).
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, body, _ := getWith(t, endpoint+"/playground/api/log", opsKey)
		if status != 200 {
			t.Fatalf("ops reads the log: %d %s", status, body)
		}
		if strings.Contains(body, `"principal":"team"`) {
			if !strings.Contains(body, `"modelId":"amazon.nova-lite-v1:0"`) || !strings.Contains(body, `"backend":"builtin"`) || !strings.Contains(body, `"httpStatus":200`) {
				t.Errorf("log: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call never reached the request log: %s", body)
		}
		<-time.After(10 * time.Millisecond) // poll interval, not a timing assumption
	}
	file, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(file), `"principal":"team"`) {
		t.Errorf("invocation log file: %v %s", err, file)
	}

	// Without operators nobody reads it, and no record is kept for it.
	endpoint = startServe(t, "-config", writeConfig(t, principals))
	if _, cfg, _ := getWith(t, endpoint+"/playground/api/config", ""); !strings.Contains(cfg, `"requestLog":false`) {
		t.Errorf("settings: %.300s", cfg)
	}
	if status, _, _ := getWith(t, endpoint+"/playground/api/log", opsKey); status != 404 {
		t.Errorf("log without operators: %d, want 404", status)
	}
}
