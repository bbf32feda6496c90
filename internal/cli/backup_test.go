package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// TestBackupUnderWriteLoadAndRestore backs the SQLite database up while
// senders keep delivering events, then restores the copy, once into a new
// data folder and once over the original database, and starts a server on
// each: every event acknowledged before the backup began is there.
func TestBackupUnderWriteLoadAndRestore(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	withKey := func(c *config.Config) { c.SecretKey = base64.StdEncoding.EncodeToString(key) }
	srv := servertest.Start(t, servertest.Options{Configure: withKey})
	wh, err := srv.Client.CreateWebhook(context.Background(), client.WebhookInput{
		Name: "Backup", Source: "github", Secret: "s3cret", RateLimitPerSecond: 1_000_000,
	})
	if err != nil {
		t.Fatal(err)
	}

	sender := servertest.Send(t, wh.URL, "github", "s3cret", 4)
	sender.WaitFor(300)
	before := sender.IDs()
	file := filepath.Join(t.TempDir(), "plugboard-backup.db")
	r := run(t, nil, "", "backup", file, "--data-dir", srv.DataDir)
	sender.WaitFor(sender.Acked.Load() + 100)
	sender.Stop()
	acked := sender.IDs()
	if r.code != 0 || !strings.Contains(r.stdout, "backed up") || !strings.Contains(r.stderr, "secret.key") {
		t.Fatalf("backup: %+v", r)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", info, err)
	}
	t.Logf("%d events acknowledged before the backup began, %d in all", len(before), len(acked))

	if r := run(t, nil, "", "backup", file, "--data-dir", srv.DataDir); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("a second backup over the first: %+v", r)
	}
	if r := run(t, nil, "", "restore", file, "--data-dir", srv.DataDir); r.code == 0 || !strings.Contains(r.stderr, "server is using this database") {
		t.Fatalf("restore under a running server: %+v", r)
	}

	fresh := t.TempDir()
	if r := run(t, nil, "", "restore", file, "--data-dir", fresh); r.code != 0 || strings.Contains(r.stdout, "kept as") {
		t.Fatalf("restore into a new folder: %+v", r)
	}
	restored := servertest.Start(t, servertest.Options{DataDir: fresh, Configure: withKey})
	have := eventIDs(t, restored.Client, wh.ID)
	for _, id := range before {
		if !have[id] {
			t.Fatalf("event %s was acknowledged before the backup began and is not in it", id)
		}
	}
	restored.Stop()

	srv.Stop()
	r = run(t, nil, "", "restore", file, "--data-dir", srv.DataDir)
	if r.code != 0 || !strings.Contains(r.stdout, "kept as") {
		t.Fatalf("restore over the stopped server's database: %+v", r)
	}
	again := servertest.Start(t, servertest.Options{DataDir: srv.DataDir, Configure: withKey})
	back := eventIDs(t, again.Client, wh.ID)
	if len(back) != len(have) {
		t.Fatalf("restored over the original: %d events, the copy holds %d", len(back), len(have))
	}
	if len(back) >= len(acked) {
		t.Fatalf("the restored database holds %d events, as many as were sent (%d): it was not replaced", len(back), len(acked))
	}
}

func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := run(t, nil, "", "restore", bad, "--data-dir", dir); r.code == 0 || !strings.Contains(r.stderr, "not a") {
		t.Fatalf("restore of a text file: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "plugboard.db")); err == nil {
		t.Fatal("a refused restore left a database behind")
	}
	// A device would be copied until the disk is full.
	for _, notAFile := range []string{"/dev/zero", t.TempDir()} {
		if r := run(t, nil, "", "restore", notAFile, "--data-dir", dir); r.code == 0 || !strings.Contains(r.stderr, "is not a file") {
			t.Fatalf("restore of %s: %+v", notAFile, r)
		}
	}
	if r := run(t, nil, "", "backup", filepath.Join(dir, "b.db"), "--database-url", "postgres://db/plugboard"); r.code == 0 || !strings.Contains(r.stderr, "pg_dump") {
		t.Fatalf("backup with PostgreSQL: %+v", r)
	}
}

// TestRestoreRefusesABackupFromANewerPlugboard: a backup that a newer
// Plugboard made records migrations this binary does not have; restoring it
// would leave a database no server of this version can start on. It is
// refused, and the database it would have replaced is left as it was.
// The file and folder names hold '#', '?' and '%', which SQLite's URI
// names would misread.
func TestRestoreRefusesABackupFromANewerPlugboard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	newer := filepath.Join(t.TempDir(), "newer#1")
	s, err := store.Open(ctx, "", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_a_newer_plugboard.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	file := filepath.Join(t.TempDir(), "from#newer?%41.db")
	if r := run(t, nil, "", "backup", file, "--data-dir", newer); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}

	dir := filepath.Join(t.TempDir(), "data?#%41")
	current, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	current.Close()
	db := filepath.Join(dir, "plugboard.db")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "restore", file, "--data-dir", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "newer Plugboard") || !strings.Contains(r.stderr, "9999_from_a_newer_plugboard.sql") {
		t.Fatalf("restore of a newer backup: %+v; want a refusal naming the migration", r)
	}
	if after, err := os.ReadFile(db); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("a refused restore changed the database (%v)", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "restor") {
			t.Errorf("a refused restore left %s behind", e.Name())
		}
	}

	// A backup this version made restores under the same kind of names.
	own := filepath.Join(t.TempDir(), "own#1?.db")
	if r := run(t, nil, "", "backup", own, "--data-dir", dir); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if r := run(t, nil, "", "restore", own, "--data-dir", dir); r.code != 0 || !strings.Contains(r.stdout, "kept as") {
		t.Fatalf("restore: %+v", r)
	}
	entries, _ = os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".restoring") {
			t.Errorf("a restore left %s behind", e.Name())
		}
	}
	restored, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatalf("open the restored database: %v", err)
	}
	restored.Close()
}

// TestBackupTouchesNothingButItsFile: the copy is made in a folder of its
// own, so files beside the backup, one named like a partial copy included,
// are left as they were, and nothing else stays behind.
func TestBackupTouchesNothingButItsFile(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	shared := t.TempDir()
	mine := filepath.Join(shared, "b.db.partial")
	if err := os.WriteFile(mine, []byte("someone's notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "", "backup", filepath.Join(shared, "b.db"), "--data-dir", data); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if got, err := os.ReadFile(mine); err != nil || string(got) != "someone's notes" {
		t.Fatalf("the file beside the backup: %q, %v", got, err)
	}
	if r := run(t, nil, "", "backup", filepath.Join(shared, "missing", "c.db"), "--data-dir", data); r.code == 0 {
		t.Fatalf("a backup into a folder that does not exist: %+v", r)
	}
	entries, _ := os.ReadDir(shared)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "b.db,b.db.partial" {
		t.Fatalf("beside the backup: %v, want b.db and the file that was there", names)
	}
}

// TestRestoreRefusesADatabaseWithItsLogBeside: a database file copied or
// named while in use has a write-ahead log beside it, which may hold
// committed writes the file does not; restore copies the file alone, so
// it refuses instead of dropping them.
func TestRestoreRefusesADatabaseWithItsLogBeside(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	live := t.TempDir()
	s, err := store.Open(ctx, "", live)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE a_write (x)`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := run(t, nil, "", "restore", filepath.Join(live, "plugboard.db"), "--data-dir", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "plugboard.db-wal") || !strings.Contains(r.stderr, "plugboard backup") {
		t.Fatalf("restore of a database in use: %+v; want a refusal that names its log and says what to do", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "plugboard.db")); err == nil {
		t.Fatal("a refused restore left a database behind")
	}
}

func eventIDs(t *testing.T, c *client.Client, webhookID string) map[string]bool {
	t.Helper()
	all, _ := servertest.Events(t, c, webhookID)
	out := make(map[string]bool, len(all))
	for id := range all {
		out[id] = true
	}
	return out
}
