package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLoggingKeys(t *testing.T) {
	c, err := Parse([]byte(`
log_level: debug
invocation_log:
  output: stdout
  max_size_mb: 10
  max_backups: 2
  bodies: true
  keep_media: true
  max_body_bytes: 100
  buffer: 8
`))
	if err != nil {
		t.Fatal(err)
	}
	want := InvocationLog{Output: "stdout", MaxSizeMB: 10, MaxBackups: 2, Bodies: true, KeepMedia: true, MaxBodyBytes: 100, Buffer: 8}
	if diff := cmp.Diff(want, c.InvocationLog); diff != "" || c.LogLevel != "debug" {
		t.Errorf("log_level %q, invocation_log (-want +got):\n%s", c.LogLevel, diff)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"log_level: verbose", `log_level "verbose" is not one of debug, info, warn, error`},
		{"invocation_log: {buffer: -1}", "must not be negative"},
		{"invocation_log: {body: true}", "field body not found"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
