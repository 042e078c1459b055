package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

// escapeLabel percent-encodes a path label as the AWS SDKs do (smithy-go
// httpbinding, label not greedy): every byte except A–Z a–z 0–9 - . _ ~
// becomes %XX with upper-case hex, so ':' is %3A and an ARN's '/' is %2F.
func escapeLabel(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3 / 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// newRequest builds and signs POST {endpoint}/model/{modelID}/{op} carrying
// body.
func (p *Provider) newRequest(ctx context.Context, modelID, op string, body []byte, accept string, extra ...http.Header) (*http.Request, error) {
	u := *p.base
	// Path is the decoded form Go keeps for itself; RawPath is what goes on
	// the wire and what the signer reads (URL.EscapedPath returns RawPath
	// when it is a valid encoding of Path), so a '/' inside an ARN stays
	// %2F instead of splitting the label.
	u.Path = p.base.Path + "/model/" + modelID + "/" + op
	u.RawPath = p.base.RawPath + "/model/" + escapeLabel(modelID) + "/" + op
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("backend %q: build request: %w", p.name, err)
	}
	req.URL = &u
	req.ContentLength = int64(len(body))
	req.Body = readOnlyBody{bytes.NewReader(body)}
	req.GetBody = func() (io.ReadCloser, error) { return readOnlyBody{bytes.NewReader(body)}, nil }
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	for _, h := range extra { // signed with the rest (InvokeModel's headers)
		for k, vs := range h {
			req.Header[http.CanonicalHeaderKey(k)] = vs
		}
	}

	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, p.up.TransportError(ctx, err)
		}
		// Our own configuration is broken, not the caller's request; the
		// cause (which may name files or roles) goes to our log only.
		return nil, p.up.NoCredentials(ctx, err)
	}
	sum := sha256.Sum256(body)
	// The signer escapes the already-escaped path once more for the
	// canonical URI (%3A → %253A), as every AWS SDK does for services other
	// than S3.
	if err := p.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, p.region, p.now().UTC()); err != nil {
		return nil, fmt.Errorf("backend %q: sign request: %w", p.name, err)
	}
	return req, nil
}

// post sends a signed request and returns the response when its status is
// 2xx; any other status, or a transport failure, comes back as a
// *wire.Exception (or the caller's own context error).
func (p *Provider) post(ctx context.Context, modelID, op string, body []byte, accept string, extra ...http.Header) (*http.Response, error) {
	req, err := p.newRequest(ctx, modelID, op, body, accept, extra...)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.up.TransportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw := upstream.ReadErrorBody(resp)
		if ctx.Err() != nil {
			return nil, p.up.TransportError(ctx, ctx.Err())
		}
		return nil, p.upstreamError(ctx, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), raw)
	}
	return resp, nil
}

// requestBody is what the upstream receives for a call: the client's bytes
// exactly, so nothing the client sent (including members this version does
// not model) is lost and the upstream validates them itself. A call built in
// process without them is encoded from the decoded request.
func requestBody(c *provider.Call) ([]byte, error) {
	if c.Raw != nil {
		return c.Raw, nil
	}
	b, err := json.Marshal(c.Request)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return b, nil
}

// errorBody is an AWS restJson1 error body. Go decodes field names case
// insensitively, so "Message" and "Code" match too.
type errorBody struct {
	Type               string `json:"__type"`
	Code               string `json:"code"`
	Message            string `json:"message"`
	OriginalStatusCode int    `json:"originalStatusCode"`
	OriginalMessage    string `json:"originalMessage"`
	ResourceName       string `json:"resourceName"`
}

// upstreamError turns an upstream error response into the same exception:
// the type from X-Amzn-ErrorType, else the body's __type, else its code (as
// the Go SDK derives it), the message and the 424 members from the body.
//
// Two kinds do not pass through. A refusal of this server's own AWS
// credentials (credentialErrors, or an untyped 401/403) is not the
// caller's fault: it becomes upstream.Backend.CredentialsRefused, never
// the InvalidSignatureException or AccessDeniedException the caller would
// read as their own. A type our front end does not know, or none, becomes
// the exception of the upstream's status by the one mapping
// (upstream.Backend.StatusError), with the original name in the message.
func (p *Provider) upstreamError(ctx context.Context, status int, header string, raw []byte) *wire.Exception {
	var body errorBody
	_ = json.Unmarshal(raw, &body) // a non-JSON body leaves only the header and status
	typ := errorCode(header)
	if typ == "" {
		typ = errorCode(body.Type)
	}
	if typ == "" {
		typ = errorCode(body.Code)
	}
	switch {
	case credentialErrors[typ]:
		return p.up.CredentialsRefused(ctx, status, typ, body.Message)
	case typ == "" || !knownType(typ):
		return p.up.StatusError(ctx, status, typ, body.Message)
	}
	ex := &wire.Exception{
		Type:               typ,
		Message:            p.up.Clean(body.Message),
		OriginalStatusCode: body.OriginalStatusCode,
		OriginalMessage:    p.up.Clean(body.OriginalMessage),
		ResourceName:       body.ResourceName,
	}
	if ex.Message == "" {
		ex.Message = fmt.Sprintf("Backend %q returned HTTP %d %s.", p.name, status, http.StatusText(status))
	}
	if ex.Type != wire.ModelErrorException && ex.Type != wire.ModelStreamErrorException {
		ex.OriginalStatusCode, ex.OriginalMessage, ex.ResourceName = 0, "", ""
	}
	return ex
}

// credentialErrors are the AWS error codes that refuse the caller's
// identity: on the hop to Bedrock the caller is this server, with its own
// AWS credentials.
var credentialErrors = map[string]bool{
	wire.AccessDeniedException:        true,
	wire.UnrecognizedClientException:  true,
	wire.InvalidSignatureException:    true,
	wire.IncompleteSignatureException: true,
	wire.MissingAuthenticationToken:   true,
	"ExpiredTokenException":           true,
	"InvalidClientTokenId":            true,
	"SignatureDoesNotMatch":           true,
}

// errorCode cleans an error code as the SDKs do: drop everything from the
// first ':' (the coral namespace URL the real service appends), then keep
// what follows the last '#' (com.amazon.bedrock#ThrottlingException).
func errorCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// knownType reports whether the front end knows typ's HTTP status (every
// type but InternalServerException that wire does not know maps to 500).
func knownType(typ string) bool {
	return typ == wire.InternalServerException || (&wire.Exception{Type: typ}).HTTPStatus() != http.StatusInternalServerError
}
