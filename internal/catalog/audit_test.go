package catalog_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connector"
)

type fakeResolver map[string]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &netErr{host}
}

type netErr struct{ host string }

func (e *netErr) Error() string { return "no such host " + e.host }

var resolver = fakeResolver{"api.example.com": "93.184.216.34", "evil.example.com": "10.1.2.3", "docs.example.com": "93.184.216.35"}

func parse(t *testing.T, raw string) *connector.Definition {
	t.Helper()
	d, err := connector.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAuditPassesAWellDeclaredIntegration(t *testing.T) {
	t.Parallel()
	d := parse(t, `{"name": "Good", "baseUrl": "https://api.example.com/v1", "documentationUrl": "https://docs.example.com",
		"auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 5},
		"actions": [{"name": "List", "endpoint": "/items"}]}`)
	if fs := catalog.Audit(context.Background(), d, resolver); len(fs) != 0 {
		t.Fatalf("findings: %+v", fs)
	}
}

func TestAuditFindsEachProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, def, check, field string
	}{
		{"http base URL", `{"name": "A", "baseUrl": "http://api.example.com", "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "https", "baseUrl"},
		{"private literal", `{"name": "A", "baseUrl": "https://10.0.0.7", "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "hosts", "baseUrl"},
		{"name resolving to a private address", `{"name": "A", "baseUrl": "https://evil.example.com", "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "hosts", "baseUrl"},
		{"localhost", `{"name": "A", "baseUrl": "https://localhost:8443", "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "hosts", "baseUrl"},
		{"fixed secret header", `{"name": "A", "baseUrl": "https://api.example.com", "headers": {"X-Api-Token": "abc123"}, "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "secrets", "headers.X-Api-Token"},
		{"token-looking default", `{"name": "A", "baseUrl": "https://api.example.com", "auth": {"type": "bearer"}, "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/", "parameters": {"key2": {"type": "string", "default": "sk_live_abcdefghijkl"}}}]}`, "secrets", "actions[0].parameters.key2.default"},
		{"no auth", `{"name": "A", "baseUrl": "https://api.example.com", "rateLimit": {"requestsPerSecond": 1}, "actions": [{"name": "L", "endpoint": "/"}]}`, "auth", "auth"},
		{"no rate limit", `{"name": "A", "baseUrl": "https://api.example.com", "auth": {"type": "bearer"}, "actions": [{"name": "L", "endpoint": "/"}]}`, "rate_limit", "rateLimit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := catalog.Audit(context.Background(), parse(t, tc.def), resolver)
			if !catalog.Blocking(fs) {
				t.Fatalf("not blocking: %+v", fs)
			}
			for _, f := range fs {
				if f.Check == tc.check && f.Field == tc.field && f.Severity == catalog.SeverityError && f.Message != "" {
					return
				}
			}
			t.Fatalf("no %s error on %s in %+v", tc.check, tc.field, fs)
		})
	}
}

func TestDocsDescribeConnectingAndEveryAction(t *testing.T) {
	t.Parallel()
	d := parse(t, `{"name": "Custom CRM", "baseUrl": "https://api.customcrm.com/v1", "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"rateLimit": {"requestsPerSecond": 10},
		"actions": [{"name": "Get Contact", "endpoint": "/contacts/{id}", "parameters": {"id": {"type": "string", "description": "Contact id"}}}]}`)
	doc := catalog.Docs("custom_crm", d)
	for _, want := range []string{"# Custom CRM", "header `X-API-Key`", "`custom_crm__get_contact`", "| `id` | string | path | yes | Contact id |", "plugboard run custom_crm get_contact --param id=…", "10 requests per second"} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs lack %q:\n%s", want, doc)
		}
	}
}
