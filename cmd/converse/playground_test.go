package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
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
