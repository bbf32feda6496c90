package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// A REST caller may ask for a selection and a budget; a result over the
// budget is stored for that member, read back by items or bytes through
// GET /v1/results/{id}, and not found by another member.
func TestRunSelectAndBudgetOverREST(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var items []map[string]any
	for i := range 300 {
		items = append(items, map[string]any{"id": i, "name": fmt.Sprintf("row %d", i), "notes": strings.Repeat("n", 100)})
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"rows": items})
	}))
	t.Cleanup(up.Close)
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Rows", "baseUrl": %q, "actions": [{"key": "rows", "name": "Rows", "endpoint": "/rows"}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}

	res, err := srv.Client.Run(ctx, in.ID, "rows", client.RunInput{})
	if err != nil || res.Stored != nil || len(res.Body) < 30_000 {
		t.Fatalf("without a budget: stored %+v, %d bytes, %v", res.Stored, len(res.Body), err)
	}
	res, err = srv.Client.Run(ctx, in.ID, "rows", client.RunInput{Select: "[.rows[] | {id, name}]", MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var shown []struct {
		ID   int
		Name string
	}
	if err := json.Unmarshal(res.Body, &shown); err != nil || res.Stored == nil || len(res.Body) > 1000 || len(shown) != res.Stored.Shown || res.Stored.Items != 300 {
		t.Fatalf("body %d bytes, %d items, stored %+v: %v", len(res.Body), len(shown), res.Stored, err)
	}
	part, err := srv.Client.ReadResult(ctx, res.Stored.ID, url.Values{"start": {"290"}, "count": {"20"}})
	if err != nil {
		t.Fatal(err)
	}
	var tail []struct{ ID int }
	if err := json.Unmarshal(part.Items, &tail); err != nil || len(tail) != 10 || tail[9].ID != 299 || part.Next != -1 {
		t.Errorf("items 290 on: %s, next %d", part.Items, part.Next)
	}
	part, err = srv.Client.ReadResult(ctx, res.Stored.ID, url.Values{"offset": {"0"}, "length": {"20"}})
	if err != nil || part.Bytes != `[{"id":0,"name":"row` || part.Next != 20 {
		t.Errorf("bytes 0 to 20: %+v, %v", part, err)
	}

	for _, tt := range []struct {
		in   client.RunInput
		want string
	}{
		{client.RunInput{Select: ".rows[ | x"}, "select is not a valid jq expression"},
		{client.RunInput{MaxBytes: -5}, "max_bytes"},
		{client.RunInput{MaxItems: 5}, "does not declare how its API pages"},
	} {
		if _, err := srv.Client.Run(ctx, in.ID, "rows", tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.in, err, tt.want)
		}
	}

	var other struct{ Key string }
	if err := srv.Client.Do(ctx, "POST", "/v1/users", map[string]string{"email": "other@example.com", "role": "developer"}, &other); err != nil {
		t.Fatal(err)
	}
	_, err = client.New(srv.URL, other.Key).ReadResult(ctx, res.Stored.ID, nil)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("another member read the result: %v", err)
	}
}
