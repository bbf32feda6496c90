package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/store"
)

// richDefinition uses what the forms do not show (enums, formats,
// defaults, headers, environments, OAuth extras, a test action), which
// must survive a save through the forms unchanged.
const richDefinition = `{
  "name": "Billing", "description": "Invoices and customers", "baseUrl": "https://api.billing.example/v2",
  "documentationUrl": "https://docs.billing.example",
  "auth": {"type": "oauth2", "grant": "authorization_code", "authorize_url": "https://id.billing.example/authorize",
           "token_url": "https://id.billing.example/token", "revoke_url": "https://id.billing.example/revoke",
           "scopes": ["invoices.read", "invoices.write"], "pkce": false, "token_auth": "body", "extra_params": {"audience": "billing"}},
  "environments": {"sandbox": {"baseUrl": "https://sandbox.billing.example/v2"}},
  "headers": {"Billing-Version": "2024-01"}, "timeoutSeconds": 20, "rateLimit": {"requestsPerSecond": 5, "burst": 10},
  "testAction": "list_invoices",
  "actions": [
    {"name": "List Invoices", "method": "GET", "endpoint": "/invoices",
     "parameters": {"status": {"type": "string", "enum": ["draft", "paid"], "default": "paid", "description": "Which ones"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100}}},
    {"name": "Create Invoice", "method": "POST", "endpoint": "/customers/{customer}/invoices", "idempotent": true, "body_type": "form",
     "headers": {"Idempotency-Key": "{{ uuid }}"},
     "parameters": {"customer": "string", "amount": {"type": ["number", "null"], "required": true},
                    "lines": {"type": "array", "items": {"type": "object"}}, "X-Trace": {"type": "string", "in": "header"}}}
  ]
}`

// detailsValues is what step 1's form submits unchanged.
func detailsValues(f detailsForm) url.Values {
	return url.Values{"name": {f.Name}, "description": {f.Description}, "baseUrl": {f.BaseURL}, "documentationUrl": {f.DocumentationURL},
		"auth.type": {f.AuthType}, "auth.location": {f.Location}, "auth.key": {f.Key}, "auth.prefix": {f.Prefix},
		"auth.grant": {f.Grant}, "auth.authorize_url": {f.AuthorizeURL}, "auth.token_url": {f.TokenURL}, "auth.scopes": {f.Scopes}}
}

func actionValues(f actionForm) url.Values {
	v := url.Values{"orig_key": {f.OrigKey}, "name": {f.Name}, "key": {f.Key}, "method": {f.Method}, "endpoint": {f.Endpoint}, "description": {f.Description}, "body_type": {f.BodyType}}
	for _, p := range f.Params {
		at := func(k string) string { return fmt.Sprintf("params[%d].%s", p.Index, k) }
		v.Set(at("name"), p.Name)
		v.Set(at("orig"), p.Orig)
		v.Set(at("type"), p.Type)
		v.Set(at("in"), p.In)
		v.Set(at("description"), p.Description)
		if p.Required {
			v.Set(at("required"), "1")
		}
	}
	return v
}

func post(v url.Values) *http.Request {
	r := &http.Request{Method: http.MethodPost, PostForm: v, Form: v}
	return r
}

func TestFormsRoundTripExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, doc string }{{"rich", richDefinition}, {"api key", `{"name": "K", "baseUrl": "https://k.example",
		"auth": {"type": "api_key", "location": "query", "key": "api_key", "prefix": "Key "}, "actions": [{"name": "A", "endpoint": "/a"}]}`}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, err := connector.Parse([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(def)
			got := applyDetails(post(detailsValues(detailsOf(def))), def)
			for i := range got.Actions {
				a, _ := actionFromForm(post(actionValues(actionFormOf(&got.Actions[i]))), &got.Actions[i])
				got.Actions[i] = a
			}
			_, canon, err := integration.Encode(got)
			if err != nil {
				t.Fatalf("the unchanged forms do not validate: %v", err)
			}
			if string(canon) != string(want) {
				t.Fatalf("round trip changed the definition:\n got %s\nwant %s", canon, want)
			}
		})
	}
}

func TestFormEditsReachTheDefinition(t *testing.T) {
	t.Parallel()
	def, err := connector.Parse([]byte(richDefinition))
	if err != nil {
		t.Fatal(err)
	}
	a := &def.Actions[0]
	v := actionValues(actionFormOf(a))
	v.Set("params[0].type", "integer") // status: string → integer; enum and default stay
	v.Set("params[1].name", "page_size")
	v.Set("params[2].name", "cursor")
	edited, _ := actionFromForm(post(v), a)
	if len(edited.Parameters) != 3 || edited.Parameters[0].Type() != "integer" || edited.Parameters[0].Schema["enum"] == nil ||
		edited.Parameters[1].Name != "page_size" || edited.Parameters[1].Schema["maximum"] != float64(100) || edited.Parameters[2].Name != "cursor" {
		t.Fatalf("edited parameters: %+v", edited.Parameters)
	}

	// The body select: form and multipart are kept, JSON is the default
	// and left unsaid.
	create := &def.Actions[1]
	for choice, want := range map[string]string{"multipart": "multipart", "form": "form", "": "", "json": ""} {
		v := actionValues(actionFormOf(create))
		v.Set("body_type", choice)
		if edited, _ := actionFromForm(post(v), create); edited.BodyType != want {
			t.Errorf("body_type %q saved as %q, want %q", choice, edited.BodyType, want)
		}
	}
}

func TestBrand(t *testing.T) {
	t.Parallel()
	if b := brandFor(orgWith("scale", "Acme Connect", "https://acme.example/logo.svg")); b.Name != "Plugboard" || b.LogoURL != "" {
		t.Fatalf("a plan without white label shows %+v", b)
	}
	if b := brandFor(orgWith("agency", "Acme Connect", "https://acme.example/logo.svg")); b.Name != "Acme Connect" || b.LogoURL == "" {
		t.Fatalf("agency plan shows %+v", b)
	}
	if b := brandFor(orgWith("agency", "", "javascript:alert(1)")); b.Name != "Plugboard" || b.LogoURL != "" {
		t.Fatalf("agency plan without a name or with a bad logo shows %+v", b)
	}
}

func orgWith(plan, name, logo string) store.Org {
	return store.Org{Plan: plan, ProductName: name, LogoURL: logo}
}
