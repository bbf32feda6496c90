package mcp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestDeployReachesSessionsOnOtherNodes runs two nodes on one PostgreSQL
// database: a deploy through one notifies an agent connected to the other.
func TestDeployReachesSessionsOnOtherNodes(t *testing.T) {
	t.Parallel()
	db := storetest.PostgresURL(t)
	shared := func(c *config.Config) {
		c.SecretKey = base64.StdEncoding.EncodeToString([]byte("relay-test-key-0123456789abcdefg")[:32])
	}
	first := servertest.Start(t, servertest.Options{DatabaseURL: db, Configure: shared})
	second := servertest.Start(t, servertest.Options{DatabaseURL: db, Configure: shared})
	up := newUpstream(t)
	ctx := context.Background()

	crm, err := first.Client.CreateIntegration(ctx, json.RawMessage(definition(up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Client.Deploy(ctx, crm.ID); err != nil {
		t.Fatal(err)
	}
	agent, err := first.Client.CreateAgent(ctx, "roaming", []client.AgentGrant{{Integration: crm.Slug}})
	if err != nil {
		t.Fatal(err)
	}

	e := &env{srv: second, up: up, crm: crm, ctx: ctx}
	changed := make(chan struct{}, 8)
	cs := e.mustConnect(t, agent.Key, &sdk.ClientOptions{ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { changed <- struct{}{} }})
	if n := len(listTools(t, cs)); n != 6 {
		t.Fatalf("before deploy: %d tools", n)
	}
	v2 := definition(up.URL, `{"key": "archive_contact", "name": "Archive Contact", "method": "POST", "endpoint": "/contacts/{id}/archive", "parameters": {"id": "string"}}`)
	if _, err := first.Client.UpdateIntegration(ctx, crm.ID, json.RawMessage(v2)); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Client.Deploy(ctx, crm.ID); err != nil {
		t.Fatal(err)
	}
	<-changed
	if tools := listTools(t, cs); len(tools) != 7 || tools["test_crm__archive_contact"] == nil {
		t.Fatalf("after deploy on the other node: %v", tools)
	}
}
