package eventstream

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"
)

// FuzzRead feeds arbitrary bytes to Read and Events. Nothing may panic, and
// every message Read accepts must survive encode → decode unchanged.
func FuzzRead(f *testing.F) {
	for _, pattern := range []string{
		"testdata/aws-sdk-go-v2/encoded/*/*",
		"testdata/smithy-rs/*",
		"testdata/bedrock-*.bin",
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			if filepath.Base(path) == "LICENSE" {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(nil))

	opts := ReadOptions{MaxMessageBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		enc := eventstream.NewEncoder()
		for msg, err := range Read(bytes.NewReader(data), opts) {
			if err != nil {
				break
			}
			var b bytes.Buffer
			if err := enc.Encode(&b, msg); err != nil {
				t.Fatalf("re-encode of an accepted message: %v", err)
			}
			var again []eventstream.Message
			for m, err := range Read(&b, opts) {
				if err != nil {
					t.Fatalf("decode of re-encoded message: %v", err)
				}
				again = append(again, m)
			}
			if diff := cmp.Diff([]eventstream.Message{msg}, again, msgOpts); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		}
		for _, err := range Events(bytes.NewReader(data), opts) {
			if err != nil {
				break
			}
		}
		_ = Dump(io.Discard, Read(bytes.NewReader(data), opts))
	})
}
