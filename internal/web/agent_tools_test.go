package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestEditingAnAgentsToolsInThePage(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	integ, err := in.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "CRM", "baseUrl": "https://api.example.com",
		"actions": [{"name": "List", "endpoint": "/items"}, {"name": "Delete", "method": "DELETE", "endpoint": "/items/{id}", "parameters": {"id": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Client.Deploy(ctx, integ.ID); err != nil {
		t.Fatal(err)
	}
	var agent struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/agents", map[string]any{"name": "Bot", "tools": []map[string]any{{"integration": integ.ID, "environment": "sandbox"}}}, &agent); err != nil {
		t.Fatal(err)
	}
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")
	_, page := s.Get("/agents/" + agent.ID)
	if !strings.Contains(page, `name="grant" value="`+integ.ID+`" checked`) {
		t.Fatal("the page does not show the agent's current grant")
	}
	if code, _, _ := s.Post("/agents/"+agent.ID+"/tools", url.Values{"action": {integ.ID + ":list"}}); code != http.StatusSeeOther {
		t.Fatalf("save tools: %d", code)
	}
	var got struct {
		Tools []struct {
			Integration string   `json:"integration"`
			Actions     []string `json:"actions"`
			Environment string   `json:"environment"`
		} `json:"tools"`
	}
	if err := in.Client.Do(ctx, "GET", "/v1/agents/"+agent.ID, nil, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tools) != 1 || len(got.Tools[0].Actions) != 1 || got.Tools[0].Actions[0] != "list" || got.Tools[0].Environment != "sandbox" {
		t.Fatalf("grants after the edit: %+v", got.Tools)
	}
}

func TestChoosingAnAgentsToolListingInThePage(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	var agent struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/agents", map[string]any{"name": "Bot"}, &agent); err != nil {
		t.Fatal(err)
	}
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")
	if _, page := s.Get("/agents/" + agent.ID); !strings.Contains(page, `<option value="auto" selected>`) || !strings.Contains(page, `placeholder="server default"`) ||
		!strings.Contains(page, "MCP lists its 0 tools.") {
		t.Fatal("the page does not show the agent's tool listing as auto with the server's threshold")
	}
	if code, _, _ := s.Post("/agents/"+agent.ID+"/tool-mode", url.Values{"tool_mode": {"search"}, "tool_search_threshold": {"25"}}); code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	var got struct {
		ToolMode  string `json:"tool_mode"`
		Threshold int    `json:"tool_search_threshold"`
	}
	if err := in.Client.Do(ctx, "GET", "/v1/agents/"+agent.ID, nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.ToolMode != "search" || got.Threshold != 25 {
		t.Fatalf("after saving: %+v", got)
	}
	_, page := s.Get("/agents/" + agent.ID)
	if !strings.Contains(page, `<option value="search" selected>`) || !strings.Contains(page, `value="25"`) || !strings.Contains(page, "MCP lists the three search tools for its 0 tools.") {
		t.Fatal("the page does not show the saved listing")
	}
	if code, _, _ := s.Post("/agents/"+agent.ID+"/tool-mode", url.Values{"tool_mode": {"everything"}}); code != http.StatusSeeOther {
		t.Fatalf("save a bad mode: %d", code)
	}
	if _, page := s.Get("/agents/" + agent.ID); !strings.Contains(page, "The tool listing was not changed: tool mode must be") {
		t.Fatal("a bad mode is not explained")
	}
}

// An agent's result budget is set on its page; a bad one is refused with
// the reason, and empty goes back to the default.
func TestSettingAnAgentsResultBudgetInThePage(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	var agent struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/agents", map[string]any{"name": "Bot"}, &agent); err != nil {
		t.Fatal(err)
	}
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")
	if _, page := s.Get("/agents/" + agent.ID); !strings.Contains(page, `name="max_result_bytes"`) || !strings.Contains(page, "16384") {
		t.Fatal("the page has no result budget showing the default")
	}
	budget := func() int {
		var got struct {
			MaxResultBytes int `json:"max_result_bytes"`
		}
		if err := in.Client.Do(ctx, "GET", "/v1/agents/"+agent.ID, nil, &got); err != nil {
			t.Fatal(err)
		}
		return got.MaxResultBytes
	}
	for _, tt := range []struct {
		value string
		want  int
		flash string
	}{
		{"4096", 4096, "Saved the result budget."},
		{"-3", 4096, "must be between 1 and"},
		{"lots", 4096, "give a whole number of bytes"},
		{"", 16384, "Saved"},
	} {
		code, _, _ := s.Post("/agents/"+agent.ID+"/budget", url.Values{"max_result_bytes": {tt.value}})
		if code != http.StatusSeeOther {
			t.Fatalf("%q: %d", tt.value, code)
		}
		if _, page := s.Get("/agents/" + agent.ID); !strings.Contains(page, tt.flash) {
			t.Errorf("%q: the page does not say %q", tt.value, tt.flash)
		}
		if got := budget(); got != tt.want {
			t.Errorf("%q: budget %d, want %d", tt.value, got, tt.want)
		}
	}
}
