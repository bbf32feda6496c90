package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestIntegrationsRestrictedToTeams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{})
	owner := srv.Client
	member := func(email string) (*client.Client, string) {
		var out struct {
			User struct{ ID string } `json:"user"`
			Key  string              `json:"key"`
		}
		if err := owner.Do(ctx, "POST", "/v1/users", map[string]string{"email": email, "role": "developer"}, &out); err != nil {
			t.Fatal(err)
		}
		return client.New(srv.URL, out.Key), out.User.ID
	}
	alice, aliceID := member("alice@example.com")
	bob, _ := member("bob@example.com")

	in, err := owner.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Ledger", "baseUrl": %q, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	var team struct{ ID string }
	if err := owner.Do(ctx, "POST", "/v1/teams", map[string]string{"name": "Finance"}, &team); err != nil {
		t.Fatal(err)
	}
	if err := owner.Do(ctx, "PUT", "/v1/teams/"+team.ID+"/members/"+aliceID, nil, nil); err != nil {
		t.Fatal(err)
	}
	problemOf(t, alice.Do(ctx, "PUT", "/v1/integrations/"+in.ID+"/teams", map[string][]string{"teams": {team.ID}}, nil), 403)
	if err := owner.Do(ctx, "PUT", "/v1/integrations/"+in.ID+"/teams", map[string][]string{"teams": {team.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	problemOf(t, owner.Do(ctx, "PUT", "/v1/integrations/"+in.ID+"/teams", map[string][]string{"teams": {"team_nope"}}, nil), 400)

	sees := func(c *client.Client) bool {
		list, err := c.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list) == 1
	}
	if !sees(alice) || !sees(owner) || sees(bob) {
		t.Fatalf("visibility: alice %v owner %v bob %v", sees(alice), sees(owner), sees(bob))
	}
	if _, err := alice.Run(ctx, in.ID, "ping", client.RunInput{Params: map[string]any{}}); err != nil {
		t.Fatalf("a team member cannot run it: %v", err)
	}
	_, err = bob.GetIntegration(ctx, in.ID)
	problemOf(t, err, 404)
	_, err = bob.Run(ctx, in.ID, "ping", client.RunInput{Params: map[string]any{}})
	problemOf(t, err, 404)
	_, err = bob.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{}})
	problemOf(t, err, 404)

	// Opening it to the organization again.
	if err := owner.Do(ctx, "PUT", "/v1/integrations/"+in.ID+"/teams", map[string][]string{"teams": {}}, nil); err != nil {
		t.Fatal(err)
	}
	if !sees(bob) {
		t.Fatal("bob still cannot see the integration after the restriction was lifted")
	}
}
