package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chunkCorpus is chunks as servers send them, and shapes that must leave
// the fast path.
var chunkCorpus = []string{
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"c","choices":[{"index":0,"delta":{"content":"Hello \"world\"\n\tand \\ / \u00e9"},"finish_reason":null,"stop_reason":null}],"usage":null}`,
	`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","content":null},"finish_reason":null}]}`,
	`{"choices":[{"index":0,"delta":{"reasoning":"hmm"}}]}`,
	`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}`,
	`{"choices":[],"usage":{"prompt_tokens":1}}`,
	`{"error":{"message":"boom","code":500}}`,
	`{"error":null,"choices":null}`,
	`{"Choices":[{"index":0,"delta":{"content":"case"}}]}`,
	`{"choices":[{"INDEX":1,"delta":{"Content":"x"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"a"}}],"choices":[{"index":1}]}`,
	`{"choices":[{"index":1.0,"delta":{"content":"a"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"\ud83d\ude00 \u0000"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"bad utf8 ` + "\xff" + `"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"x"},"stop_reason":"</s>"}]}`,
	`{"x":[1,-2.5e+3,true,false,null,{"y":"z"},[[]]],"choices":[{"index":-0,"delta":{"content":"deep"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"x"}}]} trailing`,
	`{"choices":[{"index":0,"delta":{"content":"x"}},]}`,
	`null`,
	` {"choices" : [ { "index" : 2 , "delta" : { "content" : "sp" } } ] } `,
	`{"choices":[{"index":0,"delta":null,"finish_reason":"length"}]}`,
	`{"choices":[{"index":0,"delta":{"content":"x","content":"y"}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":null,"content":"x"}}]}`,
	`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"choices":[]}`,
}

// checkChunk decodes data both ways: when the fast path accepts it, the
// result is what encoding/json makes of it, and encoding/json accepts it.
func checkChunk(t *testing.T, data string) (fast bool) {
	t.Helper()
	var want chatChunk
	wantErr := json.Unmarshal([]byte(data), &want)
	var got chatChunk
	if !fastChunk(data, &got) {
		return false
	}
	if wantErr != nil {
		t.Fatalf("fast path accepted %q, which encoding/json rejects: %v", data, wantErr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fast path on %q (-encoding/json +fast):\n%s", data, diff)
	}
	return true
}

func TestDecodeChunkMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, data := range chunkCorpus {
		if checkChunk(t, data) {
			fast++
		}
		var c chatChunk
		wantErr := json.Unmarshal([]byte(data), &chatChunk{})
		if err := decodeChunk(data, &c); (err != nil) != (wantErr != nil) {
			t.Errorf("decodeChunk(%q) = %v, encoding/json %v", data, err, wantErr)
		}
	}
	// The recorded streams of real servers mostly stay on the fast path.
	files, _ := filepath.Glob("testdata/stream/*.sse")
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if data, ok := strings.CutPrefix(line, "data:"); ok && strings.TrimSpace(data) != "[DONE]" {
				total++
				if checkChunk(t, strings.TrimSpace(data)) {
					fast++
				}
			}
		}
	}
	if total > 0 && fast < total/2 {
		t.Errorf("only %d of %d recorded chunks took the fast path", fast, total)
	}
	t.Logf("%d of %d chunks on the fast path", fast, total+len(chunkCorpus))
}

func FuzzDecodeChunk(f *testing.F) {
	for _, data := range chunkCorpus {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data string) { checkChunk(t, data) })
}
