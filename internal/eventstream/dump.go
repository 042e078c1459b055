package eventstream

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/conversekit/converse/internal/wire"
)

// Dump writes a readable, deterministic text form of msgs to w, one line per
// message: its headers in frame order as name=value, then its payload as
// compact JSON. It is the format of the <case>.converse.events golden files:
//
//	:event-type=messageStart :content-type=application/json :message-type=event {"role":"assistant"}
//
// Names and string values are written bare unless they contain spaces,
// quotes, '=', non-printable characters or (values) ':', then Go-quoted; other header types are written as
// type:value (int32:40972, bool:true, timestamp:8675309, uuid:…,
// bytes:<base64>). A payload that is not JSON is written as bytes:<Go-quoted>;
// an empty payload is omitted. An error from msgs ends the dump (after
// the lines before it) and is returned.
func Dump(w io.Writer, msgs iter.Seq2[eventstream.Message, error]) error {
	bw := bufio.NewWriter(w)
	var line bytes.Buffer
	for msg, err := range msgs {
		if err != nil {
			// Keep the lines so far: they show where the stream broke.
			_ = bw.Flush()
			return fmt.Errorf("dump: %w", err)
		}
		line.Reset()
		appendMessage(&line, msg)
		line.WriteByte('\n')
		if _, err := bw.Write(line.Bytes()); err != nil {
			return fmt.Errorf("dump: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	return nil
}

// DumpEvents dumps events as the frames a Writer makes of them, so a
// translator's golden file shows exactly what a client would receive. An
// error from events is dumped as the exception frame the server would send
// for it (wire.AsException, then WriteException) and ends the dump; DumpEvents
// returns an error only when an event cannot be written or w fails.
func DumpEvents(w io.Writer, events iter.Seq2[*wire.StreamEvent, error]) error {
	var frames bytes.Buffer
	fw := NewWriter(&frames, nil)
	for ev, err := range events {
		if err != nil {
			if err := fw.WriteException(wire.AsException(err)); err != nil {
				return fmt.Errorf("dump events: %w", err)
			}
			break
		}
		if err := fw.WriteEvent(ev); err != nil {
			return fmt.Errorf("dump events: %w", err)
		}
	}
	return Dump(w, Read(&frames, ReadOptions{}))
}

func appendMessage(b *bytes.Buffer, msg eventstream.Message) {
	for i, h := range msg.Headers {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteIfNeeded(h.Name))
		b.WriteByte('=')
		b.WriteString(headerValueText(h.Value))
	}
	if len(msg.Payload) == 0 {
		return
	}
	if len(msg.Headers) > 0 {
		b.WriteByte(' ')
	}
	n := b.Len()
	if json.Compact(b, msg.Payload) == nil {
		return
	}
	b.Truncate(n)
	b.WriteString("bytes:")
	b.WriteString(strconv.Quote(string(msg.Payload)))
}

func headerValueText(v eventstream.Value) string {
	switch v := v.(type) {
	case eventstream.StringValue:
		// A colon would read like one of the typed forms below.
		if strings.Contains(string(v), ":") {
			return strconv.Quote(string(v))
		}
		return quoteIfNeeded(string(v))
	case eventstream.BoolValue:
		return "bool:" + strconv.FormatBool(bool(v))
	case eventstream.Int8Value:
		return "int8:" + strconv.FormatInt(int64(v), 10)
	case eventstream.Int16Value:
		return "int16:" + strconv.FormatInt(int64(v), 10)
	case eventstream.Int32Value:
		return "int32:" + strconv.FormatInt(int64(v), 10)
	case eventstream.Int64Value:
		return "int64:" + strconv.FormatInt(int64(v), 10)
	case eventstream.BytesValue:
		return "bytes:" + base64.StdEncoding.EncodeToString(v)
	case eventstream.TimestampValue:
		return "timestamp:" + v.String() // milliseconds since the epoch
	case eventstream.UUIDValue:
		return "uuid:" + v.String()
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// quoteIfNeeded keeps plain tokens readable and makes anything that could
// blur the line's structure unambiguous.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r > '~' || r == '"' || r == '=' || r == '\\'
	}) || strings.ContainsAny(s[:1], "{[") {
		return strconv.Quote(s)
	}
	return s
}
