package upstream

import (
	"fmt"

	"github.com/conversekit/converse/internal/wire"
)

// DefaultMaxBufferedBytes is the default bound on what one stream holds
// back from its upstream. A whole tool call's input rarely exceeds a few
// hundred kilobytes; 8 MiB leaves room for tools that write files while
// keeping a thousand concurrent streams under a worst case of 8 GiB.
const DefaultMaxBufferedBytes = 8 << 20

// Budget counts the bytes one stream translator holds back from its
// upstream (content waiting its turn, a tool call's input kept until it is
// whole, per-block state): a hostile or broken upstream cannot make it grow
// past its bound. A Budget belongs to one stream's goroutine.
type Budget struct {
	backend string
	max     int
	used    int
}

// Budget returns a budget of max bytes (DefaultMaxBufferedBytes when max is
// zero or less).
func (b *Backend) Budget(max int) *Budget {
	if max <= 0 {
		max = DefaultMaxBufferedBytes
	}
	return &Budget{backend: b.Name, max: max}
}

// Take accounts n more bytes held; past the bound it takes nothing and
// returns the ModelStreamErrorException that ends the stream.
func (g *Budget) Take(n int) error {
	if n > g.max-g.used {
		return &wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: 200,
			Message: fmt.Sprintf("Backend %q sent more stream content than this server holds back for one answer (%d bytes): a tool call's input never completed, or the stream kept opening blocks.", g.backend, g.max)}
	}
	g.used += n
	return nil
}

// Give returns n bytes no longer held.
func (g *Budget) Give(n int) { g.used -= n }

// Used is the number of bytes held now.
func (g *Budget) Used() int { return g.used }
