package connector

import (
	"testing"
	"time"
)

func TestSlug(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Create Contact":      "create_contact",
		"  List--all  Items!": "list_all_items",
		"getUser2":            "getuser2",
		"Crème brûlée":        "cr_me_br_l_e",
		"___":                 "",
		"already_slugged":     "already_slugged",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestActionLookup(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"actions":[{"name":"Create Contact","method":"POST"},{"key":"get","name":"Get Contact"}]`))
	for in, want := range map[string]string{
		"create_contact": "create_contact",
		"Create Contact": "create_contact",
		"create contact": "create_contact",
		"CREATE-CONTACT": "create_contact",
		"get":            "get",
		"get contact":    "get",
	} {
		a, ok := d.Action(in)
		if !ok || a.Key != want {
			t.Errorf("Action(%q) = %v, %v; want %s", in, a, ok, want)
		}
	}
	if _, ok := d.Action("delete_contact"); ok {
		t.Error("found an action that does not exist")
	}
	a, _ := d.Action("get")
	a.Description = "changed"
	if d.Actions[1].Description != "changed" {
		t.Error("Action does not point into the definition")
	}
}

func TestBaseURLFor(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"environments":{"sandbox":{"baseUrl":"https://sandbox.a.test"},"production":{}}`))
	for env, want := range map[string]string{Sandbox: "https://sandbox.a.test", Production: "https://a.test", "": "https://a.test"} {
		if got := d.BaseURLFor(env); got != want {
			t.Errorf("BaseURLFor(%q) = %q, want %q", env, got, want)
		}
	}
}

func TestTestActionFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, want string
	}{
		{"declared by name", def(`"testAction":"Who Am I","actions":[{"name":"List"},{"name":"Who Am I"}]`), "who_am_i"},
		{"first GET", def(`"actions":[{"name":"Create","method":"POST"},{"name":"List"}]`), "list"},
		{"none", def(`"actions":[{"name":"Create","method":"POST"}]`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, ok := mustParse(t, tt.json).TestActionFor()
			switch {
			case tt.want == "" && ok:
				t.Errorf("got %s, want none", a.Key)
			case tt.want != "" && (!ok || a.Key != tt.want):
				t.Errorf("got %v, %v; want %s", a, ok, tt.want)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	for secs, want := range map[int]time.Duration{0: 30 * time.Second, 5: 5 * time.Second, 30: 30 * time.Second} {
		if got := (&Definition{TimeoutSeconds: secs}).Timeout(); got != want {
			t.Errorf("Timeout() with %d = %v, want %v", secs, got, want)
		}
	}
}
