package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// Method says how a request authenticated.
type Method string

// The authentication methods.
const (
	MethodSigV4      Method = "sigv4"       // Authorization: AWS4-HMAC-SHA256 …
	MethodSigV4Query Method = "sigv4-query" // presigned URL (X-Amz-Signature in the query)
	MethodBearer     Method = "bearer"      // Authorization: Bearer <Bedrock API key>
)

// Identity is who a verified request comes from.
type Identity struct {
	// Principal is shared by all requests of that principal; do not modify.
	Principal *Principal
	Method    Method
	// AccessKeyID and Region (from the credential scope) are set for SigV4.
	AccessKeyID string
	Region      string
	// SessionToken reports whether a signed X-Amz-Security-Token was sent.
	// Tokens are not checked against anything: the access key authenticates.
	SessionToken bool
}

// Messages of the real Bedrock front end.
const (
	// 403 AccessDeniedException on bedrock-runtime with no Authorization
	// header (karthink/gptel#1397: x-amzn-ErrorType
	// AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/).
	msgMissingAuth = "Authorization header is missing"
	// 403 AccessDeniedException for a wrong Bedrock API key
	// (anomalyco/opencode#47073, ai4s-research/open-science#53).
	msgBadAPIKey = "Authentication failed: Please make sure your API Key is valid."
	// 403 UnrecognizedClientException for an unknown access key (aider#1986).
	msgUnrecognized = "The security token included in the request is invalid."
	// 403 InvalidSignatureException on bedrock-runtime (goose#699), followed
	// by the canonical request and string to sign (litellm#14763).
	msgMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	// 403 IncompleteSignatureException (anthropics/claude-code#45343); AWS
	// appends "Authorization=<value>", which we leave out because the value
	// may be a secret.
	msgNeedCredential    = "Authorization header requires 'Credential' parameter."
	msgNeedSignature     = "Authorization header requires 'Signature' parameter."
	msgNeedSignedHeaders = "Authorization header requires 'SignedHeaders' parameter."
	msgNeedDate          = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
	msgNeedQueryParams   = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	// 403 InvalidSignatureException from AWS JSON front ends for a scope in
	// another region (aws/aws-sdk-js#4545, fsouza/s3-upload-proxy#241):
	// "Credential should be scoped to a valid region, not 'eu-west-1'. ".
	msgWrongRegion = "Credential should be scoped to a valid region, not '%s'. "
	// Ours: no AWS SDK sends UNSIGNED-PAYLOAD to Bedrock (Go, botocore and
	// the AI SDK sign the body's hash; the JS SDK declares it).
	msgUnsignedOverHTTP = "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is accepted only over HTTPS, where TLS protects the body the signature does not cover. Over plain HTTP sign the body's SHA-256 instead (every AWS SDK does for Bedrock), or, if a proxy in front of converse terminates TLS, set auth.unsigned_payload_over_http: true."
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	terminator      = "aws4_request"
	maxPresignTTL   = 7 * 24 * time.Hour // X-Amz-Expires upper bound, 604800 s
	tokenHeader     = "x-amz-security-token"
	tokenParam      = "X-Amz-Security-Token"
)

func incomplete(format string, args ...any) *wire.Exception {
	return wire.Errorf(wire.IncompleteSignatureException, format, args...)
}

func invalidSignature(format string, args ...any) *wire.Exception {
	return wire.Errorf(wire.InvalidSignatureException, format, args...)
}

func accessDenied(format string, args ...any) *wire.Exception {
	return wire.Errorf(wire.AccessDeniedException, format, args...)
}

// Authenticate verifies r (whose body, already read, is body) and returns its
// principal, or a *wire.Exception saying why not.
func (v *Verifier) Authenticate(r *http.Request, body []byte) (*Principal, error) {
	id, err := v.Verify(r, body)
	if err != nil {
		return nil, err
	}
	return id.Principal, nil
}

// Verify is Authenticate returning the whole Identity: Identify, then the
// body check.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Identity, error) {
	p, err := v.Identify(r)
	if err != nil {
		return nil, err
	}
	return p.Verify(body)
}

// Identify checks everything r's headers and query carry, before its body
// is read: the credential's form and scope, the clock, that the access key
// or API key exists, and, when the signature does not depend on the body
// (a declared X-Amz-Content-Sha256, UNSIGNED-PAYLOAD, an API key), the
// signature itself. An anonymous or unknown caller is refused here, so a
// server need not read a body nobody vouches for. Pending.Verify finishes
// the check once the body is read.
func (v *Verifier) Identify(r *http.Request) (*Pending, error) {
	authz := r.Header.Values("Authorization")
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		// The query matters only to SigV4; an API key still works.
		if len(authz) == 1 {
			if scheme, rest, _ := strings.Cut(strings.TrimLeft(authz[0], " \t"), " "); strings.EqualFold(scheme, "Bearer") {
				return v.verifyBearer(rest)
			}
		}
		return nil, err
	}
	_, n := query.get("X-Amz-Algorithm")
	inQuery := n > 0
	switch {
	case len(authz) > 1:
		return nil, incomplete("Only one Authorization header is allowed; the request has %d.", len(authz))
	case len(authz) == 1 && inQuery:
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	case inQuery:
		return v.verifyQuery(r, query)
	case len(authz) == 0:
		return nil, accessDenied(msgMissingAuth)
	}
	a := authz[0]
	if len(a) > maxAuthorizationLen {
		return nil, incomplete("The Authorization header is %d bytes long; at most %d are accepted.", len(a), maxAuthorizationLen)
	}
	scheme, rest, _ := strings.Cut(strings.TrimLeft(a, " \t"), " ")
	switch {
	case scheme == algorithm:
		return v.verifyHeader(r, query, rest)
	case strings.EqualFold(scheme, "Bearer"):
		return v.verifyBearer(rest)
	case scheme == "AWS4-ECDSA-P256-SHA256":
		return nil, incomplete("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported; sign with SigV4 (AWS4-HMAC-SHA256).")
	case scheme == "":
		return nil, incomplete("Authorization header cannot be empty")
	}
	return nil, incomplete("%s %s %s %s The Authorization header must start with %q or \"Bearer\".",
		msgNeedCredential, msgNeedSignature, msgNeedSignedHeaders, msgNeedDate, algorithm)
}

// Pending is a request whose credentials were checked as far as its
// headers and query allow; Verify completes the check against the body.
// A Pending belongs to one request and is not safe for concurrent use.
type Pending struct {
	id Identity
	// proven: the signature (or key) is verified and does not cover the
	// body, or covers it only through declaredHash.
	proven       bool
	declaredHash string // lower-case hex the body must hash to, when proven
	// For a signature over the body's hash, checked in Verify.
	s          sigv4
	signingKey []byte
	prefix     string // canonical request up to its payload line
	shown      string // prefix with session tokens redacted, for the error
}

// Principal is who the request claims to come from. Until Verify succeeds
// the claim may be unproven (a SigV4 signature over the body); use it for
// nothing but deciding whether to read the body.
func (p *Pending) Principal() *Principal { return p.id.Principal }

// Verify checks the signature against body, if it covers it, and returns
// the proven identity.
func (p *Pending) Verify(body []byte) (*Identity, error) {
	if p.proven {
		if p.declaredHash != "" && hashHex(body) != p.declaredHash {
			return nil, invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		id := p.id
		return &id, nil
	}
	payload := hashHex(body)
	if p.signatureMatches(payload) {
		p.proven = true
		id := p.id
		return &id, nil
	}
	// Show what we signed, as AWS does, but with any session token hidden.
	// Neither the secret nor the expected signature appears.
	return nil, invalidSignature("%s\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
		msgMismatch, truncate(p.shown+payload, 4<<10), stringToSign(&p.s, p.prefix+payload))
}

func (p *Pending) signatureMatches(payload string) bool {
	mac := hmac.New(sha256.New, p.signingKey)
	mac.Write([]byte(stringToSign(&p.s, p.prefix+payload)))
	return hmac.Equal(mac.Sum(nil), p.s.signature[:])
}

func hashHex(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// verifyBearer looks token up among the API keys in time that does not
// depend on which key (if any) matches.
func (v *Verifier) verifyBearer(token string) (*Pending, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxAPIKeyLen {
		return nil, accessDenied(msgBadAPIKey)
	}
	h := sha256.Sum256([]byte(token))
	found := 0
	for i := range v.apiKeys {
		eq := subtle.ConstantTimeCompare(h[:], v.apiKeys[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i+1, found)
	}
	if found == 0 {
		return nil, accessDenied(msgBadAPIKey)
	}
	return &Pending{id: Identity{Principal: v.apiKeys[found-1].principal, Method: MethodBearer}, proven: true}, nil
}

// sigv4 is what a request claims, from the header or the query.
type sigv4 struct {
	presigned     bool
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string
	signedList    string
	signature     [sha256.Size]byte
	amzDate       string
	t             time.Time
	expires       time.Duration // presigned only
}

// parseAuthorizationParams splits the part of a SigV4 Authorization header
// after the algorithm. Separators are commas and/or spaces, as AWS accepts.
func parseAuthorizationParams(rest string) (credential, signedHeaders, signature string, err error) {
	var haveCred, haveSH, haveSig bool
	for f := range strings.FieldsFuncSeq(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return "", "", "", incomplete("The Authorization header has a parameter that is not of the form Key=Value; expected Credential=…, SignedHeaders=…, Signature=….")
		}
		var dup bool
		switch k {
		case "Credential":
			dup, haveCred, credential = haveCred, true, val
		case "SignedHeaders":
			dup, haveSH, signedHeaders = haveSH, true, val
		case "Signature":
			dup, haveSig, signature = haveSig, true, val
		default:
			continue
		}
		if dup {
			return "", "", "", incomplete("The Authorization header has more than one %q parameter.", k)
		}
	}
	var missing []string
	if !haveCred || credential == "" {
		missing = append(missing, msgNeedCredential)
	}
	if !haveSig || signature == "" {
		missing = append(missing, msgNeedSignature)
	}
	if !haveSH || signedHeaders == "" {
		missing = append(missing, msgNeedSignedHeaders)
	}
	if missing != nil {
		return "", "", "", incomplete("%s", strings.Join(missing, " "))
	}
	return credential, signedHeaders, signature, nil
}

// parseSigV4 validates the claimed credential, signed headers, signature and
// date and fills s.
func (v *Verifier) parseSigV4(s *sigv4, credential, signedHeaders, signature, amzDate string) error {
	parts := strings.SplitN(credential, "/", 6)
	if len(parts) != 5 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term; it has %d.", len(parts))
	}
	s.accessKeyID, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if err := validAccessKeyID(s.accessKeyID); err != nil {
		return incomplete("The access key ID in the Credential is not valid: %v.", err)
	}
	if !isDigits(s.scopeDate, 8) {
		return incomplete("The date in the Credential scope must be YYYYMMDD.")
	}
	if !validRegion(s.region) {
		return incomplete("Credential should be scoped to a valid region.")
	}
	if !v.anyRegion && !contains(v.regions, s.region) {
		return invalidSignature(msgWrongRegion+"This server accepts credentials scoped to %s: set the client's region to %s (e.g. AWS_REGION=%s).",
			s.region, strings.Join(v.regions, ", "), v.regions[0], v.regions[0])
	}
	if s.service != v.service {
		return incomplete("Credential should be scoped to correct service: '%s'.", v.service)
	}
	if parts[4] != terminator {
		return incomplete("Credential should be scoped with a valid terminator: '%s', not '%.32s'.", terminator, parts[4])
	}

	names, err := parseSignedHeaders(signedHeaders)
	if err != nil {
		return err
	}
	s.signedHeaders, s.signedList = names, signedHeaders

	if len(signature) != 2*sha256.Size {
		return incomplete("The signature must be %d hexadecimal characters; it has %d.", 2*sha256.Size, len(signature))
	}
	if _, err := hex.Decode(s.signature[:], []byte(signature)); err != nil {
		return incomplete("The signature must be %d hexadecimal characters.", 2*sha256.Size)
	}

	if amzDate == "" {
		return incomplete("%s Only X-Amz-Date is supported here.", msgNeedDate)
	}
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil || len(amzDate) != len(amzDateFormat) {
		return incomplete("X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z' (UTC), e.g. 20240102T150405Z.")
	}
	s.amzDate, s.t = amzDate, t
	if amzDate[:8] != s.scopeDate {
		return incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.", s.scopeDate, amzDate[:8])
	}
	return nil
}

func parseSignedHeaders(list string) ([]string, error) {
	if list == "" {
		return nil, incomplete(msgNeedSignedHeaders)
	}
	n := strings.Count(list, ";") + 1
	if n > maxSignedHeaders {
		return nil, incomplete("SignedHeaders lists %d headers; at most %d are accepted.", n, maxSignedHeaders)
	}
	names := strings.Split(list, ";")
	host := false
	for _, name := range names {
		if !validSignedHeaderName(name) {
			return nil, incomplete("SignedHeaders must be lower-case header names separated by ';'.")
		}
		switch {
		case name == "host" || name == ":authority":
			host = true
		case name[0] == ':':
			return nil, incomplete("Signed header '%s' is not supported; among HTTP/2 pseudo-headers only ':authority' may be signed.", name)
		}
	}
	if !host {
		return nil, incomplete(msgHostNotSigned)
	}
	return names, nil
}

func validSignedHeaderName(name string) bool {
	if name == "" || len(name) > maxHeaderNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == ':' && i == 0 && len(name) > 1:
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validRegion(r string) bool {
	if r == "" || len(r) > maxRegionLen {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatSkew prints a window as AWS does ("5 min.").
func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return fmt.Sprintf("%d sec.", d/time.Second)
}

// checkTime applies the skew window (and, presigned, the expiry).
func (v *Verifier) checkTime(s *sigv4) error {
	now := v.now().UTC()
	f := func(t time.Time) string { return t.UTC().Format(amzDateFormat) }
	if s.t.After(now.Add(v.maxSkew)) {
		return invalidSignature("Signature not yet current: %s is still later than %s (%s + %s)",
			s.amzDate, f(now.Add(v.maxSkew)), f(now), formatSkew(v.maxSkew))
	}
	if s.presigned {
		if now.After(s.t.Add(s.expires)) {
			return invalidSignature("Signature expired: %s is now earlier than %s (%s - %d sec. of X-Amz-Expires)",
				s.amzDate, f(now.Add(-s.expires)), f(now), int64(s.expires/time.Second))
		}
		return nil
	}
	if s.t.Before(now.Add(-v.maxSkew)) {
		return invalidSignature("Signature expired: %s is now earlier than %s (%s - %s)",
			s.amzDate, f(now.Add(-v.maxSkew)), f(now), formatSkew(v.maxSkew))
	}
	return nil
}

func (v *Verifier) verifyHeader(r *http.Request, query queryPairs, rest string) (*Pending, error) {
	credential, signedHeaders, signature, err := parseAuthorizationParams(rest)
	if err != nil {
		return nil, err
	}
	dates := r.Header.Values("X-Amz-Date")
	if len(dates) > 1 {
		return nil, incomplete("The request has %d X-Amz-Date headers; exactly one is allowed.", len(dates))
	}
	var s sigv4
	if err := v.parseSigV4(&s, credential, signedHeaders, signature, first(dates)); err != nil {
		return nil, err
	}
	token := len(r.Header.Values("X-Amz-Security-Token")) > 0
	if token && !contains(s.signedHeaders, tokenHeader) {
		return nil, incomplete("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization when it is sent.")
	}
	return v.identify(r, query, &s, token)
}

func (v *Verifier) verifyQuery(r *http.Request, query queryPairs) (*Pending, error) {
	var vals [6]string
	for i, k := range [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		val, n := query.get(k)
		switch {
		case n == 0 || val == "":
			return nil, incomplete(msgNeedQueryParams)
		case n > 1:
			return nil, incomplete("The query string has %d %s parameters; exactly one is allowed.", n, k)
		}
		vals[i] = val
	}
	if vals[0] != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports %q.", algorithm)
	}
	s := sigv4{presigned: true}
	if err := v.parseSigV4(&s, vals[1], vals[4], vals[5], vals[2]); err != nil {
		return nil, err
	}
	secs, err := strconv.ParseInt(vals[3], 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignTTL {
		return nil, incomplete("X-Amz-Expires must be a number of seconds from 1 to %d.", int64(maxPresignTTL/time.Second))
	}
	s.expires = time.Duration(secs) * time.Second
	_, tokens := query.get(tokenParam)
	if tokens > 1 {
		return nil, incomplete("The query string has %d %s parameters; at most one is allowed.", tokens, tokenParam)
	}
	if len(r.Header.Values("X-Amz-Security-Token")) > 0 && !contains(s.signedHeaders, tokenHeader) {
		return nil, incomplete("'X-Amz-Security-Token' must be a signed header when it is sent as a header.")
	}
	return v.identify(r, query, &s, tokens > 0)
}

// identify checks time and key and rebuilds the canonical request up to
// its payload line. Where the payload line does not depend on the body (a
// declared hash, UNSIGNED-PAYLOAD) the signature is compared now; otherwise
// Pending.Verify compares it once the body is read.
func (v *Verifier) identify(r *http.Request, query queryPairs, s *sigv4, token bool) (*Pending, error) {
	if err := query.checkCanonical(); err != nil {
		return nil, err
	}
	if err := v.checkTime(s); err != nil {
		return nil, err
	}
	key, ok := v.accessKeys[s.accessKeyID]
	if !ok {
		return nil, wire.Errorf(wire.UnrecognizedClientException,
			"%s (The access key ID %q is not configured on this server.)", msgUnrecognized, s.accessKeyID)
	}
	c := canonicalInput{r: r, query: query, s: s}
	prefix, err := c.build(false)
	if err != nil {
		return nil, err
	}
	shown, _ := c.build(true)
	m := MethodSigV4
	if s.presigned {
		m = MethodSigV4Query
	}
	p := &Pending{
		id:         Identity{Principal: key.principal, Method: m, AccessKeyID: s.accessKeyID, Region: s.region, SessionToken: token},
		s:          *s,
		signingKey: deriveKey(key.secret, s.scopeDate, s.region, s.service),
		prefix:     prefix,
		shown:      shown,
	}
	// Over cleartext an unsigned payload lets whoever sees one request
	// send any other body under its signature, so it is accepted only over
	// TLS (as botocore and the JS SDK send it, for S3, only over HTTPS) or
	// when the operator says a proxy terminates TLS.
	unsignedOK := r.TLS != nil || v.unsignedOverHTTP
	switch hs := r.Header.Values("X-Amz-Content-Sha256"); {
	case len(hs) > 1:
		return nil, incomplete("The request has %d X-Amz-Content-Sha256 headers; at most one is allowed.", len(hs))
	case len(hs) == 1 && hs[0] == unsignedPayload:
		if !unsignedOK {
			return nil, incomplete("%s", msgUnsignedOverHTTP)
		}
		return p.proveNow(unsignedPayload, "")
	case len(hs) == 1:
		if len(hs[0]) != 2*sha256.Size || !isHex(hs[0]) {
			return nil, incomplete("X-Amz-Content-Sha256 must be the hex SHA-256 of the body or %s; streaming payloads are not supported.", unsignedPayload)
		}
		// The signature covers the declared hash, not the body: check it
		// now and the body against the hash later.
		return p.proveNow(hs[0], strings.ToLower(hs[0]))
	case s.presigned && p.signatureMatches(unsignedPayload):
		// A presigned URL carries no payload hash: the signer used either
		// UNSIGNED-PAYLOAD (this case) or the body's hash (Verify).
		if !unsignedOK {
			return nil, incomplete("This presigned URL was signed with %s. %s", unsignedPayload, msgUnsignedOverHTTP)
		}
		p.proven = true
	}
	return p, nil
}

// proveNow compares the signature over a payload line that does not depend
// on the body; declared, when set, is the hash the body must have.
func (p *Pending) proveNow(payload, declared string) (*Pending, error) {
	if !p.signatureMatches(payload) {
		return nil, invalidSignature("%s\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
			msgMismatch, truncate(p.shown+payload, 4<<10), stringToSign(&p.s, p.prefix+payload))
	}
	p.proven, p.declaredHash = true, declared
	return p, nil
}

func stringToSign(s *sigv4, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + s.amzDate + "\n" + s.scopeDate + "/" + s.region + "/" + s.service + "/" + terminator + "\n" + hex.EncodeToString(sum[:])
}

func deriveKey(secret []byte, date, region, service string) []byte {
	k := hmacSHA256(secret, date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

type canonicalInput struct {
	r     *http.Request
	query queryPairs
	s     *sigv4
}

// build returns the canonical request up to (not including) its last line,
// the payload hash. With redact, session token values are replaced so the
// result can be shown to the caller.
func (c canonicalInput) build(redact bool) (string, error) {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(c.r.Method)
	b.WriteByte('\n')
	escape(&b, requestPath(c.r), true)
	b.WriteByte('\n')
	c.query.canonical(&b, c.s.presigned, redact)
	b.WriteByte('\n')
	for _, name := range c.s.signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		switch {
		case name == "host" || name == ":authority":
			// HTTP/1.1 Host and HTTP/2 :authority both arrive as r.Host.
			b.WriteString(strings.TrimSpace(stripExcessSpaces(c.r.Host)))
		case redact && name == tokenHeader:
			b.WriteString("<redacted>")
		default:
			vals := c.r.Header.Values(name)
			if len(vals) == 0 && name == "content-length" && c.r.ContentLength > 0 {
				vals = []string{strconv.FormatInt(c.r.ContentLength, 10)}
			}
			if len(vals) == 0 {
				return "", incomplete("Signed header '%s' is not present in the request; every header in SignedHeaders must be sent.", name)
			}
			for i, val := range vals {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strings.TrimSpace(stripExcessSpaces(val)))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(c.s.signedList)
	b.WriteByte('\n')
	return b.String(), nil
}

// requestPath is the path exactly as the client sent it: from the request
// target when the server recorded it (so that, say, "%22" and a raw '"' do
// not verify alike), else the escaped path.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	if p = r.URL.EscapedPath(); p == "" {
		p = "/"
	}
	return p
}

// stripExcessSpaces collapses runs of spaces to one and trims spaces at both
// ends, as the SDK signers do.
func stripExcessSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(truncated)"
}
