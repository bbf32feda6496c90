package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestCLIRetentionShowSetReset(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	org, err := srv.Client.GetOrg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, srv, "", "retention", "show"); r.code != 0 || !strings.Contains(r.stdout, "90 days") || !strings.Contains(r.stdout, "plan's defaults") {
		t.Fatalf("show on the scale plan: %+v", r)
	}
	r := run(t, srv, "", "retention", "set", "--org", org.ID, "--events-days", "400")
	if r.code != 0 || !strings.Contains(r.stdout, "400 days") || !strings.Contains(r.stdout, "override") {
		t.Fatalf("set: %+v", r)
	}
	if r := run(t, srv, "", "retention", "set", "--org", org.ID, "--call-logs-days", "0"); r.code != 1 || !strings.Contains(r.stderr, "call_logs_days: must be a number of days") {
		t.Fatalf("set 0 days: %+v", r)
	}
	if r := run(t, srv, "", "retention", "reset", "--org", org.ID, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"events_days": 90`) {
		t.Fatalf("reset: %+v", r)
	}
}
