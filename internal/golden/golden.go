// Package golden compares test output with golden files, and rewrites them
// when asked: `go test ./internal/provider/openai -update` for one package,
// or `UPDATE_GOLDEN=1 go test ./...` for all of them (packages without
// golden files do not know the -update flag, so the flag alone cannot
// cross ./...). Reviewing the diff of testdata is reviewing the change.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the one -update flag of every package that uses golden files.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Updating reports whether the tests were asked to rewrite golden files.
func Updating() bool { return *update || os.Getenv("UPDATE_GOLDEN") != "" }

// Check compares got with the file at path, or rewrites the file under
// -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// IndentJSON formats JSON for a golden file: two-space indent, final newline.
func IndentJSON(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", raw, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
