package upstream

import (
	"io"

	"github.com/conversekit/converse/internal/provider"
)

// FlushBeforeRead claims the stream's Flusher (provider.Flusher) and
// returns body wrapped so that every Read flushes it first. A stream
// translator reads its upstream body only when what it already read is
// used up, so a Read is exactly where it may wait: the events translated so
// far go out before it, and the events of chunks that arrived together
// leave in one write. Without a Flusher body is returned as it is.
func FlushBeforeRead(body io.Reader, f *provider.Flusher) io.Reader {
	if !f.Claim() {
		return body
	}
	return &flushingReader{r: body, f: f}
}

type flushingReader struct {
	r io.Reader
	f *provider.Flusher
}

func (fr *flushingReader) Read(p []byte) (int, error) {
	fr.f.Flush()
	return fr.r.Read(p)
}
