package store

import (
	"io/fs"
	"strings"
	"testing"
)

func TestMigrationVersionsAreUnique(t *testing.T) {
	t.Parallel()
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if err := checkVersions(names); err != nil {
		t.Fatalf("the embedded migrations: %v", err)
	}
}

func TestCheckVersionsRefusesASharedNumber(t *testing.T) {
	t.Parallel()
	err := checkVersions([]string{"0011_vault_canary.sql", "0012_connected_apps.sql", "0012_approvals.sql"})
	if err == nil || !strings.Contains(err.Error(), "0012_connected_apps.sql and 0012_approvals.sql share the version 12") {
		t.Fatalf("err = %v, want the two files named", err)
	}
	if err := checkVersions([]string{"12a_x.sql"}); err == nil {
		t.Fatal("a name without a number was accepted")
	}
}
