package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// A viewer can read but never change anything, whatever route it tries:
// the permission sits on each route of the table, so a new route that
// forgets one shows up here.
func TestViewersGetNoWriteRoute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(seedCRM))
	if err != nil {
		t.Fatal(err)
	}
	var viewer struct {
		User struct{ ID string } `json:"user"`
		Key  string              `json:"key"`
	}
	if err := srv.Client.Do(ctx, "POST", "/v1/users", map[string]string{"email": "v@example.com", "role": "viewer"}, &viewer); err != nil {
		t.Fatal(err)
	}
	id := in.ID
	routes := []string{
		"POST /v1/integrations", "POST /v1/integrations/import", "PUT /v1/integrations/" + id, "DELETE /v1/integrations/" + id,
		"POST /v1/integrations/" + id + "/deploy", "POST /v1/integrations/" + id + "/test", "POST /v1/integrations/" + id + "/actions/get_contact/run",
		"GET /v1/integrations/" + id + "/proxy/contacts", "POST /v1/integrations/" + id + "/connections", "PUT /v1/integrations/" + id + "/teams",
		"POST /v1/integrations/" + id + "/submit", "POST /v1/webhooks", "POST /v1/agents", "POST /v1/teams", "POST /v1/users", "POST /v1/users/me/signin-link", "POST /v1/orgs",
		"POST /v1/workers/register", "GET /v1/audit", "GET /v1/reviews", "POST /v1/catalog/custom_crm/install",
		"GET /v1/orgs/x/retention", "PUT /v1/orgs/x/retention", "DELETE /v1/orgs/x/retention",
	}
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+viewer.Key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s as a viewer: %d, want 403", route, resp.StatusCode)
		}
	}
	// Reading still works.
	if _, err := srv.Client.GetIntegration(ctx, id); err != nil {
		t.Fatal(err)
	}
}
