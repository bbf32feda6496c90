package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestActionEditorSavesBodyType changes an action's body from JSON to a
// form in the dashboard's action editor: the definition says so, the
// editor shows it, and a run sends a form with bracketed nesting.
func TestActionEditorSavesBodyType(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var gotType, gotBody string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotType, gotBody = r.Header.Get("Content-Type"), string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id": "cus_1"}`))
	}))
	t.Cleanup(up.Close)
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	var made struct {
		ID string `json:"id"`
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations", json.RawMessage(`{"name": "Payments", "baseUrl": "`+up.URL+`",
		"actions": [{"name": "Create Customer", "method": "POST", "endpoint": "/customers",
		  "parameters": {"name": "string", "metadata": "object"}}]}`), &made); err != nil {
		t.Fatal(err)
	}
	site := in.SignInOwner(t)
	page := "/integrations/" + made.ID + "/actions/create_customer"
	code, body := site.Get(page)
	if code != http.StatusOK || !strings.Contains(body, `<option value="" selected>JSON</option>`) {
		t.Fatalf("the editor (%d) does not offer the body type with JSON chosen:\n%s", code, body)
	}

	form := url.Values{"orig_key": {"create_customer"}, "name": {"Create Customer"}, "key": {"create_customer"}, "method": {"POST"},
		"endpoint": {"/customers"}, "description": {""}, "body_type": {"form"},
		"params[0].name": {"name"}, "params[0].orig": {"name"}, "params[0].type": {"string"}, "params[0].in": {"body"},
		"params[1].name": {"metadata"}, "params[1].orig": {"metadata"}, "params[1].type": {"object"}, "params[1].in": {"body"}}
	if code, body, _ := site.Post(page, form); code != http.StatusSeeOther {
		t.Fatalf("saving the action: %d\n%s", code, body)
	}

	var got struct {
		Definition struct {
			Actions []struct {
				BodyType string `json:"body_type"`
			} `json:"actions"`
		} `json:"definition"`
	}
	if err := in.Client.Do(ctx, "GET", "/v1/integrations/"+made.ID, nil, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Definition.Actions) != 1 || got.Definition.Actions[0].BodyType != "form" {
		t.Fatalf("saved definition's actions: %+v, want body_type form", got.Definition.Actions)
	}
	if _, body := site.Get(page); !strings.Contains(body, `<option value="form" selected>`) {
		t.Errorf("the editor does not show the saved form body type")
	}

	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/deploy", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/actions/create_customer/run",
		map[string]any{"params": map[string]any{"name": "Ada L", "metadata": map[string]any{"plan": "pro"}}}, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotType != "application/x-www-form-urlencoded" || gotBody != "name=Ada+L&metadata%5Bplan%5D=pro" {
		t.Errorf("upstream got %q: %s", gotType, gotBody)
	}
}
