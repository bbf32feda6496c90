package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

var signinLink = regexp.MustCompile(`http://\S+/signin/first\?token=\w+`)

// The owner of a new server who lost the first sign-in link gets another:
// from the CLI with the owner key, or from the next start of the server.
func TestAnOwnerWithoutAPasswordGetsANewSigninLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := servertest.Start(t, servertest.Options{DataDir: dir})
	first.Stop()
	again := servertest.Start(t, servertest.Options{DataDir: dir})
	if !signinLink.MatchString(again.Logs.String()) {
		t.Fatalf("a restart while the owner has no password printed no sign-in link:\n%s", again.Logs.String())
	}

	r := run(t, again, "", "signin-link")
	link := signinLink.FindString(r.stdout)
	if r.code != 0 || link == "" || !strings.Contains(r.stdout, "one-time sign-in link for owner@localhost") {
		t.Fatalf("signin-link: %+v", r)
	}
	servertest.NewSite(t, again.URL).SetPassword(link, "ada@example.com", "a long enough password")

	r = run(t, again, "", "signin-link")
	if r.code != 1 || !strings.Contains(r.stderr, "ada@example.com has set a password") {
		t.Fatalf("signin-link after the password is set: %+v", r)
	}
	again.Stop()
	third := servertest.Start(t, servertest.Options{DataDir: dir})
	if signinLink.MatchString(third.Logs.String()) {
		t.Fatalf("a start after the owner set a password printed a sign-in link:\n%s", third.Logs.String())
	}
}
