// Package replay records exchanges with a backend to files and answers
// from them later, so a team can record real Bedrock (or any backend) once
// and run its tests offline, deterministically, forever.
//
// One file per request, named by operation and a hash of the normalised
// request ("converse-<hash>.json", "converse-stream-<hash>.json",
// "count-tokens-<hash>.json"), holding readable, stable JSON: the
// normalised request, then every exchange it had, in order. An exchange is
// the response, or the full list of stream events, or the error (after the
// events, for a stream that failed partway). Keeping every exchange is what
// lets "throttled, then answered" replay as it happened: the player gives
// the n-th identical request the n-th recorded answer, and repeats the last
// one once the sequence is used up.
//
// Normalisation decides which requests are "the same":
//   - the request is the decoded wire request re-encoded as canonical JSON:
//     object keys sorted, no insignificant whitespace, numbers as written,
//     so key order and formatting in the client's body do not matter;
//   - the model ID and the operation are part of it (for Converse and
//     ConverseStream the ID as the client sent it; for CountTokens the one
//     the router hands the provider, after aliases and routes);
//   - requestMetadata is dropped: it tags invocation logs and often holds
//     per-run values (trace IDs), and never changes the answer;
//   - inline media bytes are replaced by "sha256:<hex> (<n> bytes)", so the
//     file stays readable while different bytes still differ.
//
// Everything else (inference settings, tools, toolUseIds in the history)
// is compared exactly. Replaying a recorded tool loop works because the
// replayed first answer carries the recorded toolUseIds, which the client
// echoes back in its next request.
package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Operations as they appear in recordings and file names.
const (
	opConverse = "Converse"
	opStream   = "ConverseStream"
	opCount    = "CountTokens"
)

// formatVersion changes when the file layout does. Version 1 held one
// exchange inline (response, events, error beside the request); version 2
// holds every exchange of the request, in order, under "exchanges".
// Version 1 files still load, as a sequence of one.
const formatVersion = 2

// file is one recording file: a request and everything it was answered.
type file struct {
	Version   int    `json:"version"`
	Key       string `json:"key"`
	Operation string `json:"operation"`
	ModelID   string `json:"modelId"`
	// Request is the normalised request.
	Request any `json:"request"`
	// Exchanges are the answers to this request in the order they were
	// given (version 2).
	Exchanges []*exchange `json:"exchanges,omitempty"`
	// exchange is the one answer of a version 1 file, inline.
	exchange
}

// exchange is one answer to a request.
type exchange struct {
	// Response is the Converse answer, or the CountTokens answer
	// ({"inputTokens": n}).
	Response json.RawMessage `json:"response,omitempty"`
	// Events are every ConverseStream event in order.
	Events []json.RawMessage `json:"events,omitempty"`
	// Error ends the exchange: the call failed, or the stream failed before
	// or after its events.
	Error *recordedError `json:"error,omitempty"`
}

// recordedError is a wire.Exception with its type spelled out.
type recordedError struct {
	Type               string `json:"type"`
	Message            string `json:"message"`
	OriginalStatusCode int    `json:"originalStatusCode,omitempty"`
	OriginalMessage    string `json:"originalMessage,omitempty"`
	ResourceName       string `json:"resourceName,omitempty"`
}

func fromException(ex *wire.Exception) *recordedError {
	return &recordedError{Type: ex.Type, Message: ex.Message, OriginalStatusCode: ex.OriginalStatusCode,
		OriginalMessage: ex.OriginalMessage, ResourceName: ex.ResourceName}
}

func (e *recordedError) exception() *wire.Exception {
	return &wire.Exception{Type: e.Type, Message: e.Message, OriginalStatusCode: e.OriginalStatusCode,
		OriginalMessage: e.OriginalMessage, ResourceName: e.ResourceName}
}

// normalised is a request in its comparable form.
type normalised struct {
	op, modelID string
	request     any // canonical tree
	key         string
}

// fileName is where an exchange lives in the directory.
func (n *normalised) fileName() string {
	prefix := "converse"
	switch n.op {
	case opStream:
		prefix = "converse-stream"
	case opCount:
		prefix = "count-tokens"
	}
	return prefix + "-" + n.key[:16] + ".json"
}

// normalise turns a call into its comparable form.
func normalise(op string, c *provider.Call) (*normalised, error) {
	return normaliseValue(op, c.ModelID, c.Request)
}

// normaliseCount turns a CountTokens call into its comparable form: the
// request is the CountTokensInput ({"converse": …} or {"invokeModel": …}).
func normaliseCount(modelID string, in *wire.CountTokensInput) (*normalised, error) {
	return normaliseValue(opCount, modelID, in)
}

func normaliseValue(op, modelID string, req any) (*normalised, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	tree, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	return normaliseTree(op, modelID, tree)
}

// normaliseTree applies the rules to a decoded request; it is idempotent,
// so a recording's stored request normalises to the same key.
func normaliseTree(op, modelID string, tree any) (*normalised, error) {
	if m, ok := tree.(map[string]any); ok {
		delete(m, "requestMetadata")
	}
	tree = digestBytes(tree)
	canon, err := canonical(map[string]any{"operation": op, "modelId": modelID, "request": tree})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canon)
	return &normalised{op: op, modelID: modelID, request: tree, key: hex.EncodeToString(sum[:])}, nil
}

func decodeTree(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return v, nil
}

// canonical encodes a tree compactly with sorted keys (encoding/json sorts
// map keys) and without HTML escaping.
func canonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode canonical request: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

const digestPrefix = "sha256:"

// digestBytes replaces every "bytes" member holding base64 by its digest.
// Base64 never contains ':', so a digest is never digested again.
func digestBytes(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			if s, ok := sub.(string); ok && k == "bytes" {
				if !bytes.HasPrefix([]byte(s), []byte(digestPrefix)) {
					raw, err := base64.StdEncoding.DecodeString(s)
					if err != nil {
						raw = []byte(s)
					}
					sum := sha256.Sum256(raw)
					t[k] = fmt.Sprintf("%s%s (%d bytes)", digestPrefix, hex.EncodeToString(sum[:]), len(raw))
				}
				continue
			}
			t[k] = digestBytes(sub)
		}
	case []any:
		for i := range t {
			t[i] = digestBytes(t[i])
		}
	}
	return v
}

// lastUserText finds the text of the last user message in a request tree
// (or in the converse member of a CountTokens input), which is what a
// person compares when looking for the closest recording.
func lastUserText(tree any) string {
	m, _ := tree.(map[string]any)
	if inner, ok := m["converse"].(map[string]any); ok {
		m = inner
	}
	msgs, _ := m["messages"].([]any)
	for i := len(msgs) - 1; i >= 0; i-- {
		msg, _ := msgs[i].(map[string]any)
		if msg["role"] != "user" {
			continue
		}
		content, _ := msg["content"].([]any)
		var b bytes.Buffer
		for _, c := range content {
			cb, _ := c.(map[string]any)
			if s, ok := cb["text"].(string); ok {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(s)
			}
		}
		if b.Len() > 0 {
			return b.String()
		}
	}
	return ""
}
