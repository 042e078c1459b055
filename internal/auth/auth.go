// Package auth decides who is calling: it verifies AWS Signature Version 4
// (Authorization header and presigned query forms) and Bedrock API keys
// (Authorization: Bearer), maps the key to a named principal, and says which
// models that principal may use.
//
// Verification rebuilds the canonical request from the client's own
// SignedHeaders list rather than re-signing with an SDK signer, because every
// client signs a different header set (boto3 content-type;host;x-amz-date, the
// JS SDK over HTTP/2 :authority instead of host, …).
//
// Failures are *wire.Exception values carrying the exception type, HTTP
// status and message the real Bedrock front end uses. No message ever contains
// a secret, a session token or the expected signature.
package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/glob"
)

// DefaultMaxSkew is the clock-skew window of SigV4: "In most cases, a request
// must reach AWS within five minutes of the time stamp in the request.
// Otherwise, AWS denies the request." (IAM User Guide, "Signing AWS API
// requests", section "Why requests are signed".) Bedrock's front end reports
// the same window in its "Signature expired: … (… - 5 min.)" message.
const DefaultMaxSkew = 5 * time.Minute

// DefaultRegion is the region credential scopes must name unless
// Options.Regions says otherwise: the region `converse serve` tells users to
// set, and the SDKs' usual default.
const DefaultRegion = "us-east-1"

// DefaultService is the SigV4 signing name of Bedrock Runtime: bedrock, not
// bedrock-runtime.
const DefaultService = "bedrock"

// Limits on what a caller controls, so parsing stays cheap and bounded.
const (
	maxAuthorizationLen = 8 << 10  // Authorization header
	maxRawQueryLen      = 32 << 10 // query string considered for signing
	maxQueryParams      = 256
	maxSignedHeaders    = 64
	maxHeaderNameLen    = 128
	maxAccessKeyIDLen   = 128
	maxRegionLen        = 64
	maxAPIKeyLen        = 4 << 10 // short-term Bedrock API keys are ~1.5 KB presigned URLs
	maxPatterns         = 1024
)

// Secret is a credential value. It redacts itself wherever it could be
// printed, logged or serialised; use string(s) deliberately to read it.
type Secret string

const redacted = "[REDACTED]"

// String returns a fixed placeholder, never the secret.
func (s Secret) String() string { return redacted }

// GoString returns a fixed placeholder for %#v.
func (s Secret) GoString() string { return `auth.Secret("` + redacted + `")` }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of text encodings (YAML, JSON map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON keeps the secret out of JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Principal is a named caller and the models it may use.
type Principal struct {
	// Name identifies the principal in logs, metrics and rate limits.
	Name string
	// Models are model ID patterns in the glob dialect (internal/glob): an
	// exact ID, or a pattern where * matches any run of characters
	// (including ':' and '/', so ARNs match) and ? exactly one. "*" alone
	// allows every model.
	Models []string
}

// Allows reports whether one of the principal's patterns matches one of
// forms: the forms of the model a request is served by (its ID after
// aliases, with and without its inference-profile prefix and ARN), never
// an alias name, so naming an alias grants nothing by itself.
func (p *Principal) Allows(forms ...string) bool {
	if p == nil {
		return false
	}
	for _, pat := range p.Models {
		for _, f := range forms {
			if glob.Match(pat, f) {
				return true
			}
		}
	}
	return false
}

// Authorize returns nil if the principal may call the model that
// requested (the model ID from the path) resolves to, given that model's
// forms; otherwise an AccessDeniedException (HTTP 403) naming the
// principal, the model, the forms checked and the principal's patterns.
// No forms means nothing is allowed.
func (p *Principal) Authorize(requested string, forms []string) error {
	if p.Allows(forms...) {
		return nil
	}
	name := "<none>"
	var pats []string
	if p != nil {
		name = p.Name
		pats = p.Models
	}
	return accessDenied("Principal %q is not authorized to invoke model %q: none of its forms %s matches the principal's model patterns %s.",
		name, requested, quoteList(forms, 4), quoteList(pats, 10))
}

func quoteList(xs []string, max int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i == max {
			fmt.Fprintf(&b, ", … %d more", len(xs)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(x))
	}
	b.WriteByte(']')
	return b.String()
}

// AccessKey is a SigV4 access key pair belonging to a principal.
type AccessKey struct {
	ID        string
	Secret    Secret
	Principal string
}

// APIKey is a Bedrock API key (sent as Authorization: Bearer) belonging to a
// principal. The key is opaque here: any string without whitespace.
type APIKey struct {
	Key       Secret
	Principal string
}

// Options configures a Verifier. The zero value of every field but the lists
// means its default.
type Options struct {
	Principals []Principal
	AccessKeys []AccessKey
	APIKeys    []APIKey
	// MaxSkew is how far X-Amz-Date may be from Now in either direction
	// (DefaultMaxSkew when zero).
	MaxSkew time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Service is the signing name required in the credential scope
	// (DefaultService when empty).
	Service string
	// Regions are the regions a credential scope may name, as a real
	// regional endpoint accepts only its own ([DefaultRegion] when empty;
	// "*" accepts any).
	Regions []string
	// UnsignedPayloadOverHTTP accepts X-Amz-Content-Sha256: UNSIGNED-PAYLOAD
	// (and presigned URLs signed that way) on requests that did not arrive
	// over TLS. Leave it off unless a proxy in front terminates TLS: over
	// cleartext, an unsigned payload lets anyone who sees one signed request
	// send another body under its signature.
	UnsignedPayloadOverHTTP bool
}

// DevOptions is the development default: one principal "dev" allowed every
// model, with access key ID "test" and secret "test", the convention AWS
// emulators use (AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test).
// Signatures are still verified.
func DevOptions() Options {
	return Options{
		Principals: []Principal{{Name: "dev", Models: []string{"*"}}},
		AccessKeys: []AccessKey{{ID: "test", Secret: "test", Principal: "dev"}},
	}
}

// Verifier authenticates requests. It is immutable and safe for concurrent
// use.
type Verifier struct {
	principals map[string]*Principal
	accessKeys map[string]accessKey
	apiKeys    []apiKey
	maxSkew    time.Duration
	now        func() time.Time
	service    string
	regions    []string
	anyRegion  bool
	// unsignedOverHTTP: see Options.UnsignedPayloadOverHTTP.
	unsignedOverHTTP bool
}

type accessKey struct {
	id        string
	secret    []byte // "AWS4" + secret, the first HMAC key of the chain
	principal *Principal
}

type apiKey struct {
	hash      [sha256.Size]byte
	principal *Principal
}

// New validates opts and returns a Verifier.
func New(opts Options) (*Verifier, error) {
	v := &Verifier{
		principals: make(map[string]*Principal, len(opts.Principals)),
		accessKeys: make(map[string]accessKey, len(opts.AccessKeys)),
		maxSkew:    opts.MaxSkew,
		now:        opts.Now,
		service:    opts.Service,

		unsignedOverHTTP: opts.UnsignedPayloadOverHTTP,
	}
	if v.maxSkew < 0 {
		return nil, fmt.Errorf("auth: max skew %v is negative", v.maxSkew)
	}
	if v.maxSkew == 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.service == "" {
		v.service = DefaultService
	}
	var errs []error
	for i, r := range opts.Regions {
		switch {
		case r == "*":
			v.anyRegion = true
		case !validRegion(r):
			errs = append(errs, fmt.Errorf("auth: regions[%d]: %q is not a region name (lower-case letters, digits and '-', e.g. us-east-1) or \"*\"", i, r))
		default:
			v.regions = append(v.regions, r)
		}
	}
	if len(opts.Regions) == 0 {
		v.regions = []string{DefaultRegion}
	}
	for i, p := range opts.Principals {
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("auth: principals[%d]: name is empty", i))
			continue
		case v.principals[p.Name] != nil:
			errs = append(errs, fmt.Errorf("auth: principals[%d]: duplicate principal name %q", i, p.Name))
			continue
		case len(p.Models) > maxPatterns:
			errs = append(errs, fmt.Errorf("auth: principal %q: %d model patterns, at most %d allowed", p.Name, len(p.Models), maxPatterns))
		}
		for j, m := range p.Models {
			if strings.TrimSpace(m) == "" {
				errs = append(errs, fmt.Errorf("auth: principal %q: models[%d] is empty", p.Name, j))
			}
		}
		v.principals[p.Name] = &Principal{Name: p.Name, Models: append([]string(nil), p.Models...)}
	}
	for i, k := range opts.AccessKeys {
		where := fmt.Sprintf("auth: access_keys[%d]", i)
		if k.ID != "" {
			where += fmt.Sprintf(" (ID %q)", k.ID)
		}
		if err := validAccessKeyID(k.ID); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if _, dup := v.accessKeys[k.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate access key ID", where))
			continue
		}
		if k.Secret == "" {
			errs = append(errs, fmt.Errorf("%s: secret is empty", where))
		}
		p := v.principals[k.Principal]
		if p == nil {
			errs = append(errs, fmt.Errorf("%s: unknown principal %q", where, k.Principal))
		}
		v.accessKeys[k.ID] = accessKey{id: k.ID, secret: []byte("AWS4" + string(k.Secret)), principal: p}
	}
	seen := make(map[[sha256.Size]byte]int, len(opts.APIKeys))
	for i, k := range opts.APIKeys {
		where := fmt.Sprintf("auth: api_keys[%d]", i)
		switch {
		case k.Key == "":
			errs = append(errs, fmt.Errorf("%s: key is empty", where))
			continue
		case len(k.Key) > maxAPIKeyLen:
			errs = append(errs, fmt.Errorf("%s: key is %d bytes, at most %d allowed", where, len(k.Key), maxAPIKeyLen))
			continue
		case strings.ContainsFunc(string(k.Key), func(r rune) bool { return r <= ' ' || r == 0x7f }):
			errs = append(errs, fmt.Errorf("%s: key contains whitespace or control characters", where))
			continue
		}
		h := sha256.Sum256([]byte(k.Key))
		if j, dup := seen[h]; dup {
			errs = append(errs, fmt.Errorf("%s: same key as api_keys[%d]", where, j))
			continue
		}
		seen[h] = i
		p := v.principals[k.Principal]
		if p == nil {
			errs = append(errs, fmt.Errorf("%s: unknown principal %q", where, k.Principal))
		}
		v.apiKeys = append(v.apiKeys, apiKey{hash: h, principal: p})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// validAccessKeyID rejects IDs a Credential= value could not carry.
func validAccessKeyID(id string) error {
	if id == "" {
		return errors.New("access key ID is empty")
	}
	if len(id) > maxAccessKeyIDLen {
		return fmt.Errorf("access key ID is %d bytes, at most %d allowed", len(id), maxAccessKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == '=' || c == '&' {
			return fmt.Errorf("access key ID contains %q; use printable ASCII without '/', ',', '=', '&' or spaces", c)
		}
	}
	return nil
}

// Principal returns the named principal, or nil.
func (v *Verifier) Principal(name string) *Principal { return v.principals[name] }
