package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/cli"
)

// TestServeRefusesAWeakAdminToken checks that the server does not start
// with a guessable owner key, and says which variable to fix and how.
func TestServeRefusesAWeakAdminToken(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := cli.Main([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--admin-token", "admin"}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "PLUGBOARD_ADMIN_TOKEN") || !strings.Contains(errb.String(), "openssl rand -hex 32") {
		t.Fatalf("serve with admin token \"admin\": exit %d, stderr %q", code, errb.String())
	}
}
