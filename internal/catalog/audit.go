package catalog

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/netguard"
)

// Severities of findings. Errors block a submission; warnings are shown to
// the reviewer.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is one result of the security audit.
type Finding struct {
	Check    string `json:"check"` // https, secrets, hosts, auth, rate_limit
	Severity string `json:"severity"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// Resolver looks up host addresses; tests pass a fake one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Audit checks a definition against the catalog's rules: every URL is
// https, no secret is baked into the definition, every host is a public
// address, authentication is declared, and the API's rate limit is declared.
func Audit(ctx context.Context, d *connector.Definition, r Resolver) []Finding {
	if r == nil {
		r = net.DefaultResolver
	}
	var out []Finding
	add := func(check, sev, field, format string, args ...any) {
		out = append(out, Finding{Check: check, Severity: sev, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	urls := map[string]string{"baseUrl": d.BaseURL, "documentationUrl": d.DocumentationURL,
		"auth.authorize_url": d.Auth.AuthorizeURL, "auth.token_url": d.Auth.TokenURL, "auth.revoke_url": d.Auth.RevokeURL}
	for env, e := range d.Environments {
		urls["environments."+env+".baseUrl"] = e.BaseURL
	}
	guard := &netguard.Guard{}
	for field, raw := range urls {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			add("https", SeverityError, field, "%q is not a URL", raw)
			continue
		}
		if u.Scheme != "https" {
			add("https", SeverityError, field, "use https: %s sends credentials and data in clear text", raw)
		}
		checkHost(ctx, guard, r, u.Hostname(), field, add)
	}
	for field, v := range bakedSecrets(d) {
		add("secrets", SeverityError, field, "%s; credentials belong in connections, which are encrypted, never in the definition", v)
	}
	if d.Auth.Type == "" || d.Auth.Type == connector.AuthNone {
		add("auth", SeverityError, "auth", "declare how the API authenticates (api_key, oauth2, basic or bearer) so installers know what to connect")
	}
	if d.RateLimit == nil || d.RateLimit.RequestsPerSecond <= 0 {
		add("rate_limit", SeverityError, "rateLimit", `declare the API's rate limit, e.g. "rateLimit": {"requestsPerSecond": 10}, so Plugboard can respect it`)
	}
	if d.DocumentationURL == "" {
		add("docs", SeverityWarning, "documentationUrl", "link the API's documentation so reviewers and installers can check the actions")
	}
	return out
}

// Blocking reports whether any finding stops a submission.
func Blocking(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

func checkHost(ctx context.Context, g *netguard.Guard, r Resolver, host, field string, add func(check, sev, field, format string, args ...any)) {
	if host == "" {
		add("hosts", SeverityError, field, "the URL has no host")
		return
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.Check(ip); err != nil {
			add("hosts", SeverityError, field, "%s is not a public address", host)
		} else {
			add("hosts", SeverityWarning, field, "use a host name rather than the IP address %s", host)
		}
		return
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") || strings.HasSuffix(strings.ToLower(host), ".internal") || strings.HasSuffix(strings.ToLower(host), ".local") {
		add("hosts", SeverityError, field, "%s is not a public host", host)
		return
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		add("hosts", SeverityWarning, field, "could not resolve %s to check it is public (%v)", host, err)
		return
	}
	for _, a := range addrs {
		if err := g.Check(a.Unmap()); err != nil {
			add("hosts", SeverityError, field, "%s resolves to %s, which is not a public address", host, a)
			return
		}
	}
}

var secretValue = regexp.MustCompile(`(?i)^(bearer|basic|token)\s+\S{8,}|^(sk|pk|rk)_(live|test)_\w{8,}|^gh[pousr]_\w{20,}|^xox[abpr]-|^AKIA[0-9A-Z]{16}$|^eyJ[\w-]{8,}\.[\w-]{8,}\.`)

// bakedSecrets finds header values and parameter defaults that look like
// credentials.
func bakedSecrets(d *connector.Definition) map[string]string {
	out := map[string]string{}
	check := func(field, key, value string) {
		switch {
		case value == "":
		case secretValue.MatchString(value):
			out[field] = "the value looks like a credential"
		case logging.IsSecretKey(key) || strings.EqualFold(key, "authorization"):
			out[field] = fmt.Sprintf("%q carries a fixed secret", key)
		}
	}
	for k, v := range d.Headers {
		check("headers."+k, k, v)
	}
	for i, a := range d.Actions {
		for k, v := range a.Headers {
			check(fmt.Sprintf("actions[%d].headers.%s", i, k), k, v)
		}
		for _, p := range a.Parameters {
			if s, ok := p.Default.(string); ok {
				check(fmt.Sprintf("actions[%d].parameters.%s.default", i, p.Name), p.Name, s)
			}
		}
	}
	return out
}
