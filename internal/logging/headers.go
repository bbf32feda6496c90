package logging

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// headerSecretParts mark a header as secret wherever they appear in its
// name. This is broader than IsSecretKey on purpose: header names are few
// and "X-Auth-…" or "…-Key" headers almost always carry credentials.
var headerSecretParts = []string{
	"key", "token", "secret", "signature", "hmac", "auth", "password", "cookie", "credential", "jwt",
}

// authSchemes are kept in front of a masked value: knowing that a request
// used Basic rather than Bearer helps debugging and reveals nothing.
var authSchemes = map[string]bool{
	"basic": true, "bearer": true, "digest": true, "token": true, "negotiate": true,
	"ntlm": true, "hoba": true, "mutual": true, "dpop": true, "oauth": true,
	"aws4-hmac-sha256": true,
}

// RedactHeaders returns a copy of h with the values of credential headers
// masked: Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key
// and any header whose name contains key, token, secret, signature, hmac,
// auth, password, cookie, credential or jwt. A leading authentication scheme
// is kept ("Bearer [REDACTED]"). h is not modified.
func RedactHeaders(h http.Header) http.Header {
	out := h.Clone()
	for name, values := range out {
		if !IsSecretHeader(name) {
			continue
		}
		for i, v := range values {
			values[i] = MaskHeaderValue(v)
		}
	}
	return out
}

// IsSecretHeader reports whether a header called name carries credentials
// by its name (see RedactHeaders), and MaskHeaderValue is what such a
// header's value is logged as.
func IsSecretHeader(name string) bool {
	if v, ok := secretHeaderNames.Load(name); ok {
		return v.(bool)
	}
	secret := isSecretHeader(name)
	// The names a server sees are few; a sender inventing names cannot
	// make this grow past the bound.
	if secretHeaderCount.Add(1) <= maxRememberedHeaderNames {
		secretHeaderNames.Store(name, secret)
	}
	return secret
}

var (
	secretHeaderNames sync.Map // name → bool
	secretHeaderCount atomic.Int64
)

const maxRememberedHeaderNames = 4096

func isSecretHeader(name string) bool {
	lower := strings.ToLower(name)
	for _, part := range headerSecretParts {
		if strings.Contains(lower, part) {
			return true
		}
	}
	return false
}

// MaskHeaderValue masks a credential header's value, keeping a leading
// authentication scheme.
func MaskHeaderValue(v string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if ok && strings.TrimSpace(rest) != "" && authSchemes[strings.ToLower(scheme)] {
		return scheme + " " + Redacted
	}
	return Redacted
}
