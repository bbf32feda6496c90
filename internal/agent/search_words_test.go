package agent

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"github__issues_create":             "github issues create",
		"PostChargesChargeRefunds":          "post charges charge refunds",
		"doTransition":                      "do transition",
		"/repos/{owner}/{repo}/issues":      "repos owner repo issues",
		"Search for issues using JQL (GET)": "search for issues using jql get",
	} {
		if got := words(in); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"create an issue in a repo": {"create", "post", "issue", "repo", "repository"},
		"transition a Jira ticket":  {"transition", "jira", "ticket", "issue"},
		"refund a charge":           {"refund", "charge"},
		`x" OR agent_id : "NEAR(*)`: {"x", "agent", "id", "near"},
		"the of a":                  nil,
	} {
		if got := QueryWords(in); !slices.Equal(got, want) {
			t.Errorf("QueryWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"issues": "issue", "repositories": "repository", "access": "access", "bus": "bus", "charges": "charge"} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}
