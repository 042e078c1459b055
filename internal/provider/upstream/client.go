package upstream

import (
	"fmt"
	"net/http"
)

// RedirectError is the error of a call the backend answered with a
// redirect: this server follows none.
type RedirectError struct {
	// Status is the redirect's HTTP status; Location where it pointed.
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("backend redirected (HTTP %d) to %s; redirects are not followed", e.Status, e.Location)
}

// Client returns a copy of c (a client of its own with a clone of the
// default transport when c is nil; never http.DefaultClient) that refuses
// every redirect.
//
// Refusing all, rather than allowing the same host, because no API these
// backends speak redirects a POST in normal operation: a redirect is either
// a base URL the operator should correct (the log line says where it
// pointed) or a backend, or someone in front of it, steering the prompt
// and this server's credentials elsewhere. net/http drops Authorization on
// a redirect to another host but forwards custom headers such as
// Anthropic's x-api-key, re-sends the body on 307/308, and would happily
// follow a redirect to a loopback or link-local address (cloud metadata);
// even a same-host redirect may downgrade https to http. A clear
// ServiceUnavailableException is easier to act on than any of that.
func Client(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	out.CheckRedirect = refuseRedirect
	return &out
}

func refuseRedirect(req *http.Request, via []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return &RedirectError{Status: status, Location: req.URL.Redacted()}
}
