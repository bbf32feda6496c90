package mcp_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/store"
)

func TestExportFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	a := e.agent(t, "exporter", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "get_contact"}})
	createSchema := `{"type":"object","required":["name","email"],"additionalProperties":false,"properties":{` +
		`"name":{"type":"string","description":"Full name"},"email":{"type":"string","format":"email"},` +
		`"tier":{"type":"string","default":"free","enum":["free","pro"]}}}`

	t.Run("openai", func(t *testing.T) {
		tools, err := e.srv.Client.AgentTools(e.ctx, a.ID, "openai")
		if err != nil || len(tools) != 2 {
			t.Fatalf("%d tools, %v", len(tools), err)
		}
		var got agent.OpenAITool
		mustDecode(t, tools[0], &got)
		if got.Type != "function" || got.Function.Name != "test_crm__create_contact" || !strings.HasPrefix(got.Function.Description, "Create a contact") {
			t.Fatalf("tool = %s", tools[0])
		}
		assertJSONEqual(t, "openai parameters", string(got.Function.Parameters), createSchema)
	})

	t.Run("anthropic", func(t *testing.T) {
		tools, err := e.srv.Client.AgentTools(e.ctx, a.ID, "anthropic")
		if err != nil || len(tools) != 2 {
			t.Fatalf("%d tools, %v", len(tools), err)
		}
		var got agent.AnthropicTool
		mustDecode(t, tools[1], &got)
		if got.Name != "test_crm__get_contact" || got.Description == "" {
			t.Fatalf("tool = %s", tools[1])
		}
		assertJSONEqual(t, "anthropic input_schema", string(got.InputSchema),
			`{"type":"object","required":["id"],"additionalProperties":false,"properties":{"id":{"type":"string"}}}`)
	})

	t.Run("mcp matches tools/list", func(t *testing.T) {
		tools, err := e.srv.Client.AgentTools(e.ctx, a.ID, "mcp")
		if err != nil || len(tools) != 2 {
			t.Fatalf("%d tools, %v", len(tools), err)
		}
		listed := listTools(t, e.mustConnect(t, a.Key, nil))
		for _, raw := range tools {
			var got struct {
				Name string `json:"name"`
			}
			mustDecode(t, raw, &got)
			assertJSONEqual(t, got.Name, string(raw), jsonOf(t, listed[got.Name]))
		}
	})

	t.Run("an unknown format is refused", func(t *testing.T) {
		_, err := e.srv.Client.AgentTools(e.ctx, a.ID, "yaml")
		var ae *client.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Detail, "openai, anthropic, mcp") {
			t.Fatalf("err = %v", err)
		}
	})
}

func mustDecode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
