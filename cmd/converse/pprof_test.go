package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// The profiler is opt-in, by flag or config key, and lives on the metrics
// listener only: never on the API port, where any caller could reach it.
func TestServePprof(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    func(cfg string) []string
		metrics int // status of /debug/pprof/ on the metrics listener
	}{
		{"off by default", func(string) []string { return nil }, 404},
		{"flag", func(string) []string { return []string{"-pprof"} }, 200},
		{"config key", func(cfg string) []string { return []string{"-config", cfg} }, 200},
		{"flag wins over the key", func(cfg string) []string { return []string{"-config", cfg, "-pprof=false"} }, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			metrics := freeAddr(t)
			cfg := writeConfig(t, "pprof: true\n")
			endpoint, _ := serveUntil(t, io.Discard, append([]string{"-metrics-addr", metrics}, tc.args(cfg)...)...)
			if status, body := probe(t, "http://"+metrics+"/debug/pprof/"); status != tc.metrics {
				t.Errorf("metrics listener /debug/pprof/: %d, want %d (%.80q)", status, tc.metrics, body)
			} else if status == 200 && !strings.Contains(body, "goroutine") {
				t.Errorf("metrics listener /debug/pprof/ is not the profiler's index: %.200q", body)
			}
			if tc.metrics == 200 {
				if status, _ := probe(t, "http://"+metrics+"/debug/pprof/heap?debug=1"); status != 200 {
					t.Errorf("heap profile: %d, want 200", status)
				}
			}
			// The API port answers every unknown path with Bedrock's
			// UnknownOperationException, never with the profiler.
			if status, body := probe(t, endpoint+"/debug/pprof/"); status == 200 || strings.Contains(body, "goroutine") {
				t.Errorf("API port /debug/pprof/: %d %.200q, want no profiler", status, body)
			}
		})
	}
}

// -pprof without a metrics listener has nowhere to go: an error, not a
// silently ignored flag.
func TestServePprofNeedsMetricsListener(t *testing.T) {
	err := run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-pprof"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-metrics-addr") {
		t.Fatalf("serve -pprof without -metrics-addr: %v, want an error naming -metrics-addr", err)
	}
}
