package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/version"
)

// echoAPI answers every call with 201 and the JSON it received.
func echoAPI(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(in)
	}))
	t.Cleanup(up.Close)
	return up
}

func notesDefinition(baseURL string) string {
	return `{"name": "Notes", "baseUrl": "` + baseURL + `", "auth": {"type": "bearer"}, "actions": [
		{"name": "Create Note", "method": "POST", "endpoint": "/notes", "parameters": {"text": "string"}},
		{"name": "Get Note", "method": "GET", "endpoint": "/notes/{id}", "parameters": {"id": "string"}}]}`
}

func TestVersionIsTheBuildsVersion(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "", "version")
	if r.code != 0 || r.stdout != "plugboard "+version.String+"\n" || version.String == "" {
		t.Fatalf("version: %+v, want %q", r, version.String)
	}
}

// What a newcomer types first: messages that name commands, not routes;
// a mistyped subcommand; the credential flags of connections add.
func TestCLIGuidesANewcomer(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	up := echoAPI(t)
	if r := run(t, srv, notesDefinition(up.URL), "integrations", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}

	r := run(t, srv, "", "run", "notes", "create_note", "--param", "text=hi")
	if r.code != 1 || !regexp.MustCompile("`plugboard connections add int_\\w+ --env sandbox`").MatchString(r.stderr) || strings.Contains(r.stderr, "/v1/") {
		t.Errorf("running without a connection: %+v; want the command that adds one, and no REST route", r)
	}
	r = run(t, srv, "", "run", "notes", "create_note", "--env", "production", "--param", "text=hi")
	if r.code != 1 || !regexp.MustCompile("deploy it first \\(`plugboard integrations deploy int_\\w+`\\)").MatchString(r.stderr) || strings.Contains(r.stderr, "/v1/") {
		t.Errorf("running an undeployed integration in production: %+v", r)
	}

	r = run(t, srv, "", "integrations", "lst")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "lst" for "plugboard integrations"`) || !strings.Contains(r.stderr, "Did you mean this?") || !strings.Contains(r.stderr, "\tlist\n") {
		t.Errorf("mistyped subcommand: %+v", r)
	}
	r = run(t, srv, "", "webhooks", "tial", "wh_1")
	if r.code != 2 || !strings.Contains(r.stderr, "\ttail") {
		t.Errorf("mistyped webhooks subcommand: %+v", r)
	}
	if r = run(t, nil, "", "integrations"); r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
		t.Errorf("a group without a subcommand shows its help: %+v", r)
	}

	r = run(t, nil, "", "connections", "add", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--bearer-token") || !strings.Contains(r.stdout, "Plugboard API key") || strings.Contains(r.stdout, "--token-value") {
		t.Errorf("connections add --help: %+v", r)
	}
	// The global --token where the API's token was meant is refused...
	r = run(t, nil, "", "connections", "add", "notes", "--token", "ghp_the_apis_token", "--server", srv.URL)
	if r.code != 2 || !strings.Contains(r.stderr, "--bearer-token") {
		t.Errorf("--token as the API's token: %+v", r)
	}
	// ...and the flag the help shows works.
	r = run(t, srv, "", "connections", "add", "notes", "--bearer-token", "the-apis-token")
	if r.code != 0 || !strings.Contains(r.stdout, "added sandbox connection") {
		t.Fatalf("connections add --bearer-token: %+v", r)
	}
	conn := regexp.MustCompile(`connection (con_\w+)`).FindStringSubmatch(r.stdout)
	r = run(t, srv, "", "run", "notes", "create_note", "--param", "text=hi", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"status": 201`) {
		t.Fatalf("run after adding the connection: %+v", r)
	}
	if r = run(t, srv, "", "connections", "update", "notes", conn[1], "--bearer-token", "a-new-token"); r.code != 0 || !strings.Contains(r.stdout, "updated sandbox connection "+conn[1]) {
		t.Fatalf("connections update: %+v", r)
	}
	if r = run(t, srv, "", "connections", "delete", "notes", conn[1], "--yes"); r.code != 0 || !strings.Contains(r.stdout, "deleted connection "+conn[1]) {
		t.Fatalf("connections delete: %+v", r)
	}
	if r = run(t, srv, "", "connections", "list", "notes"); strings.Contains(r.stdout, conn[1]) {
		t.Fatalf("the deleted connection is listed: %+v", r)
	}
}

// Every flag an example shows exists on the command the example runs.
func TestEveryExampleUsesFlagsThatExist(t *testing.T) {
	t.Parallel()
	root := cli.NewRoot()
	flag := regexp.MustCompile(`^--([a-z][a-z-]*)`)
	checked := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		for _, line := range strings.Split(c.Example, "\n") {
			_, after, ok := strings.Cut(line, "plugboard ")
			if !ok {
				continue
			}
			words := strings.Fields(after)
			ran, _, err := root.Find(words)
			if err != nil {
				t.Errorf("%s: the example %q runs no command: %v", c.CommandPath(), line, err)
				continue
			}
			for _, w := range words {
				if m := flag.FindStringSubmatch(w); m != nil {
					checked++
					if ran.Flags().Lookup(m[1]) == nil && ran.InheritedFlags().Lookup(m[1]) == nil {
						t.Errorf("%s: the example %q uses --%s, which %s does not have", c.CommandPath(), line, m[1], ran.CommandPath())
					}
				}
			}
		}
	}
	walk(root)
	if checked < 10 {
		t.Fatalf("checked only %d example flags", checked)
	}
}

func TestAgentsCreateRefusesWhatAgentsCannotCall(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(notesDefinition("https://notes.example.com")))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, srv, "", "agents", "create", "early", "--tools", "notes")
	if r.code != 1 || !strings.Contains(r.stderr, `integration "notes" is not deployed`) {
		t.Fatalf("granting an undeployed integration: %+v", r)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	// A draft action not deployed yet, and one that does not exist.
	added := strings.Replace(notesDefinition("https://notes.example.com"), `"actions": [`, `"actions": [{"name": "Delete Note", "method": "DELETE", "endpoint": "/notes/{id}", "parameters": {"id": "string"}},`, 1)
	if _, err := srv.Client.UpdateIntegration(ctx, in.ID, json.RawMessage(added)); err != nil {
		t.Fatal(err)
	}
	for _, tools := range []string{"notes:delete_note", "notes:archive_note"} {
		r = run(t, srv, "", "agents", "create", "bad", "--tools", tools)
		if r.code != 1 || !strings.Contains(r.stderr, "the deployed version 1 of integration \"Notes\" has no action") {
			t.Errorf("granting %s: %+v", tools, r)
		}
	}
	// Names work where ids and slugs do: the integration's and the action's.
	r = run(t, srv, "", "agents", "create", "reader", "--tools", "Notes:Get Note", "--run-as", "owner@localhost", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"get_note"`) {
		t.Fatalf("granting by names: %+v", r)
	}
}

func TestIntegrationsShowTheDeployedVersionBesideTheDraft(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	def := notesDefinition("https://notes.example.com")
	if r := run(t, srv, def, "integrations", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	if r := run(t, srv, "", "integrations", "deploy", "notes"); r.code != 0 {
		t.Fatalf("deploy: %+v", r)
	}
	r := run(t, srv, def, "integrations", "update", "notes", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "unchanged, no new version of Notes") || !strings.Contains(r.stdout, "version 1") {
		t.Fatalf("saving the same definition: %+v", r)
	}
	changed := strings.Replace(def, "Get Note", "Read Note", 1)
	if r = run(t, srv, changed, "integrations", "update", "notes", "-f", "-"); r.code != 0 || !strings.Contains(r.stdout, "version 2") {
		t.Fatalf("update: %+v", r)
	}
	r = run(t, srv, "", "integrations", "list")
	if r.code != 0 || !regexp.MustCompile(`(?m)^\S+\s+notes\s+Notes\s+2\s+version 1 \(the draft, version 2, is not deployed\)\s+2$`).MatchString(r.stdout) {
		t.Fatalf("list: %+v", r)
	}
	r = run(t, srv, "", "integrations", "get", "notes")
	if r.code != 0 || !strings.Contains(r.stdout, "draft: version 2\n  deployed: version 1 (the draft, version 2, is not deployed)") {
		t.Fatalf("get: %+v", r)
	}
}

func TestDestructiveCommandsAsk(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, name := range []string{"One", "Two", "Three"} {
		if r := run(t, srv, strings.Replace(notesDefinition("https://notes.example.com"), "Notes", name, 1), "integrations", "create", "-f", "-"); r.code != 0 {
			t.Fatalf("create: %+v", r)
		}
	}
	r := run(t, srv, "", "integrations", "delete", "one")
	if r.code != 2 || !strings.Contains(r.stderr, "Go on? [y/N]") || !strings.Contains(r.stderr, "pass --yes") {
		t.Fatalf("delete without an answer: %+v", r)
	}
	if r = run(t, srv, "n\n", "integrations", "delete", "one"); r.code != 1 || !strings.Contains(r.stderr, "nothing was changed") {
		t.Fatalf("delete answered no: %+v", r)
	}
	if r = run(t, srv, "", "integrations", "get", "one"); r.code != 0 {
		t.Fatalf("the integration is gone after a refusal: %+v", r)
	}
	if r = run(t, srv, "y\n", "integrations", "delete", "one"); r.code != 0 || !strings.Contains(r.stdout, "deleted one") {
		t.Fatalf("delete answered yes: %+v", r)
	}
	if r = run(t, srv, "", "integrations", "delete", "two", "--yes"); r.code != 0 {
		t.Fatalf("delete --yes: %+v", r)
	}
	if r = run(t, srv, "", "integrations", "list"); strings.Contains(r.stdout, " one ") || strings.Contains(r.stdout, " two ") || !strings.Contains(r.stdout, "three") {
		t.Fatalf("after the deletes: %+v", r)
	}
}

func TestCompletionOffersSlugsAndActionKeys(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	if r := run(t, srv, notesDefinition("https://notes.example.com"), "integrations", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	r := run(t, nil, "", "__complete", "--server", srv.URL, "--token", srv.Token, "run", "")
	if r.code != 0 || !strings.Contains(r.stdout, "notes\tNotes") {
		t.Fatalf("completing an integration: %+v", r)
	}
	r = run(t, nil, "", "__complete", "--server", srv.URL, "--token", srv.Token, "run", "notes", "")
	if r.code != 0 || !strings.Contains(r.stdout, "create_note\tCreate Note") || !strings.Contains(r.stdout, "get_note\tGet Note") {
		t.Fatalf("completing an action: %+v", r)
	}
	r = run(t, nil, "", "__complete", "--server", srv.URL, "--token", srv.Token, "agents", "create", "x", "--tools", "notes:create_note,g")
	if r.code != 0 || !strings.Contains(r.stdout, "notes:create_note,get_note") {
		t.Fatalf("completing --tools: %+v", r)
	}
	r = run(t, nil, "", "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "__start_plugboard") {
		t.Fatalf("completion bash: %+v", r)
	}
}

// PLUGBOARD_TOKEN in the environment is the key the CLI signs in with, not
// a mistaken credential: a connection without credentials is let through.
func TestTokenFromTheEnvironmentIsNoMistake(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	t.Setenv("PLUGBOARD_TOKEN", srv.Token)
	t.Setenv("PLUGBOARD_SERVER", srv.URL)
	open := `{"name": "Open", "baseUrl": "https://open.example.com", "auth": {"type": "none"}, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`
	if r := run(t, nil, open, "integrations", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	r := run(t, nil, "", "connections", "add", "open", "--env", "sandbox")
	if strings.Contains(r.stderr, "--bearer-token") {
		t.Fatalf("a key from PLUGBOARD_TOKEN was taken for a mistaken --token: %+v", r)
	}
}
