// Package promptcache gives Bedrock's prompt caching its meaning on every
// backend: it fingerprints the prompt prefix before each cachePoint (tools →
// system → messages), remembers fingerprints with their TTL in a Registry
// (memory for one node, Redis to share between replicas), turns a request's
// hits and misses into Bedrock's cacheReadInputTokens, cacheWriteInputTokens
// and cacheDetails, and picks a replica so that requests sharing a cached
// prefix reach the same upstream prefix cache.
package promptcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// fingerprintVersion starts every hashed prefix. Change it whenever the
// encoding below changes, so replicas of different versions sharing one Redis
// miss instead of matching different prompts.
const fingerprintVersion = "converse/promptcache/v1\n"

// Element tags of the hashed stream. Every element is a tag byte followed by
// either a length-prefixed string or one JSON value ending in '\n' (the
// encoder escapes newlines inside JSON strings), so the stream decodes
// unambiguously and two different prefixes never hash the same bytes.
const (
	tagModel      = 'M'
	tagTools      = 'T' // start of toolConfig.tools
	tagTool       = 't' // one tool (toolSpec or systemTool), JSON
	tagSystem     = 'S' // start of system
	tagSystemText = 's' // system text block, length-prefixed
	tagSystemJSON = 'g' // other system block (guardContent), JSON
	tagMessages   = 'C' // start of messages; followed by toolChoice
	tagMessage    = 'm' // start of one message; followed by its role
	tagText       = 'x' // text content block, length-prefixed
	tagBlock      = 'b' // other content block, JSON
)

// Fingerprints returns one key per cachePoint of req, in the order Bedrock
// builds the cached prefix and internal/tokens reports checkpoints:
// toolConfig.tools, then system, then the content of each message. Each key
// is the hex SHA-256 of the canonical prefix before that cache point,
// preceded by the model ID because caches are per model.
//
// The prefix is hashed incrementally in one pass, so the cost is that of
// hashing the prompt once. Because a key covers everything before it,
// Bedrock's cascade follows by construction: changing a tool changes every
// key, changing system changes the system and message keys, changing a
// message changes only the keys after it. toolChoice is hashed at the start
// of the messages section: Anthropic's prompt caching documentation ("What
// invalidates the cache") lists a tool_choice change as invalidating message
// blocks only. Cache points themselves (and their ttl) are not hashed: moving
// or adding one does not change what the prefix before another one says.
//
// Canonical form: content shapes are encoded with encoding/json in the field
// order of the wire types (fixed, whatever order the client sent), and the
// client's own JSON documents (tool input schemas, tool inputs, JSON tool
// results) are re-encoded with object keys sorted, numbers as written.
// Text blocks are hashed as raw strings, which keeps a 100 KB prompt cheap.
func Fingerprints(modelID string, req *wire.ConverseRequest) []string {
	var keys []string
	walk(modelID, req, func(h hash.Hash, _ tokens.Section) bool {
		keys = append(keys, sum(h))
		return false
	}, nil, nil)
	return keys
}

// point is one prefix of a request that a cache lookup may find: a cache
// point, or a block boundary a cache point looks back to.
type point struct {
	key string
	// block is, for a boundary, how many blocks the prefix holds (1-based,
	// an index into tokens.Count.Blocks plus one); -1 for a cache point.
	block int
}

// lookbackPoints returns the prefixes before each cache point of req and
// at the block boundaries within lookback blocks before each of them, in
// prefix order, hashed in the same single pass as Fingerprints. The cache
// point keys among them are Fingerprints(modelID, req). It also returns
// the number of blocks in req, to check against tokens.Count.Blocks.
//
// Blocks are the non-cachePoint elements of toolConfig.tools, system and
// each message's content (tokens.Counter.ConverseBlocks counts the same).
// A cache point after p blocks looks back to the boundaries after p-1 down
// to p-lookback blocks: Claude's "simplified" cache mode checks about 20
// content blocks before a cache point for the longest cached prefix (AWS
// "Prompt caching for faster model inference"; Anthropic's prompt caching
// guide: "up to approximately 20 blocks before your explicit breakpoint").
// Only those boundaries are hashed, so the cost over Fingerprints is one
// cheap structural scan and at most lookback hash sums per cache point.
func lookbackPoints(modelID string, req *wire.ConverseRequest, lookback int) ([]point, int) {
	marks, n := lookbackMarks(req, lookback)
	var pts []point
	pos := 0
	walk(modelID, req, func(h hash.Hash, _ tokens.Section) bool {
		pts = append(pts, point{key: sum(h), block: -1})
		return false
	}, nil, func(h hash.Hash) {
		pos++
		if pos < len(marks) && marks[pos] {
			pts = append(pts, point{key: sum(h), block: pos})
		}
	})
	return pts, n
}

// lookbackMarks scans req's structure, without hashing, for its cache
// points: marks[q] says the boundary after q blocks lies within lookback
// blocks before a cache point. n is the number of blocks.
func lookbackMarks(req *wire.ConverseRequest, lookback int) (marks []bool, n int) {
	if req == nil {
		return nil, 0
	}
	var at []int // blocks before each cache point
	elem := func(isCachePoint bool) {
		if isCachePoint {
			at = append(at, n)
		} else {
			n++
		}
	}
	if tc := req.ToolConfig; tc != nil {
		for i := range tc.Tools {
			elem(tc.Tools[i].CachePoint != nil)
		}
	}
	for i := range req.System {
		elem(req.System[i].CachePoint != nil)
	}
	for m := range req.Messages {
		for i := range req.Messages[m].Content {
			elem(req.Messages[m].Content[i].CachePoint != nil)
		}
	}
	if len(at) == 0 || lookback <= 0 {
		return nil, n
	}
	marks = make([]bool, n+1)
	for _, p := range at {
		for q := max(1, p-lookback); q < p; q++ {
			marks[q] = true
		}
	}
	return marks, n
}

// RouteKey is the key Balancer routes a request by: the prefix every later
// turn of the same conversation shares. It is the first cache point's key
// when that cache point sits in tools or system (a shared, stable prefix),
// and otherwise the hash of everything up to the end of the first message,
// so a conversation keeps its replica as its cache point moves forward turn
// after turn (Spring AI's CONVERSATION_HISTORY strategy) and requests with
// no cache point at all still stick to the replica that saw their prefix.
// An empty request gives "".
func RouteKey(modelID string, req *wire.ConverseRequest) string {
	if req == nil || (len(req.Messages) == 0 && len(req.System) == 0 && req.ToolConfig == nil) {
		return ""
	}
	var key string
	walk(modelID, req, func(h hash.Hash, s tokens.Section) bool {
		if s == tokens.SectionMessages {
			return false
		}
		key = sum(h)
		return true
	}, func(h hash.Hash) {
		key = sum(h)
	}, nil)
	return key
}

func sum(h hash.Hash) string {
	var buf [sha256.Size]byte
	return hex.EncodeToString(h.Sum(buf[:0]))
}

// walk feeds the canonical prefix stream into one SHA-256 and calls
// checkpoint at each cache point (Sum does not disturb the running state);
// checkpoint returning true ends the walk. firstMessage, if not nil, is
// called after the first message, or at the end when there are no
// messages, and ends the walk. block, if not nil, is called after each
// block (every element that is not a cache point), so the state it sees is
// the prefix ending at that block boundary: the state a cache point placed
// right there would see.
func walk(modelID string, req *wire.ConverseRequest, checkpoint func(hash.Hash, tokens.Section) bool, firstMessage func(hash.Hash), block func(hash.Hash)) {
	h := sha256.New()
	w := &writer{h: h}
	w.raw(fingerprintVersion)
	w.str(tagModel, modelID)
	if req == nil {
		return
	}

	var choice *wire.ToolChoice
	if tc := req.ToolConfig; tc != nil {
		choice = tc.ToolChoice
		w.tag(tagTools)
		for i := range tc.Tools {
			t := &tc.Tools[i]
			if t.CachePoint != nil {
				if checkpoint(h, tokens.SectionTools) {
					return
				}
				continue
			}
			w.json(tagTool, canonicalTool(t))
			if block != nil {
				block(h)
			}
		}
	}

	w.tag(tagSystem)
	for i := range req.System {
		b := &req.System[i]
		switch {
		case b.CachePoint != nil:
			if checkpoint(h, tokens.SectionSystem) {
				return
			}
		case b.Text != nil:
			w.str(tagSystemText, *b.Text)
		default:
			w.json(tagSystemJSON, b)
		}
		if b.CachePoint == nil && block != nil {
			block(h)
		}
	}

	w.tag(tagMessages)
	w.json(tagMessages, choice)
	for m := range req.Messages {
		msg := &req.Messages[m]
		w.str(tagMessage, string(msg.Role))
		for i := range msg.Content {
			b := &msg.Content[i]
			switch {
			case b.CachePoint != nil:
				if checkpoint(h, tokens.SectionMessages) {
					return
				}
			case b.Text != nil:
				w.str(tagText, *b.Text)
			default:
				w.json(tagBlock, canonicalBlock(b))
			}
			if b.CachePoint == nil && block != nil {
				block(h)
			}
		}
		if m == 0 && firstMessage != nil {
			firstMessage(h)
			return
		}
	}
	if len(req.Messages) == 0 && firstMessage != nil {
		firstMessage(h)
	}
}

// writer frames elements into the hash.
type writer struct {
	h   hash.Hash
	enc *json.Encoder
	n   [binary.MaxVarintLen64]byte
	buf []byte // reused to feed strings to the hash without allocating
}

func (w *writer) raw(s string) { w.h.Write([]byte(s)) }

func (w *writer) tag(t byte) { w.h.Write([]byte{t}) }

func (w *writer) str(t byte, s string) {
	w.tag(t)
	n := binary.PutUvarint(w.n[:], uint64(len(s)))
	w.h.Write(w.n[:n])
	// hash.Hash writes never fail. SHA-256 offers no WriteString, and
	// []byte(s) would allocate a copy of every text block.
	if w.buf == nil {
		w.buf = make([]byte, 8<<10)
	}
	for len(s) > 0 {
		c := copy(w.buf, s)
		w.h.Write(w.buf[:c])
		s = s[c:]
	}
}

func (w *writer) json(t byte, v any) {
	w.tag(t)
	if w.enc == nil {
		w.enc = json.NewEncoder(w.h)
		w.enc.SetEscapeHTML(false)
	}
	if err := w.enc.Encode(v); err != nil {
		// Only unencodable values get here (validation rejects invalid
		// documents before we run); keep the stream framed regardless.
		w.str('!', err.Error())
	}
}

// canonicalTool returns t with its input schema's keys sorted.
func canonicalTool(t *wire.Tool) *wire.Tool {
	if t.ToolSpec == nil || t.ToolSpec.InputSchema == nil || t.ToolSpec.InputSchema.JSON == nil {
		return t
	}
	spec := *t.ToolSpec
	spec.InputSchema = &wire.ToolInputSchema{JSON: canonicalDocument(spec.InputSchema.JSON)}
	return &wire.Tool{ToolSpec: &spec}
}

// canonicalBlock returns b with the client's JSON documents key-sorted.
func canonicalBlock(b *wire.ContentBlock) *wire.ContentBlock {
	switch {
	case b.ToolUse != nil && b.ToolUse.Input != nil:
		u := *b.ToolUse
		u.Input = canonicalDocument(u.Input)
		return &wire.ContentBlock{ToolUse: &u}
	case b.ToolResult != nil:
		r := *b.ToolResult
		r.Content = make([]wire.ToolResultContentBlock, len(b.ToolResult.Content))
		for i, c := range b.ToolResult.Content {
			if c.JSON != nil {
				c.JSON = canonicalDocument(c.JSON)
			}
			r.Content[i] = c
		}
		return &wire.ContentBlock{ToolResult: &r}
	}
	return b
}

// canonicalDocument re-encodes a JSON document with object keys sorted (the
// encoding of map[string]any), numbers kept as written, no HTML escaping.
// A document that is not JSON becomes a JSON string of its bytes, so the
// stream stays valid and the content still counts.
func canonicalDocument(doc wire.Document) wire.Document {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		s, _ := json.Marshal(string(doc))
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s, _ := json.Marshal(string(doc))
		return s
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
