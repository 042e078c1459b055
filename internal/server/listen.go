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
// by ALPN when tlsConfig is set. There is no write timeout: streams last as
// long as the model talks; idle and header timeouts bound slow clients.
// Serve it on Listener(ln), so that net/http's own refusals are Bedrock
// errors too.
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
	}
}

// Serve runs srv on ln until ctx ends, then shuts down gracefully, giving
// open requests up to grace to finish.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
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
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
