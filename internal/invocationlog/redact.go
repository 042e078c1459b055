package invocationlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

var redacted = []byte("[REDACTED]")

// body prepares one body for a record: media bytes redacted (unless
// KeepMedia), secrets scrubbed, and, when the result is longer than
// MaxBodyBytes or the body was already cut (size > len(b)), its beginning
// as text with the original size. A body that is not JSON is kept as a
// JSON string.
func (l *Log) body(b []byte, size int) (whole json.RawMessage, truncated string, fullSize int) {
	out := l.normalize(b)
	out = scrub(out, l.secrets)
	if len(out) <= l.opts.MaxBodyBytes && size <= len(b) {
		return out, "", 0
	}
	cut := min(len(out), l.opts.MaxBodyBytes)
	for cut > 0 && cut < len(out) && !utf8.RuneStart(out[cut]) {
		cut-- // do not split a UTF-8 sequence
	}
	return nil, string(out[:cut]), size
}

// normalize re-encodes a JSON body through a generic value: \u escapes
// become plain text (so scrubbing sees a secret however the client wrote
// it) and media bytes are replaced by a note of their length.
func (l *Log) normalize(b []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return marshal(string(b))
	}
	if !l.opts.KeepMedia {
		v = redactMedia(v)
	}
	return marshal(v)
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // decoded JSON values and strings always encode
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// redactMedia replaces every string member named "bytes" (the base64
// payload of images, documents, video and audio in the Converse shapes,
// wherever they are nested: messages, tool results, outputs).
func redactMedia(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && k == "bytes" {
				t[k] = fmt.Sprintf("[%d base64 characters redacted]", len(s))
				continue
			}
			t[k] = redactMedia(e)
		}
	case []any:
		for i, e := range t {
			t[i] = redactMedia(e)
		}
	}
	return v
}

// secretForms lists each secret as it may appear in a JSON line, in ASCII
// lower case for scrub: as is and JSON-escaped (a secret with a quote or
// backslash is written escaped).
func secretForms(secrets []string) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		esc := marshal(s)
		for _, f := range []string{s, string(esc[1 : len(esc)-1])} {
			f := string(asciiLower([]byte(f)))
			if !seen[f] {
				seen[f] = true
				out = append(out, []byte(f))
			}
		}
	}
	return out
}

// scrub replaces every occurrence of the secrets in b, in any ASCII letter
// case: a model that repeats a key in lower case still repeats the key.
func scrub(b []byte, secrets [][]byte) []byte {
	var low []byte
	for _, s := range secrets {
		if low == nil {
			low = asciiLower(b)
		}
		if !bytes.Contains(low, s) {
			continue
		}
		var out []byte
		for {
			i := bytes.Index(low, s)
			if i < 0 {
				break
			}
			out = append(append(out, b[:i]...), redacted...)
			b, low = b[i+len(s):], low[i+len(s):]
		}
		b = append(out, b...)
		low = nil
	}
	return b
}

// asciiLower lowers ASCII letters only, so offsets stay those of b.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
