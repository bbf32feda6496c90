package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

type verification struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`
	BrokenAt int64  `json:"broken_at"`
	Reason   string `json:"reason"`
}

func verify(t *testing.T, srv *servertest.Instance) verification {
	t.Helper()
	var v verification
	if err := srv.Client.Do(context.Background(), "GET", "/v1/audit/verify", nil, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAuditTruncateExportsThenRemoves: the operator's truncation writes the
// old entries to a file, removes them, and the kept trail verifies from
// its anchor; moving the anchor to hide a further removal does not.
func TestAuditTruncateExportsThenRemoves(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	for _, name := range []string{"ci", "deploys", "backups"} {
		if err := srv.Client.Do(ctx, "POST", "/v1/keys", map[string]string{"name": name}, nil); err != nil {
			t.Fatal(err)
		}
	}
	before := verify(t, srv)
	org, err := srv.Client.GetOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	r := run(t, nil, "", "audit", "truncate", "--data-dir", srv.DataDir, "--org", org.ID, "--before", tomorrow, "--export", file, "--operator", "ops@example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "verifies from entry") {
		t.Fatalf("truncate: %+v", r)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); int64(lines) != before.Entries || !strings.Contains(string(data), `"action":"key.create"`) {
		t.Fatalf("the export holds %d lines, the trail had %d entries", lines, before.Entries)
	}
	if v := verify(t, srv); !v.OK || v.Entries != 1 {
		t.Fatalf("after truncating: %+v", v)
	}
	var trail struct {
		Events []struct{ Action, Detail string } `json:"events"`
	}
	if err := srv.Client.Do(ctx, "GET", "/v1/audit", nil, &trail); err != nil || len(trail.Events) != 1 || trail.Events[0].Action != "audit.truncate" || !strings.Contains(trail.Events[0].Detail, "ops@example.com") {
		t.Fatalf("the trail does not record the truncation: %+v %v", trail, err)
	}
	if r := run(t, nil, "", "audit", "truncate", "--data-dir", srv.DataDir, "--org", org.ID, "--before", tomorrow, "--export", file); r.code == 0 || !strings.Contains(r.stderr, "exists") {
		t.Fatalf("a second export over the first file: %+v", r)
	}
	if err := srv.Client.Do(ctx, "POST", "/v1/keys", map[string]string{"name": "later"}, nil); err != nil {
		t.Fatal(err)
	}
	if v := verify(t, srv); !v.OK || v.Entries != 2 {
		t.Fatalf("after a new entry: %+v", v)
	}

	// Someone removes the truncation record too and moves the anchor past
	// it, as if the trail had always started later.
	db := srv.Server.Store.DB()
	var seq int64
	var hash string
	if err := db.QueryRow(`SELECT seq, hash FROM audit_events WHERE action = 'audit.truncate'`).Scan(&seq, &hash); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit_events WHERE seq = ?`, seq); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_anchors SET through_seq = ?, hash = ?`, seq, hash); err != nil {
		t.Fatal(err)
	}
	if v := verify(t, srv); v.OK || !strings.Contains(v.Reason, "truncation") {
		t.Fatalf("a moved anchor verified: %+v", v)
	}
}
