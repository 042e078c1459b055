package auth

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

type queryPair struct{ key, value, raw string }

// queryPairs is the decoded query string in its original order.
type queryPairs []queryPair

// parseQuery decodes a raw query string. Unlike url.ParseQuery it keeps ';'
// literal and reports bad escapes instead of dropping the pair, so what is
// signed is exactly what was sent.
func parseQuery(raw string) (queryPairs, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxRawQueryLen {
		return nil, incomplete("The query string is %d bytes long; at most %d are accepted.", len(raw), maxRawQueryLen)
	}
	var q queryPairs
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		if len(q) == maxQueryParams {
			return nil, incomplete("The query string has more than %d parameters.", maxQueryParams)
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, incomplete("The query string is not valid percent-encoding.")
		}
		q = append(q, queryPair{dk, dv, seg})
	}
	return q, nil
}

// get returns the first value of key and how many times key occurs.
func (q queryPairs) get(key string) (string, int) {
	var v string
	n := 0
	for _, p := range q {
		if p.key == key {
			if n == 0 {
				v = p.value
			}
			n++
		}
	}
	return v, n
}

// checkCanonical rejects a query whose parameters are not sent in the
// canonical encoding. Decoding and re-encoding would otherwise let %3a and
// %3A (or + and %20) stand for each other, so a verified request's bytes
// would not be exactly the signed ones.
func (q queryPairs) checkCanonical() error {
	for _, p := range q {
		var b strings.Builder
		escape(&b, p.key, false)
		b.WriteByte('=')
		escape(&b, p.value, false)
		if raw := p.raw; raw != b.String() && raw+"=" != b.String() {
			return incomplete("The query parameter %.64q is not sent in SigV4 canonical encoding: encode every byte outside A-Z a-z 0-9 - _ . ~ as %%XX with upper-case hex (a space as %%20).", p.key)
		}
	}
	return nil
}

// canonical writes the canonical query string: each name and value
// URI-encoded, pairs sorted after encoding, X-Amz-Signature left out of a
// presigned query.
func (q queryPairs) canonical(b *strings.Builder, presigned, redact bool) {
	if len(q) == 0 {
		return
	}
	enc := make([]queryPair, 0, len(q))
	for _, p := range q {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		v := p.value
		if redact && p.key == tokenParam {
			v = "<redacted>"
		}
		var kb, vb strings.Builder
		escape(&kb, p.key, false)
		escape(&vb, v, false)
		enc = append(enc, queryPair{key: kb.String(), value: vb.String()})
	}
	slices.SortFunc(enc, func(a, b queryPair) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
}

// escape writes s URI-encoded as SigV4 requires: everything but the RFC 3986
// unreserved characters (and '/' when keepSlash) as %XX with upper-case hex.
// For the path, s is the already-escaped path, so this is the second
// encoding non-S3 services sign (%3A → %253A).
func escape(b *strings.Builder, s string, keepSlash bool) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && keepSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}
