package server

import (
	"context"
	"net"
	"net/http"
	"time"
)

// ServeGrace is Serve with a grace period that ends when the test cancels
// grace, so shutdown tests order events with channels instead of clocks,
// and with the wind-down bound given.
func ServeGrace(ctx context.Context, srv *http.Server, ln net.Listener, grace context.Context, windDown time.Duration) error {
	return serve(ctx, srv, ln, func() (context.Context, context.CancelFunc) { return grace, func() {} }, windDown)
}
