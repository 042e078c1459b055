package server_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJavaScriptWeatherSeed runs jstest/weather.mjs — the seeds' weather
// tool round trip with the official @aws-sdk/client-bedrock-runtime, the
// seed's verbatim mistake, and the streamed tool call — against a converse
// server on its defaults. It skips like TestJavaScriptSDK when node or the
// npm packages are missing, unless CONVERSE_REQUIRE_JS is set.
func TestJavaScriptWeatherSeed(t *testing.T) {
	dir, err := filepath.Abs("../../jstest")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-bedrock-runtime")); err != nil || statErr != nil {
		if os.Getenv("CONVERSE_REQUIRE_JS") != "" {
			t.Fatalf("node (%v) or jstest/node_modules (%v) missing: run npm ci in jstest", err, statErr)
		}
		t.Skip("node or jstest/node_modules missing; make test installs them")
	}
	endpoint := start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "weather.mjs")
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+endpoint,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("weather.mjs: %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), `"ok":true`); n != 3 {
		t.Errorf("%d of 3 checks passed:\n%s", n, out.String())
	}
	t.Logf("weather.mjs:\n%s", out.String())
}
