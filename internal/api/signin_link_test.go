package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// A new sign-in link goes to a member who has no password yet, from a
// member who outranks or equals them; it is a link that works.
func TestSigninLinksForMembersWithoutAPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	type invited struct {
		User struct{ ID string } `json:"user"`
		Key  string              `json:"key"`
	}
	invite := func(email, role string) invited {
		var out invited
		if err := srv.Client.Do(ctx, "POST", "/v1/users", map[string]string{"email": email, "role": role}, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	admin := invite("admin@example.com", "admin")
	dev := invite("dev@example.com", "developer")
	var owner struct {
		User struct{ ID string } `json:"user"`
	}
	if err := srv.Client.Do(ctx, "GET", "/v1/me", nil, &owner); err != nil {
		t.Fatal(err)
	}
	type link struct {
		URL string `json:"signin_url"`
	}

	var l link
	asAdmin := client.New(srv.URL, admin.Key)
	if err := asAdmin.Do(ctx, "POST", "/v1/users/"+dev.User.ID+"/signin-link", map[string]string{}, &l); err != nil || !strings.Contains(l.URL, "/signin/invite?token=") {
		t.Fatalf("an admin's link for a developer: %+v, %v", l, err)
	}
	servertest.NewSite(t, srv.URL).SetPassword(l.URL, "dev@example.com", "a long enough password")

	err := asAdmin.Do(ctx, "POST", "/v1/users/"+owner.User.ID+"/signin-link", map[string]string{}, nil)
	if pe := problemOf(t, err, 403); !strings.Contains(pe.Detail, "owner") {
		t.Fatalf("an admin's link for the owner: %s", pe.Detail)
	}
	err = srv.Client.Do(ctx, "POST", "/v1/users/"+dev.User.ID+"/signin-link", map[string]string{}, nil)
	if pe := problemOf(t, err, 409); !strings.Contains(pe.Detail, "dev@example.com has set a password") {
		t.Fatalf("a link for a member with a password: %s", pe.Detail)
	}
	problemOf(t, srv.Client.Do(ctx, "POST", "/v1/users/usr_nobody/signin-link", map[string]string{}, nil), 404)
	problemOf(t, client.New(srv.URL, dev.Key).Do(ctx, "POST", "/v1/users/me/signin-link", map[string]string{}, nil), 403)

	var audit struct {
		Events []struct{ Action string } `json:"events"`
	}
	if err := srv.Client.Do(ctx, "GET", "/v1/audit", nil, &audit); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit.Events {
		found = found || e.Action == "member.signin_link"
	}
	if !found {
		t.Fatalf("no member.signin_link entry in the audit trail: %+v", audit.Events)
	}
}
