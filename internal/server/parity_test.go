package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// The same change made by one member through the API and through the
// dashboard leaves the same state in the store and the same entry in the
// audit trail (who, what, on which kind of object, with the same details
// but the surface), and the trail still verifies.
func TestTheAPIAndTheDashboardChangeTheSameWay(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		parker := w.invite("parker@example.com", "admin")
		viaAPI, viaPage := w.twin("Twin A"), w.twin("Twin B")
		def := func(name string) string {
			return fmt.Sprintf(`{"name": %q, "description": "Edited.", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
				"actions": [{"name": "Ping", "endpoint": "/ping"}]}`, name, w.up.URL)
		}

		changes := []struct {
			name          string
			api, page     func() string // make the change; return the object's id
			state         func(id string) any
			sameDetailKey []string
		}{
			{
				name: "edit a definition",
				api: func() string {
					w.must(parker.api.Do(w.ctx, "PUT", "/v1/integrations/"+viaAPI, json.RawMessage(def("Twin A")), nil))
					return viaAPI
				},
				page: func() string {
					w.mustPost(parker, "/integrations/"+viaPage+"/json", url.Values{"definition": {def("Twin B")}})
					return viaPage
				},
				state: func(id string) any {
					in, err := w.owner.api.GetIntegration(w.ctx, id)
					w.must(err)
					return []any{in.Version, in.Status, strings.Contains(string(in.Definition), "Edited.")}
				},
				sameDetailKey: []string{"version"},
			},
			{
				name: "save it again unchanged (no new version)",
				api: func() string {
					w.must(parker.api.Do(w.ctx, "PUT", "/v1/integrations/"+viaAPI, json.RawMessage(def("Twin A")), nil))
					return viaAPI
				},
				page: func() string {
					w.mustPost(parker, "/integrations/"+viaPage+"/json", url.Values{"definition": {def("Twin B")}})
					return viaPage
				},
				state: func(id string) any {
					in, err := w.owner.api.GetIntegration(w.ctx, id)
					w.must(err)
					return in.Version
				},
				sameDetailKey: []string{"version"},
			},
			{
				name: "deploy it",
				api: func() string {
					_, err := parker.api.Deploy(w.ctx, viaAPI)
					w.must(err)
					return viaAPI
				},
				page: func() string {
					w.mustPost(parker, "/integrations/"+viaPage+"/deploy", url.Values{})
					return viaPage
				},
				state: func(id string) any {
					in, err := w.owner.api.GetIntegration(w.ctx, id)
					w.must(err)
					return []any{in.DeployedVersion, in.Status}
				},
				sameDetailKey: []string{"version"},
			},
			{
				name: "add a connection",
				api: func() string {
					c, err := parker.api.AddConnection(w.ctx, viaAPI, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": "k1"}, BaseURL: w.up.URL + "/eu"})
					w.must(err)
					return c.ID
				},
				page: func() string {
					w.mustPost(parker, "/integrations/"+viaPage+"/connections", url.Values{"environment": {"production"}, "api_key": {"k1"}, "base_url": {w.up.URL + "/eu"}})
					return w.connectionOf(viaPage, "production")
				},
				state: func(id string) any {
					c := w.storedConnection(id)
					return []any{c.Environment, c.Status, c.UserID, c.BaseURL, c.Name}
				},
				sameDetailKey: []string{"environment", "personal"},
			},
			{
				name: "create a webhook",
				api: func() string {
					var out struct{ ID string }
					w.must(parker.api.Do(w.ctx, "POST", "/v1/webhooks", map[string]string{"name": "Pushes", "source": "github"}, &out))
					return out.ID
				},
				page: func() string {
					w.mustPost(parker, "/webhooks", url.Values{"name": {"Pushes"}, "source": {"github"}})
					return w.lastWebhook("Pushes")
				},
				state: func(id string) any {
					var v map[string]any
					w.must(w.owner.api.Do(w.ctx, "GET", "/v1/webhooks/"+id, nil, &v))
					return []any{v["name"], v["source"], v["rate_limit_per_second"], v["allowed_ips"], v["retry"], v["triggers"]}
				},
				sameDetailKey: []string{"name", "source", "triggers"},
			},
			{
				name: "create an agent",
				api: func() string {
					ag, err := parker.api.CreateAgent(w.ctx, "Support bot", []client.AgentGrant{{Integration: w.open.ID}})
					w.must(err)
					return ag.ID
				},
				page: func() string {
					w.mustPost(parker, "/agents", url.Values{"name": {"Support bot"}, "grant": {w.open.ID}})
					return w.lastAgent("Support bot")
				},
				state: func(id string) any {
					ag, err := w.owner.api.GetAgent(w.ctx, id)
					w.must(err)
					return []any{ag.Name, ag.Tools}
				},
				sameDetailKey: []string{"name", "tools"},
			},
			{
				name: "invite a member",
				api: func() string {
					var out struct {
						User struct{ ID string } `json:"user"`
					}
					w.must(parker.api.Do(w.ctx, "POST", "/v1/users", map[string]string{"email": "newcomer1@example.com", "role": "viewer"}, &out))
					return out.User.ID
				},
				page: func() string {
					w.mustPost(parker, "/members", url.Values{"email": {"newcomer2@example.com"}, "role": {"viewer"}})
					return w.memberID("newcomer2@example.com")
				},
				state: func(id string) any {
					var out struct{ Users []store.User }
					w.must(w.owner.api.Do(w.ctx, "GET", "/v1/users", nil, &out))
					for _, u := range out.Users {
						if u.ID == id {
							return []any{u.Role, u.OrgID, u.PasswordHash == ""}
						}
					}
					return nil
				},
				sameDetailKey: []string{"role"},
			},
		}
		for _, c := range changes {
			t.Run(c.name, func(t *testing.T) {
				a := c.api()
				entryA := w.lastAudit(a)
				b := c.page()
				entryB := w.lastAudit(b)
				if sa, sb := c.state(a), c.state(b); !reflect.DeepEqual(sa, sb) {
					t.Errorf("stored state differs: API %v, dashboard %v", sa, sb)
				}
				if entryA.ActorUserID != parker.id || entryB.ActorUserID != parker.id || entryA.Action != entryB.Action || entryA.TargetType != entryB.TargetType {
					t.Errorf("audit entries differ:\n API       %+v\n dashboard %+v", entryA, entryB)
				}
				da, db := detail(t, entryA), detail(t, entryB)
				if da["via"] != "api" || db["via"] != "dashboard" || db["session"] == nil {
					t.Errorf("the surfaces are not recorded: %v / %v", da, db)
				}
				for _, k := range c.sameDetailKey {
					if !reflect.DeepEqual(da[k], db[k]) {
						t.Errorf("audit detail %q differs: API %v, dashboard %v", k, da[k], db[k])
					}
				}
			})
		}
		var v store.AuditVerification
		w.must(w.owner.api.Do(w.ctx, "GET", "/v1/audit/verify", nil, &v))
		if !v.OK {
			t.Fatalf("the audit trail does not verify: %+v", v)
		}
	})
}

// Changes made in the dashboard reach the audit trail like any other:
// signing in and out, setting a password, rotating secrets and keys, and
// the organization's settings.
func TestDashboardChangesAreAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t, store.SQLite)
	m := w.invite("auditee@example.com", "owner") // a sign-in link redeemed: a password set and a sign-in
	w.mustPost(m, "/agents/"+w.agent.ID+"/rotate", url.Values{})
	w.mustPost(m, "/webhooks/"+w.hook+"/rotate", url.Values{})
	w.mustPost(m, "/settings", url.Values{"name": {"Acme Audited"}})
	w.mustPost(m, "/signout", url.Values{})
	var out struct{ Events []store.AuditEvent }
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/audit?actor="+w.memberID("auditee@example.com"), nil, &out))
	var got []string
	for _, e := range out.Events {
		got = append(got, e.Action)
	}
	want := []string{"member.sign_out", "org.update", "webhook.rotate_secret", "agent.rotate_key", "member.set_password"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the dashboard's changes in the trail: %v, want %v", got, want)
	}
	code, _, _ := servertestSignIn(w, "auditee@example.com")
	if code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/audit?actor="+w.memberID("auditee@example.com")+"&limit=1", nil, &out))
	if len(out.Events) != 1 || out.Events[0].Action != "member.sign_in" {
		t.Fatalf("a dashboard sign-in is not audited: %+v", out.Events)
	}
}
