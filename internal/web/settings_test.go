package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestOrganizationSettingsAndWhiteLabel(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")

	_, page := s.Get("/members")
	if !strings.Contains(page, "Data kept") || !strings.Contains(page, "<td>90 days</td>") || !strings.Contains(page, "defaults of the scale plan") {
		t.Fatal("the settings do not show what is kept for how long")
	}
	if !strings.Contains(page, "comes with the agency plan") || strings.Contains(page, `name="product_name"`) {
		t.Fatal("branding fields are offered on a plan without white-label")
	}
	if code, _, _ := s.Post("/settings", url.Values{"name": {"Acme Robotics"}}); code != http.StatusSeeOther {
		t.Fatalf("rename: %d", code)
	}

	if err := in.Client.Do(context.Background(), "PATCH", "/v1/org", map[string]string{"plan": "agency"}, nil); err != nil {
		t.Fatal(err)
	}
	_, page = s.Get("/members")
	if !strings.Contains(page, `name="product_name"`) || !strings.Contains(page, `value="Acme Robotics"`) {
		t.Fatal("the agency plan does not offer branding, or the new name is missing")
	}
	code, page, _ := s.Post("/settings", url.Values{"name": {"Acme Robotics"}, "product_name": {"RoboHub"}, "logo_url": {"javascript:alert(1)"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "absolute http(s) URL") {
		t.Fatalf("a script URL as logo: %d", code)
	}
	if code, _, _ := s.Post("/settings", url.Values{"name": {"Acme Robotics"}, "product_name": {"RoboHub"}, "logo_url": {"https://cdn.example.com/robohub.svg"}}); code != http.StatusSeeOther {
		t.Fatalf("branding: %d", code)
	}
	_, page = s.Get("/")
	if !strings.Contains(page, "RoboHub") || !strings.Contains(page, "https://cdn.example.com/robohub.svg") {
		t.Fatal("the dashboard does not show the product name and logo")
	}
}
