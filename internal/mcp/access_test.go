package mcp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestAgentAccess(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)

		t.Run("a key without a grant sees no tool and cannot call one", func(t *testing.T) {
			nobody := e.agent(t, "no grants")
			cs := e.mustConnect(t, nobody.Key, nil)
			if tools := listTools(t, cs); len(tools) != 0 {
				t.Fatalf("agent without grants sees %d tools", len(tools))
			}
			_, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__get_contact", Arguments: map[string]any{"id": "c1"}})
			if err == nil || !strings.Contains(err.Error(), `Unknown tool "test_crm__get_contact"`) {
				t.Fatalf("call without a grant: err = %v", err)
			}
		})

		t.Run("a grant of some actions shows only those", func(t *testing.T) {
			reader := e.agent(t, "reader", client.AgentGrant{Integration: e.crm.ID, Actions: []string{"get_contact", "List Contacts"}})
			cs := e.mustConnect(t, reader.Key, nil)
			tools := listTools(t, cs)
			if len(tools) != 2 || tools["test_crm__get_contact"] == nil || tools["test_crm__list_contacts"] == nil {
				t.Fatalf("tools = %v", tools)
			}
			if _, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": "c1"}}); err == nil {
				t.Fatal("called an action outside the grant")
			}
		})

		t.Run("an unknown key is refused", func(t *testing.T) {
			if _, err := e.connect(t, "pba_not_a_key", nil); err == nil {
				t.Fatal("connected with an unknown key")
			}
			resp, err := http.Post(e.srv.URL+"/mcp", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("no key: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})

		t.Run("a request outside a session is answered without opening one", func(t *testing.T) {
			a := e.agent(t, "one-off", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"get_contact"}})
			r := e.rpc(t, a.Key, "2025-06-18", "tools/list", "")
			if r.status != http.StatusOK || r.header.Get("Mcp-Session-Id") != "" || !strings.Contains(r.raw, `"name":"test_crm__get_contact"`) {
				t.Fatalf("%d, session %q: %s", r.status, r.header.Get("Mcp-Session-Id"), r.raw)
			}
		})

		t.Run("a revoked key is refused on its next call", func(t *testing.T) {
			a := e.agent(t, "revoked", client.AgentGrant{Integration: e.crm.Slug})
			cs := e.mustConnect(t, a.Key, nil)
			call := &sdk.CallToolParams{Name: "test_crm__list_contacts", Arguments: map[string]any{}}
			if res, err := cs.CallTool(e.ctx, call); err != nil || res.IsError {
				t.Fatalf("before revocation: %v", err)
			}
			if err := e.srv.Client.RevokeAgent(e.ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			before := e.up.calls.Load()
			if _, err := cs.CallTool(e.ctx, call); err == nil {
				t.Fatal("the revoked key still calls tools")
			}
			if e.up.calls.Load() != before {
				t.Fatal("the API was called after revocation")
			}
		})

		t.Run("a rotated key replaces the old one at once", func(t *testing.T) {
			a := e.agent(t, "rotated", client.AgentGrant{Integration: e.crm.Slug})
			old := e.mustConnect(t, a.Key, nil)
			rotated, err := e.srv.Client.RotateAgentKey(e.ctx, a.ID)
			if err != nil || rotated.Key == "" || rotated.Key == a.Key {
				t.Fatalf("rotate: %+v %v", rotated, err)
			}
			if _, err := old.ListTools(e.ctx, nil); err == nil {
				t.Fatal("the old key still lists tools")
			}
			if tools := listTools(t, e.mustConnect(t, rotated.Key, nil)); len(tools) != 6 {
				t.Fatalf("new key sees %d tools", len(tools))
			}
		})

		t.Run("edited grants show on the next tools/list", func(t *testing.T) {
			a := e.agent(t, "edited", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"get_contact"}})
			changed := make(chan struct{}, 8)
			cs := e.mustConnect(t, a.Key, &sdk.ClientOptions{ToolListChangedHandler: func(_ context.Context, _ *sdk.ToolListChangedRequest) { changed <- struct{}{} }})
			if n := len(listTools(t, cs)); n != 1 {
				t.Fatalf("before edit: %d tools", n)
			}
			grants := []client.AgentGrant{{Integration: e.crm.Slug, Actions: []string{"get_contact", "create_contact"}}}
			if _, err := e.srv.Client.UpdateAgent(e.ctx, a.ID, client.AgentInput{Tools: &grants}); err != nil {
				t.Fatal(err)
			}
			<-changed
			if n := len(listTools(t, cs)); n != 2 {
				t.Fatalf("after edit: %d tools", n)
			}
		})

		t.Run("a deploy sends tools/list_changed and the new version's tools", func(t *testing.T) {
			a := e.agent(t, "watcher", client.AgentGrant{Integration: e.crm.Slug})
			changed := make(chan struct{}, 8)
			cs := e.mustConnect(t, a.Key, &sdk.ClientOptions{ToolListChangedHandler: func(_ context.Context, _ *sdk.ToolListChangedRequest) { changed <- struct{}{} }})
			if n := len(listTools(t, cs)); n != 6 {
				t.Fatalf("before deploy: %d tools", n)
			}
			v2 := definition(e.up.URL, `{"key": "merge_contacts", "name": "Merge Contacts", "method": "POST", "endpoint": "/contacts/merge", "parameters": {"ids": {"type": "array", "items": {"type": "string"}, "required": true}}}`)
			if _, err := e.srv.Client.UpdateIntegration(e.ctx, e.crm.ID, json.RawMessage(v2)); err != nil {
				t.Fatal(err)
			}
			if n := len(listTools(t, cs)); n != 6 {
				t.Fatalf("a draft changed the tools: %d", n)
			}
			if _, err := e.srv.Client.Deploy(e.ctx, e.crm.ID); err != nil {
				t.Fatal(err)
			}
			<-changed
			tools := listTools(t, cs)
			if len(tools) != 7 || tools["test_crm__merge_contacts"] == nil {
				t.Fatalf("after deploy: %v", tools)
			}
		})

		t.Run("the Idempotency-Key of /run replays the first result", func(t *testing.T) {
			before := e.up.calls.Load()
			var statuses []int
			var replays []string
			for range 2 {
				req, _ := http.NewRequest("POST", e.srv.URL+"/v1/integrations/"+e.crm.ID+"/actions/create_contact/run",
					strings.NewReader(`{"environment": "production", "params": {"name": "Run", "email": "run@example.com"}}`))
				req.Header.Set("Authorization", "Bearer "+e.srv.Token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "run-once-1")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var out client.RunResult
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				statuses = append(statuses, out.Status)
				replays = append(replays, resp.Header.Get("Idempotent-Replayed"))
			}
			if n := e.up.calls.Load() - before; n != 1 || statuses[0] != 201 || statuses[1] != 201 || replays[1] != "true" || replays[0] != "" {
				t.Fatalf("API calls %d, statuses %v, replayed %v", n, statuses, replays)
			}
		})
	})
}
