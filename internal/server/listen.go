package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// maxHeaderBytes bounds a request's header section (net/http's default,
// stated so the 431 message can name it).
const maxHeaderBytes = http.DefaultMaxHeaderBytes

// HTTPServer returns an http.Server for h that speaks HTTP/1.1 and HTTP/2 on
// one port: cleartext HTTP/2 with prior knowledge (h2c) for the JavaScript
// SDK, which speaks nothing else to an http:// endpoint, and HTTP/2 over TLS
// by ALPN when tlsConfig is set. There is no server-wide write timeout:
// streams last as long as the model talks, and each event-stream frame has
// its own deadline (Options.StreamWriteTimeout); idle and header timeouts
// bound slow clients. Serve it on Listener(ln), so that net/http's own
// refusals are Bedrock errors too.
func HTTPServer(h http.Handler, tlsConfig *tls.Config) *http.Server {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         p,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		// OPTIONS * reaches the handler (an unknown operation, typed)
		// instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
		IdleTimeout:                  2 * time.Minute,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
}

// connKey finds a request's connection in its context (set by HTTPServer).
type connKey struct{}

// tcpConn returns the TCP connection under r (HTTPServer puts it in the
// request's context), or nil.
func tcpConn(r *http.Request) *net.TCPConn {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	// Unwrap TLS and Listener's shaping layer.
	for {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = w.NetConn()
	}
	tc, _ := c.(*net.TCPConn)
	return tc
}

// windDown bounds how long Serve waits, after the grace period, for the
// requests it ended to write their last frame or error. Ending a request is
// one small write, so only a client that stops reading takes longer; its
// connection is then closed.
const windDown = 10 * time.Second

// Serve runs srv on ln until ctx ends, then shuts down: it stops accepting,
// lets open requests finish for up to grace, then ends those still running
// (streams with a ServiceUnavailableException frame, other calls with that
// error, see Server) and returns once they have. It returns nil after a
// shutdown, even one that had to close connections of clients that stopped
// reading.
//
// Serve sets srv.BaseContext (it must be nil): every request's context
// derives from one that Serve cancels when the grace ends, which is how the
// requests learn it.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	return serve(ctx, srv, ln, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), grace)
	}, windDown)
}

// serve is Serve with the grace period as a context, started when the
// shutdown begins, so tests decide when it ends.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, startGrace func() (context.Context, context.CancelFunc), windDown time.Duration) error {
	if srv.BaseContext != nil {
		return errors.New("server: Serve sets srv.BaseContext itself; leave it nil")
	}
	base, endRequests := context.WithCancelCause(context.WithoutCancel(ctx))
	defer endRequests(context.Canceled)
	srv.BaseContext = func(net.Listener) context.Context { return base }
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace, cancelGrace := startGrace()
	defer cancelGrace()
	// Shutdown closes the listener and idle connections, then waits for
	// active ones without limit; Close below is what limits it.
	drained := make(chan struct{})
	go func() {
		_ = srv.Shutdown(context.Background()) // only nil or its context's error
		close(drained)
	}()
	select {
	case <-drained:
	case <-grace.Done():
		endRequests(errShuttingDown)
		t := time.NewTimer(windDown)
		defer t.Stop()
		select {
		case <-drained:
		case <-t.C:
			_ = srv.Close()
			<-drained
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
