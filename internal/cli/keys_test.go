package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

func TestKeysRotateReencryptsEverySecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer rotate-me" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.Options{DataDir: dir})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Rotating", "baseUrl": %q, "auth": {"type": "bearer"},
		"actions": [{"name": "Ping", "endpoint": "/ping"}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"token": "rotate-me"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	kidOf := func() string {
		st, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		c, err := st.GetConnectionByID(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		kid, err := vault.SealedKeyID(c.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return kid
	}
	before := kidOf()

	r := run(t, nil, "", "keys", "rotate", "--data-dir", dir)
	// The connection's credentials and the vault canary.
	if r.code != 0 || !strings.Contains(r.stdout, "re-encrypted 2 secrets") {
		t.Fatalf("rotate: %+v", r)
	}
	after := kidOf()
	if after == before {
		t.Fatalf("the secret is still sealed with key %s", before)
	}

	// The server starts on the rotated key file and the credential still works.
	srv2 := servertest.Start(t, servertest.Options{DataDir: dir})
	res, err := srv2.Client.Run(ctx, in.ID, "ping", client.RunInput{Params: map[string]any{}})
	if err != nil || res.Status != 200 {
		t.Fatalf("run after rotation: %+v %v", res, err)
	}
}
