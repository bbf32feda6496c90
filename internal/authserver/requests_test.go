package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// Authorization requests a client cannot be trusted with are shown to the
// person as a page that says what is wrong, and never redirected; those
// of a known client to a registered redirect URI go back to it with the
// error, its state and the issuer.
func TestAuthorizationRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{})
	a := f.register(map[string]any{"redirect_uris": []string{"http://127.0.0.1:7777/callback", "https://app.example/cb"}})
	site := f.browser()
	_, challenge := pkce()

	pages := []struct {
		name  string
		extra url.Values
		says  string
	}{
		{"an unknown client", url.Values{"client_id": {"pbc_nobody"}}, "unknown client_id"},
		{"no client", url.Values{"client_id": {""}}, "names no client_id"},
		{"a redirect URI the client did not register", url.Values{"redirect_uri": {"https://evil.example/cb"}}, "is not registered"},
		{"a registered URI with more path", url.Values{"redirect_uri": {"https://app.example/cb/../evil"}}, "is not registered"},
		{"a loopback redirect on another host", url.Values{"redirect_uri": {"http://localhost:7777/callback"}}, "is not registered"},
		{"a loopback redirect on another path", url.Values{"redirect_uri": {"http://127.0.0.1:7777/elsewhere"}}, "is not registered"},
		{"a loopback redirect over https", url.Values{"redirect_uri": {"https://127.0.0.1:7777/callback"}}, "is not registered"},
		{"a client ID document on plain http", url.Values{"client_id": {"http://app.example/client.json"}}, "unknown client_id"},
	}
	for _, tc := range pages {
		code, body, h := get(t, site, a.authorizeURL(challenge, tc.extra))
		if code != http.StatusBadRequest || h.Get("Location") != "" || !strings.Contains(body, tc.says) || !strings.Contains(body, "Nothing was shared") {
			t.Errorf("%s: %d, Location %q\n%s", tc.name, code, h.Get("Location"), body)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: the error page may be framed: %q", tc.name, h.Get("Content-Security-Policy"))
		}
	}

	redirects := []struct {
		name  string
		extra url.Values
		error string
	}{
		{"no PKCE", url.Values{"code_challenge": {""}, "code_challenge_method": {""}}, "invalid_request"},
		{"plain PKCE", url.Values{"code_challenge_method": {"plain"}}, "invalid_request"},
		{"another resource", url.Values{"resource": {"https://other.example/mcp"}}, "invalid_target"},
		{"two resources", url.Values{"resource": {a.f.srv.URL + "/mcp", "https://other.example/mcp"}}, "invalid_target"},
		{"an implicit grant", url.Values{"response_type": {"token"}}, "unauthorized_client"},
		{"a fragment response", url.Values{"response_mode": {"fragment"}}, "invalid_request"},
	}
	for _, tc := range redirects {
		u := a.authorizeURL(challenge, tc.extra)
		state, _ := url.Parse(u)
		code, body, h := get(t, site, u)
		back, _ := url.Parse(h.Get("Location"))
		if code != http.StatusFound || back == nil || !strings.HasPrefix(back.String(), a.redirect) || back.Host != "127.0.0.1:7777" {
			t.Errorf("%s: %d, Location %q\n%s", tc.name, code, h.Get("Location"), body)
			continue
		}
		q := back.Query()
		if back.Fragment != "" {
			q, _ = url.ParseQuery(back.Fragment) // the client asked for its answer in the fragment
		}
		if q.Get("error") != tc.error || q.Get("state") != state.Query().Get("state") || q.Get("iss") != f.srv.URL || q.Get("code") != "" {
			t.Errorf("%s: redirected with %v; want error %s, the state and the issuer", tc.name, q, tc.error)
		}
	}

	t.Run("a native app's loopback redirect may use any port", func(t *testing.T) {
		f, a := f.at(t), a.at(f.at(t))
		verifier, challenge := pkce()
		other := "http://127.0.0.1:51234/callback"
		back := f.signInAndConsent(site, a.authorizeURL(challenge, url.Values{"redirect_uri": {other}}), approveAll)
		if !strings.HasPrefix(back.String(), other+"?") {
			t.Fatalf("sent back to %s", back)
		}
		if tok := a.exchange(back.Query().Get("code"), verifier, url.Values{"redirect_uri": {other}}); tok.Status != http.StatusOK {
			t.Fatalf("exchange = %+v", tok)
		}
	})

	t.Run("the consent screen cannot be framed, posted from elsewhere, or sent anywhere but the app", func(t *testing.T) {
		f, a := f.at(t), a.at(f.at(t))
		_, challenge := pkce()
		code, _, h := get(t, site, a.authorizeURL(challenge, nil))
		if code != http.StatusFound {
			t.Fatalf("authorize: %d", code)
		}
		code, page, h := get(t, site, f.srv.URL+h.Get("Location"))
		if code != http.StatusOK {
			t.Fatalf("consent: %d", code)
		}
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self' http://127.0.0.1:7777;") {
			t.Fatalf("headers: X-Frame-Options %q, CSP %q", h.Get("X-Frame-Options"), csp)
		}
		form := consentForm(t, page)
		form.Set("decision", "approve")
		form.Set("csrf", "forged")
		if code, body, _ := site.Post("/oauth/consent", form); code != http.StatusForbidden {
			t.Fatalf("a consent without the form's token answered %d\n%s", code, body)
		}
		form.Del("csrf")
		forged := url.Values{"request": form["request"], "decision": {"approve"}, "grant": {"int_of_another_org"}}
		if code, body, _ := site.Post("/oauth/consent", forged); code != http.StatusUnprocessableEntity || !strings.Contains(body, "no integration &#34;int_of_another_org&#34; in this organization") {
			t.Fatalf("a consent naming an integration the person cannot see answered %d\n%s", code, body)
		}
		form.Set("request", strings.Replace(form.Get("request"), "pbv1:", "pbv1:0", 1))
		if code, body, _ := site.Post("/oauth/consent", form); code != http.StatusBadRequest || !strings.Contains(body, "damaged") {
			t.Fatalf("a consent for a tampered request answered %d\n%s", code, body)
		}
	})

	t.Run("denying sends the app access_denied and connects nothing", func(t *testing.T) {
		f, a := f.at(t), a.at(f.at(t))
		_, challenge := pkce()
		back := f.signInAndConsent(site, a.authorizeURL(challenge, nil), func(_ string, form url.Values) { form.Set("decision", "deny") })
		if q := back.Query(); q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("iss") != f.srv.URL {
			t.Fatalf("denial sent back %v", q)
		}
	})
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{})
	refused := []struct {
		name  string
		meta  map[string]any
		error string
	}{
		{"no redirect URI", map[string]any{"redirect_uris": []string{}}, "invalid_redirect_uri"},
		{"http to a public host", map[string]any{"redirect_uris": []string{"http://app.example/cb"}}, "invalid_redirect_uri"},
		{"a javascript: URI", map[string]any{"redirect_uris": []string{"javascript:alert(1)//"}}, "invalid_redirect_uri"},
		{"a fragment", map[string]any{"redirect_uris": []string{"https://app.example/cb#x"}}, "invalid_redirect_uri"},
		{"a host that would break out of a header", map[string]any{"redirect_uris": []string{"https://app.example;script-src=*/cb"}}, "invalid_redirect_uri"},
		{"the implicit grant", map[string]any{"grant_types": []string{"implicit"}}, "invalid_client_metadata"},
		{"client credentials", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"},
		{"a name with a direction override", map[string]any{"client_name": "Safe\u202eppA"}, "invalid_client_metadata"},
	}
	for _, tc := range refused {
		body := map[string]any{"redirect_uris": []string{"http://127.0.0.1:7777/cb"}}
		for k, v := range tc.meta {
			body[k] = v
		}
		code, out := f.postJSON("/oauth/register", body)
		if code != http.StatusBadRequest || out["error"] != tc.error || out["error_description"] == "" {
			t.Errorf("%s: %d %v", tc.name, code, out)
		}
	}

	t.Run("a confidential client gets a secret once and must send it", func(t *testing.T) {
		f := f.at(t)
		a := f.register(map[string]any{"token_endpoint_auth_method": "client_secret_basic", "redirect_uris": []string{"https://app.example/cb"}})
		if !strings.HasPrefix(a.secret, "pbcs_") {
			t.Fatalf("secret = %q", a.secret)
		}
		code, verifier := a.code(f.browser())
		wrong := *a
		wrong.secret = "pbcs_wrong"
		if tok := wrong.exchange(code, verifier, nil); tok.Status != http.StatusUnauthorized || tok.Error != "invalid_client" {
			t.Fatalf("exchange with a wrong secret = %+v", tok)
		}
		if tok := a.exchange(code, verifier, nil); tok.Status != http.StatusOK {
			t.Fatalf("exchange with the secret = %+v", tok)
		}
	})
}

// The metadata a client discovers from a 401 at /mcp.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	code, challenge, _, _ := (&fixture{t: t, srv: in}).mcpCall("", "", initialize)
	want := `Bearer realm="plugboard", resource_metadata="` + in.URL + `/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`
	if code != http.StatusUnauthorized || challenge != want {
		t.Fatalf("/mcp without a token: %d, WWW-Authenticate %q; want %q", code, challenge, want)
	}
	fetch := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get(in.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return out
	}
	for path, resource := range map[string]string{"/.well-known/oauth-protected-resource/mcp": in.URL + "/mcp", "/.well-known/oauth-protected-resource": in.URL} {
		prm := fetch(path)
		if prm["resource"] != resource || jsonOf(prm["authorization_servers"]) != `["`+in.URL+`"]` {
			t.Errorf("%s = %v", path, prm)
		}
	}
	as := fetch("/.well-known/oauth-authorization-server")
	for field, want := range map[string]string{
		"issuer": `"` + in.URL + `"`, "authorization_endpoint": `"` + in.URL + `/oauth/authorize"`, "token_endpoint": `"` + in.URL + `/oauth/token"`,
		"registration_endpoint": `"` + in.URL + `/oauth/register"`, "revocation_endpoint": `"` + in.URL + `/oauth/revoke"`,
		"code_challenge_methods_supported": `["S256"]`, "client_id_metadata_document_supported": "true",
		"authorization_response_iss_parameter_supported": "true", "response_types_supported": `["code"]`,
		"grant_types_supported": `["authorization_code","refresh_token"]`,
	} {
		if got := jsonOf(as[field]); got != want {
			t.Errorf("authorization server metadata %s = %s, want %s", field, got, want)
		}
	}
	if resp, _ := http.Get(in.URL + "/.well-known/openid-configuration"); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Error("an OpenID configuration is served, though Plugboard issues no ID tokens")
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A client ID metadata document on a private address is not fetched when
// the operator does not allow private networks: the SSRF guard refuses
// it, and the person is told why.
func TestClientDocumentOnAPrivateAddress(t *testing.T) {
	t.Parallel()
	doc := newClientDocument(t, "Sneaky", []string{"http://127.0.0.1:7779/callback"})
	in := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		c.AllowPrivateNetworks = false
		c.CAFile = doc.caFile
	}})
	f := &fixture{t: t, srv: in}
	a := &app{f: f, id: doc.url, redirect: "http://127.0.0.1:7779/callback"}
	_, challenge := pkce()
	code, body, h := get(t, f.browser(), a.authorizeURL(challenge, nil))
	if code != http.StatusBadRequest || h.Get("Location") != "" {
		t.Fatalf("authorize: %d, Location %q\n%s", code, h.Get("Location"), body)
	}
	if !strings.Contains(body, "loopback address") || !strings.Contains(body, "PLUGBOARD_ALLOW_PRIVATE_NETWORKS") {
		t.Fatalf("the page does not say why:\n%s", body)
	}
	if n := doc.reads.Load(); n != 0 {
		t.Fatalf("the document server was reached %d times", n)
	}
}
