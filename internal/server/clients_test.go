package server_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientScript runs a script of the official JavaScript SDK (in jstest/)
// or of boto3 (in pytest/) against endpoint, with only the AWS settings
// given in env (an inherited AWS_BEARER_TOKEN_BEDROCK or profile would
// change how the SDK signs), and returns its output. JavaScript skips when
// node or the npm packages are missing unless CONVERSE_REQUIRE_JS is set
// (make test installs them); Python skips when python3 or a boto3 with
// Converse is missing (the script exits 77), since there is no PyPI here.
func clientScript(t *testing.T, script string, endpoint string, env []string, args ...string) string {
	t.Helper()
	var interp, dir string
	switch filepath.Ext(script) {
	case ".mjs":
		interp, dir = "node", "../../jstest"
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-bedrock-runtime")); err != nil {
			if os.Getenv("CONVERSE_REQUIRE_JS") != "" {
				t.Fatal("jstest/node_modules missing: run npm ci in jstest")
			}
			t.Skip("jstest/node_modules missing; make test installs them")
		}
	case ".py":
		interp, dir = "python3", "../../pytest"
	}
	path, err := exec.LookPath(interp)
	if err != nil {
		if interp == "node" && os.Getenv("CONVERSE_REQUIRE_JS") != "" {
			t.Fatal("node is not installed")
		}
		t.Skip(interp + " is not installed; " + missingClient[interp])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{script}, args...)...)
	cmd.Dir = dir
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") {
			base = append(base, kv)
		}
	}
	cmd.Env = append(append(base,
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+endpoint,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 77 {
		t.Skip(script + ": " + missingClient[interp])
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out.String())
	}
	t.Logf("%s:\n%s", script, out.String())
	return out.String()
}

// missingClient says why a client script may not run, and what covers its
// checks when it cannot.
var missingClient = map[string]string{
	"node": "make test installs node and jstest's packages",
	// CI has no Python package index, so boto3 runs only where a developer
	// installed it. Every check of pytest/seed.py is also in jstest/seed.mjs
	// (same five checks through the JS SDK), and boto3's signed-header set is
	// verified in internal/auth's TestClientSignedHeaderSets.
	"python3": "boto3 (with Converse) is not installed and CI has no Python package index; jstest/seed.mjs runs the same checks and internal/auth covers boto3's signing",
}

// devKey is the development principal's key as environment variables.
var devKey = []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}

// TestJavaScriptSDK runs jstest/seed.mjs — the seeds' JavaScript calls with
// @aws-sdk/client-bedrock-runtime, which speaks only HTTP/2 (h2c) to an
// http:// endpoint.
func TestJavaScriptSDK(t *testing.T) {
	clientScript(t, "seed.mjs", start(t, nil), devKey)
}

// TestJavaScriptWeatherSeed runs jstest/weather.mjs: the seeds' weather
// tool round trip, the seed's verbatim mistake, and the streamed tool call.
func TestJavaScriptWeatherSeed(t *testing.T) {
	out := clientScript(t, "weather.mjs", start(t, nil), devKey)
	if n := strings.Count(out, `"ok":true`); n != 3 {
		t.Errorf("%d of 3 checks passed", n)
	}
}

// TestBoto3 runs pytest/seed.py, the seeds' boto3 calls.
func TestBoto3(t *testing.T) {
	clientScript(t, "seed.py", start(t, nil), devKey)
}
