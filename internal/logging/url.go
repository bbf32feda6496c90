package logging

import (
	"net/url"
	"strings"
)

// RedactURL returns raw with its secrets masked, for logging: the password
// of the userinfo (or the user name alone, which is often a token as in
// https://<token>@host), the query parameters named in queryKeys (matched
// without regard to case) and any parameter whose name looks secret (see
// IsSecretKey). Parameters in the fragment are treated the same way, since
// OAuth implicit flows put tokens there. Pass names such as "code" and
// "state" when logging OAuth callbacks, as those names are too common to
// mask everywhere.
//
// The rest of the URL is kept as written, so the result is for reading, not
// for requesting. A URL that does not parse is masked entirely, because its
// secrets cannot be located.
func RedactURL(raw string, queryKeys ...string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redacted
	}
	if u.RawQuery != "" {
		u.RawQuery = redactQuery(u.RawQuery, queryKeys)
	}
	fragment := u.EscapedFragment()
	u.Fragment, u.RawFragment = "", ""
	user := u.User
	u.User = nil

	s := u.String()
	if user != nil {
		authority := strings.Index(s, "//")
		if authority < 0 {
			return Redacted
		}
		userinfo := Redacted
		if _, hasPassword := user.Password(); hasPassword {
			userinfo = url.User(user.Username()).String() + ":" + Redacted
		} else if user.Username() == "" {
			userinfo = ""
		}
		s = s[:authority+2] + userinfo + "@" + s[authority+2:]
	}
	if fragment != "" {
		s += "#" + redactQuery(fragment, queryKeys)
	}
	return s
}

// redactQuery masks values in an encoded query string while leaving every
// other byte as it was, so the logged URL matches what was sent.
func redactQuery(query string, keys []string) string {
	if !strings.Contains(query, "=") {
		return query
	}
	parts := strings.Split(query, "&")
	for i, part := range parts {
		name, value, ok := strings.Cut(part, "=")
		if !ok || value == "" {
			continue
		}
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		if isNamed(decoded, keys) || IsSecretKey(decoded) {
			parts[i] = name + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

func isNamed(name string, keys []string) bool {
	for _, k := range keys {
		if strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}
