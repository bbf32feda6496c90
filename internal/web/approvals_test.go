package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The approvals inbox lists a waiting call with a count in the navigation;
// its page shows the exact request with secret-looking params masked, and
// approving needs the form's CSRF token.
func TestApprovalsInbox(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(up.Close)
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	var made struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/integrations", json.RawMessage(`{"name": "Billing", "baseUrl": "`+up.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Refund", "method": "POST", "endpoint": "/refunds", "destructive": true, "parameters": {"charge": "string", "api_token": "string"}}]}`), &made); err != nil {
		t.Fatal(err)
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/deploy", nil, nil); err != nil {
		t.Fatal(err)
	}
	var parked struct {
		Approval struct{ ID, Status string }
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/actions/refund/run",
		map[string]any{"environment": "production", "params": map[string]any{"charge": "ch_1", "api_token": "tok-very-secret"}}, &parked); err != nil || parked.Approval.ID == "" {
		t.Fatalf("park a refund: %+v %v", parked, err)
	}
	s := in.SignInOwner(t)
	code, body := s.Get("/approvals")
	if code != 200 || !strings.Contains(body, `id="approvals-count"`) || !strings.Contains(body, "/approvals/"+parked.Approval.ID) {
		t.Fatalf("inbox: %d\n%s", code, body)
	}
	code, body = s.Get("/approvals/" + parked.Approval.ID)
	if code != 200 || !strings.Contains(body, "POST "+up.URL+"/refunds") || !strings.Contains(body, "ch_1") {
		t.Fatalf("approval page: %d\n%s", code, body)
	}
	if strings.Contains(body, "tok-very-secret") {
		t.Fatal("the approval page shows a secret-looking param")
	}
	if code, _, _ := s.Post("/approvals/"+parked.Approval.ID+"/approve", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("approve with a forged token: %d, want 403", code)
	}
	if code, _, _ := s.Post("/approvals/"+parked.Approval.ID+"/approve", url.Values{"comment": {"refund ok"}}); code != http.StatusSeeOther {
		t.Fatalf("approve: %d", code)
	}
	if _, body = s.Get("/approvals/" + parked.Approval.ID); !strings.Contains(body, ">approved<") || !strings.Contains(body, "refund ok") {
		t.Fatalf("after approving:\n%s", body)
	}
	if _, body = s.Get("/approvals"); strings.Contains(body, `id="approvals-count"`) {
		t.Fatal("the navigation still counts a decided approval")
	}
	code, body, _ = s.Post("/approvals/settings", url.Values{"notify_url": {"https://hooks.example.com/pb"}})
	if code != 200 || !strings.Contains(body, "whsec_") {
		t.Fatalf("notification settings: %d\n%s", code, body)
	}
}
