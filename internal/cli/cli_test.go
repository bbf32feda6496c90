package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, srv *servertest.Instance, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{}, args...)
	if srv != nil {
		full = append(full, "--server", srv.URL, "--token", srv.Token)
	}
	code := cli.Main(full, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestCLIBuildsConnectsDeploysAndRuns(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "cli-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		in["id"] = "c1"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(in)
	}))
	defer up.Close()
	srv := servertest.Start(t, servertest.Options{})
	def := filepath.Join(t.TempDir(), "crm.json")
	if err := os.WriteFile(def, []byte(fmt.Sprintf(`{"name": "Custom CRM", "baseUrl": %q,
		"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts",
		             "parameters": {"name": "string", "age": "integer", "vip": "boolean"}}]}`, up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}

	r := run(t, srv, "", "integrations", "create", "-f", def)
	if r.code != 0 || !strings.Contains(r.stdout, "created Custom CRM") || !strings.Contains(r.stdout, "custom_crm__create_contact") {
		t.Fatalf("create: %+v", r)
	}
	r = run(t, srv, "", "integrations", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "custom_crm") || !strings.Contains(r.stdout, "not deployed") {
		t.Fatalf("list: %+v", r)
	}
	r = run(t, srv, "", "connections", "add", "custom_crm", "--env", "sandbox", "--api-key", "cli-secret")
	if r.code != 0 || !strings.Contains(r.stdout, "added sandbox connection") {
		t.Fatalf("connections add: %+v", r)
	}
	r = run(t, srv, "", "integrations", "deploy", "custom_crm")
	if r.code != 0 || !strings.Contains(r.stdout, "deployed version 1") {
		t.Fatalf("deploy: %+v", r)
	}
	// Params are typed by the action's schema: age becomes a number, vip a boolean.
	r = run(t, srv, "", "run", "custom_crm", "create_contact", "--param", "name=Ada", "--param", "age=36", "--param", "vip=true", "-o", "json")
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	var res struct {
		Status int
		Body   map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("run output: %v\n%s", err, r.stdout)
	}
	if res.Status != 201 || res.Body["age"] != float64(36) || res.Body["vip"] != true || res.Body["name"] != "Ada" {
		t.Fatalf("run result: %+v", res)
	}
	if strings.Contains(r.stdout+r.stderr, "cli-secret") {
		t.Fatal("the CLI printed the credential")
	}
}

func TestCLIExitCodes(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	cases := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"unknown integration", []string{"integrations", "get", "nope"}, "", 3, "not found"},
		{"invalid definition", []string{"integrations", "create", "-f", "-"}, `{"name": "x", "baseUrl": "nope", "actions": []}`, 1, "baseUrl"},
		{"bad param syntax", []string{"run", "x", "y", "--param", "novalue"}, "", 2, "want name=value"},
		{"unknown flag", []string{"integrations", "list", "--nope"}, "", 2, "unknown flag"},
	}
	for _, tc := range cases {
		r := run(t, srv, tc.stdin, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want it to mention %q)", tc.name, r.code, tc.code, r.stderr, tc.stderr)
		}
	}
	// Without a token the CLI says how to give one.
	var out, errb bytes.Buffer
	code := cli.Main([]string{"integrations", "list", "--server", srv.URL, "--token="}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "PLUGBOARD_TOKEN") {
		t.Fatalf("no token: %d %q", code, errb.String())
	}
}
