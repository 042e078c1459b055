package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ErrConnectionAcquisitionTimeout reports that no pooled or new connection
// became available within Settings.ConnectionAcquisitionTimeout.
var ErrConnectionAcquisitionTimeout = errors.New("chat: connection acquisition timeout")

// ErrStreamReadTimeout reports that a response body sent nothing for
// Settings.StreamReadTimeout.
var ErrStreamReadTimeout = errors.New("chat: stream read timeout")

// newHTTPClient builds the transport the Settings describe. Whole-call
// timeouts are contexts (client.go), not http.Client.Timeout, which would
// also cut long streams.
func newHTTPClient(s Settings) (*http.Client, *http.Transport) {
	dialer := &net.Dialer{Timeout: s.ConnectionTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          s.MaxConnections,
		MaxIdleConnsPerHost:   s.MaxConnections,
		MaxConnsPerHost:       s.MaxConnections,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   s.ConnectionTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: &timeoutTransport{
		base:    tr,
		acquire: s.ConnectionAcquisitionTimeout,
		read:    s.StreamReadTimeout,
	}}, tr
}

// timeoutTransport enforces the acquisition and read timeouts, which
// net/http has no settings for.
type timeoutTransport struct {
	base    *http.Transport
	acquire time.Duration
	read    time.Duration
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (t *timeoutTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

func (t *timeoutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(r.Context())
	var (
		mu  sync.Mutex
		got bool
	)
	timer := time.AfterFunc(t.acquire, func() {
		mu.Lock()
		defer mu.Unlock()
		if !got {
			cancel(ErrConnectionAcquisitionTimeout)
		}
	})
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
		mu.Lock()
		got = true
		mu.Unlock()
		timer.Stop()
	}}
	req := r.WithContext(httptrace.WithClientTrace(ctx, trace))
	resp, err := t.base.RoundTrip(req)
	timer.Stop()
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, ErrConnectionAcquisitionTimeout) {
			return nil, fmt.Errorf("%w after %s: %w", ErrConnectionAcquisitionTimeout, t.acquire, err)
		}
		return nil, err
	}
	resp.Body = newIdleBody(resp.Body, t.read, cancel)
	return resp, nil
}

// readOnlyBodies wraps the HTTP client the SDK uses so request bodies do
// not offer WriteTo.
//
// The SDK closes a request body as soon as http.Client.Do returns. Against
// a fast server net/http can still be inside the body's WriteTo then;
// WriteTo returns io.EOF, the transport takes it for a failed write and
// closes the connection under the response ("use of closed network
// connection"). Without WriteTo the transport copies through Read, which
// has finished before Do returns. The bytes sent are the same.
func readOnlyBodies(hc *http.Client) aws.HTTPClient { return guardedClient{hc} }

type guardedClient struct{ hc *http.Client }

func (g guardedClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return g.hc.Do(r)
}

type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }

// idleBody fails a Read that waits longer than d for data. The timer runs
// only while a Read is waiting: a slow consumer is not a slow server.
type idleBody struct {
	rc     io.ReadCloser
	d      time.Duration
	cancel context.CancelCauseFunc
	timer  *time.Timer

	mu      sync.Mutex
	expired bool
}

func newIdleBody(rc io.ReadCloser, d time.Duration, cancel context.CancelCauseFunc) *idleBody {
	b := &idleBody{rc: rc, d: d, cancel: cancel}
	b.timer = time.AfterFunc(time.Hour, b.expire)
	b.timer.Stop()
	return b
}

func (b *idleBody) expire() {
	b.mu.Lock()
	b.expired = true
	b.mu.Unlock()
	// Cancelling the request's context unblocks the pending Read.
	b.cancel(ErrStreamReadTimeout)
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.d)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF {
		b.mu.Lock()
		expired := b.expired
		b.mu.Unlock()
		if expired {
			return n, fmt.Errorf("%w: nothing received for %s: %w", ErrStreamReadTimeout, b.d, err)
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
