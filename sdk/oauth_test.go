package sdk_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

// TestOAuth2RefreshThroughWorker: an action's calls carry the connection's
// OAuth 2.0 token, which the server fetches and, after a 401, renews; the
// worker sees neither the tokens nor the client secret.
func TestOAuth2RefreshThroughWorker(t *testing.T) {
	t.Parallel()
	const clientSecret = "oauth-client-secret-5d1e"
	var mu sync.Mutex
	issued, current := 0, ""
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, _ := r.BasicAuth(); id != "tool-client" || secret != clientSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		issued++
		current = fmt.Sprintf("access-token-%d-9f8e", issued)
		tok := current
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer"}`, tok)
	}))
	defer provider.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := r.Header.Get("Authorization") == "Bearer "+current
		mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"expired token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"Ada Lovelace"}`, strings.TrimPrefix(r.URL.Path, "/v1/users/"))
	}))
	defer api.Close()

	inst := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	tool := customTool("OAuth Tool", api.URL)
	tool.Auth = sdk.OAuth2ClientCredentials(provider.URL + "/token")
	capt, _ := startWorker(t, inst, tool)
	in, err := inst.Client.GetIntegration(ctx, "oauth_tool")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": "tool-client", "client_secret": clientSecret}}); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "u1"}}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	mu.Lock()
	current = "revoked" // the API stops accepting the token it has
	mu.Unlock()
	res, err := inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "u2"}})
	if err != nil || !strings.Contains(string(res.Body), `"u2"`) {
		t.Fatalf("after the 401: %v %s", err, res.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if issued != 2 {
		t.Fatalf("tokens issued = %d, want 2 (the first, then one renewal after the 401)", issued)
	}
	traffic := capt.String()
	if strings.Contains(traffic, "access-token-") || strings.Contains(traffic, clientSecret) {
		t.Fatalf("the worker's traffic contains a token or the client secret")
	}
}
