package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// credentialEcho is an API that repeats the credentials it received, in
// its JSON body and in response headers, as debugging endpoints do.
func credentialEcho(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo-Key", r.Header.Get("X-API-Key"))
		w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Query", r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"x_api_key": r.Header.Get("X-API-Key"), "authorization": r.Header.Get("Authorization"),
			"url": r.URL.String(), "count": 12345,
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// An API that echoes the connection's credentials does not hand them to
// the caller: /run and /proxy show "[REDACTED]" in their place, in the
// body and the headers, and the body stays valid JSON.
func TestEchoedCredentialsAreMaskedForTheCaller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := credentialEcho(t)
	srv := servertest.Start(t, servertest.Options{})
	for i, tc := range redirectAuthCases {
		def := fmt.Sprintf(`{"name": "Echo %d", "baseUrl": %q, "auth": %s,
			"actions": [{"name": "Whoami", "endpoint": "/whoami"}]}`, i, up.URL, tc.auth)
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: tc.creds}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}

		res, err := srv.Client.Run(ctx, in.ID, "whoami", client.RunInput{Params: map[string]any{}})
		if err != nil {
			t.Fatalf("%s: run: %v", tc.name, err)
		}
		headers, _ := json.Marshal(res.Headers)
		assertMasked(t, tc.name+": /run body", string(res.Body), tc.secrets)
		assertMasked(t, tc.name+": /run headers", string(headers), tc.secrets)
		var body struct{ Count int }
		if err := json.Unmarshal(res.Body, &body); err != nil || body.Count != 12345 {
			t.Errorf("%s: the masked body is no longer the API's JSON: %s", tc.name, res.Body)
		}

		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/integrations/"+in.ID+"/proxy/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var proxied strings.Builder
		_ = resp.Header.Write(&proxied)
		assertMasked(t, tc.name+": /proxy body", string(raw), tc.secrets)
		assertMasked(t, tc.name+": /proxy headers", proxied.String(), tc.secrets)
		if !json.Valid(raw) {
			t.Errorf("%s: the proxied body is no longer JSON: %s", tc.name, raw)
		}
	}
}

// assertMasked fails if text carries any form of a secret, or if no
// "[REDACTED]" marks where one was.
func assertMasked(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s carries the credential %q:\n%s", what, s, text)
		}
	}
	if !strings.Contains(text, "[REDACTED]") {
		t.Errorf("%s shows no [REDACTED] where the credential was:\n%s", what, text)
	}
}
