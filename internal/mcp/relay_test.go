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
// database: a deploy through one notifies an agent connected to the other,
// at each revision.
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
	changed := map[string]chan struct{}{}
	sessions := map[string]*sdk.ClientSession{}
	for _, revision := range revisions {
		ch := make(chan struct{}, 8)
		changed[revision] = ch
		sessions[revision] = e.mustConnectAt(t, agent.Key, revision, &sdk.ClientOptions{ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { ch <- struct{}{} }})
		if n := len(listTools(t, sessions[revision])); n != 6 {
			t.Fatalf("%s before deploy: %d tools", revision, n)
		}
	}
	v2 := definition(up.URL, `{"key": "archive_contact", "name": "Archive Contact", "method": "POST", "endpoint": "/contacts/{id}/archive", "parameters": {"id": "string"}}`)
	if _, err := first.Client.UpdateIntegration(ctx, crm.ID, json.RawMessage(v2)); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Client.Deploy(ctx, crm.ID); err != nil {
		t.Fatal(err)
	}
	for _, revision := range revisions {
		waitFor(t, changed[revision], "notifications/tools/list_changed at "+revision)
		if tools := listTools(t, sessions[revision]); len(tools) != 7 || tools["test_crm__archive_contact"] == nil {
			t.Fatalf("%s after deploy on the other node: %v", revision, tools)
		}
	}
}
