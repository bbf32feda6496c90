package cli_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestCLIAgents(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Notes", "baseUrl": "https://notes.example.com",
		"auth": {"type": "bearer"}, "actions": [
		{"name": "Get Note", "method": "GET", "endpoint": "/notes/{id}", "parameters": {"id": "string"}},
		{"name": "Delete Note", "method": "DELETE", "endpoint": "/notes/{id}", "parameters": {"id": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}

	r := run(t, srv, "", "agents", "create", "note reader", "--tools", "notes:get_note", "--environment", "production")
	if r.code != 0 || !strings.Contains(r.stdout, "created agent note reader") || !strings.Contains(r.stdout, "notes:get_note") {
		t.Fatalf("create: %+v", r)
	}
	key := regexp.MustCompile(`key \(shown only this once\): (pba_\S+)`).FindStringSubmatch(r.stdout)
	id := regexp.MustCompile(`\((agt_\S+)\)`).FindStringSubmatch(r.stdout)
	if key == nil || id == nil {
		t.Fatalf("no key or id in %s", r.stdout)
	}

	r = run(t, srv, "", "agents", "tools", id[1], "--format", "anthropic")
	var tools []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &tools) != nil || len(tools) != 1 || tools[0]["name"] != "notes__get_note" {
		t.Fatalf("tools: %+v", r)
	}

	r = run(t, srv, "", "agents", "update", id[1], "--tool-mode", "search")
	if r.code != 0 || !strings.Contains(r.stdout, "updated agent note reader") || !strings.Contains(r.stdout, "tool mode: search") || !strings.Contains(r.stdout, "notes:get_note") {
		t.Fatalf("update the tool mode: %+v", r)
	}
	r = run(t, srv, "", "agents", "update", id[1], "--tool-mode", "auto", "--tool-search-threshold", "12", "--name", "notes")
	if r.code != 0 || !strings.Contains(r.stdout, "updated agent notes") || !strings.Contains(r.stdout, "every tool up to 12 tools") {
		t.Fatalf("update the threshold: %+v", r)
	}
	if r = run(t, srv, "", "agents", "update", id[1], "--tool-mode", "some"); r.code != 1 || !strings.Contains(r.stderr, "tool_mode") {
		t.Fatalf("a bad mode: %+v", r)
	}
	r = run(t, srv, "", "agents", "create", "searcher", "--tools", "notes", "--tool-mode", "search")
	if r.code != 0 || !strings.Contains(r.stdout, "tool mode: search") {
		t.Fatalf("create in search mode: %+v", r)
	}

	r = run(t, srv, "", "agents", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "notes") || !strings.Contains(r.stdout, "active") || strings.Contains(r.stdout, key[1]) {
		t.Fatalf("list: %+v", r)
	}
	if r = run(t, srv, "", "agents", "revoke", id[1], "--yes"); r.code != 0 {
		t.Fatalf("revoke: %+v", r)
	}
	if r = run(t, srv, "", "agents", "rotate-key", id[1], "--yes"); r.code != 1 || !strings.Contains(r.stderr, "revoked") {
		t.Fatalf("rotate a revoked agent: %+v", r)
	}
	if r = run(t, srv, "", "agents", "create", "bad", "--tools", "nope"); r.code != 1 || !strings.Contains(r.stderr, `no integration "nope"`) {
		t.Fatalf("unknown integration: %+v", r)
	}
}
