package logging

import (
	"net/http"
	"strings"
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
		if !isSecretHeader(name) {
			continue
		}
		for i, v := range values {
			values[i] = maskHeaderValue(v)
		}
	}
	return out
}

func isSecretHeader(name string) bool {
	lower := strings.ToLower(name)
	for _, part := range headerSecretParts {
		if strings.Contains(lower, part) {
			return true
		}
	}
	return false
}

func maskHeaderValue(v string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if ok && strings.TrimSpace(rest) != "" && authSchemes[strings.ToLower(scheme)] {
		return scheme + " " + Redacted
	}
	return Redacted
}
