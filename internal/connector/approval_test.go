package connector_test

import (
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

func TestApprovalPolicy(t *testing.T) {
	t.Parallel()
	def := func(action string) string {
		return `{"name": "CRM", "baseUrl": "https://api.example.com", "actions": [` + action + `]}`
	}
	cases := []struct {
		action           string
		sandbox, product bool
	}{
		{`{"name": "Delete", "method": "DELETE", "endpoint": "/c/{id}", "parameters": {"id": "string"}}`, false, true},
		{`{"name": "Wipe", "method": "POST", "endpoint": "/wipe", "destructive": true}`, false, true},
		{`{"name": "Create", "method": "POST", "endpoint": "/c"}`, false, false},
		{`{"name": "Create", "method": "POST", "endpoint": "/c", "approval": "Always", "approval_team": "Finance"}`, true, true},
		{`{"name": "Delete", "method": "DELETE", "endpoint": "/c/{id}", "parameters": {"id": "string"}, "approval": "never"}`, false, false},
	}
	for _, c := range cases {
		d, err := connector.Parse([]byte(def(c.action)))
		if err != nil {
			t.Fatalf("%s: %v", c.action, err)
		}
		a := &d.Actions[0]
		if got := a.NeedsApproval(connector.Sandbox); got != c.sandbox {
			t.Errorf("%s in sandbox: needs approval %v, want %v", c.action, got, c.sandbox)
		}
		if got := a.NeedsApproval(connector.Production); got != c.product {
			t.Errorf("%s in production: needs approval %v, want %v", c.action, got, c.product)
		}
	}
	for action, want := range map[string]string{
		`{"name": "D", "method": "DELETE", "endpoint": "/d", "approval": "sometimes"}`:                     `actions[0].approval`,
		`{"name": "D", "method": "DELETE", "endpoint": "/d", "approval": "never", "approval_team": "Ops"}`: `actions[0].approval_team`,
		`{"name": "D", "method": "DELETE", "endpoint": "/d", "destructive": "yes"}`:                        `actions[0].destructive`,
	} {
		_, err := connector.Parse([]byte(def(action)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one about %s", action, err, want)
		}
	}
}
