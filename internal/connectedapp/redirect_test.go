package connectedapp

import (
	"testing"

	"github.com/plugboard/plugboard/internal/store"
)

func TestRedirectURIsAClientMayRegister(t *testing.T) {
	t.Parallel()
	for uri, ok := range map[string]bool{
		"https://app.example/cb":                 true,
		"https://app.example:8443/cb?x=1":        true,
		"http://127.0.0.1:7777/callback":         true,
		"http://[::1]/callback":                  true,
		"http://localhost:3000/cb":               true,
		"com.example.app:/oauth/callback":        true,
		"cursor://anysphere.cursor-mcp/oauth/cb": true,
		"http://app.example/cb":                  false, // http off loopback
		"http://127.0.0.1.nip.io/cb":             false, // a name that only looks like loopback
		"https://app.example/cb#frag":            false,
		"https://user:pw@app.example/cb":         false,
		"https://app.example;script-src *":       false,
		"javascript:alert(1)":                    false,
		"data:text/html,hi":                      false,
		"file:///etc/passwd":                     false,
		"/relative/cb":                           false,
		"myapp:":                                 false,
		"":                                       false,
	} {
		if got := redirectProblem(uri) == ""; got != ok {
			t.Errorf("%q accepted = %v, want %v (%s)", uri, got, ok, redirectProblem(uri))
		}
	}
}

func TestRedirectAllowedIsExactButForALoopbackPort(t *testing.T) {
	t.Parallel()
	c := store.AppClient{RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example/cb", "com.example.app:/cb"}}
	for uri, ok := range map[string]bool{
		"https://app.example/cb":              true,
		"com.example.app:/cb":                 true,
		"http://127.0.0.1/callback":           true,
		"http://127.0.0.1:51234/callback":     true, // RFC 8252 section 7.3
		"http://127.0.0.1:51234/callback?a=b": false,
		"http://localhost:51234/callback":     false, // another loopback name is another URI
		"https://127.0.0.1:51234/callback":    false,
		"http://127.0.0.1:51234/callback/x":   false,
		"https://app.example:443/cb":          false,
		"https://app.example/cb?next=evil":    false,
		"https://app.example/CB":              false,
		"com.example.app:/cb/x":               false,
	} {
		if got := RedirectAllowed(c, uri); got != ok {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", uri, got, ok)
		}
	}
}

func TestClientIDMetadataDocumentURLs(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"https://app.example/oauth/client.json": true,
		"https://app.example/c":                 true,
		"https://app.example":                   false, // no path
		"https://app.example/":                  false,
		"http://app.example/client.json":        false,
		"https://app.example/a/../client.json":  false,
		"https://app.example/client.json#x":     false,
		"https://u:p@app.example/client.json":   false,
		"pbc_06h2e":                             false,
	} {
		if got := IsDocumentID(id); got != ok {
			t.Errorf("IsDocumentID(%q) = %v, want %v", id, got, ok)
		}
	}
}

func TestConsentFormActionAllowsOnlyTheAppsOrigin(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"http://127.0.0.1:7777/callback?x=1": "http://127.0.0.1:7777",
		"https://app.example/cb":             "https://app.example",
		"com.example.app:/cb":                "com.example.app:",
		"https://app.example;default-src/cb": "",
		"https://app.example cb":             "",
	} {
		if got := ConsentFormAction(uri); got != want {
			t.Errorf("ConsentFormAction(%q) = %q, want %q", uri, got, want)
		}
	}
}
