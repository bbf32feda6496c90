package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// member adds a developer to the organization and returns a client with
// their API key.
func member(t *testing.T, pb *servertest.Instance, email string) *client.Client {
	t.Helper()
	var out struct{ Key string }
	if err := pb.Client.Do(context.Background(), "POST", "/v1/users", map[string]string{"email": email, "role": "developer"}, &out); err != nil {
		t.Fatal(err)
	}
	return client.New(pb.URL, out.Key)
}

func TestPersonalConnectionsStayWithTheirOwner(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	ctx := context.Background()
	alice, bob := member(t, s.pb, "alice@example.com"), member(t, s.pb, "bob@example.com")
	shared := connectAuthCode(t, s, s.pb.Client, false)
	mine := connectAuthCode(t, s, alice, true)
	_, sharedCreds := creds(t, s.pb, shared)
	_, aliceCreds := creds(t, s.pb, mine)

	// Bob sees only the shared connection, and Alice's is not found for
	// any route.
	list, err := bob.ListConnections(ctx, s.inID)
	if err != nil || len(list) != 1 || list[0].ID != shared {
		t.Fatalf("bob lists %+v %v", list, err)
	}
	path := "/v1/integrations/" + s.inID + "/connections/" + mine
	for _, try := range []struct {
		name string
		err  error
	}{
		{"get", bob.Do(ctx, "GET", path, nil, nil)},
		{"update", bob.Do(ctx, "PUT", path, map[string]any{"credentials": map[string]string{"client_id": "x", "client_secret": "y"}}, nil)},
		{"delete", bob.Do(ctx, "DELETE", path, nil, nil)},
		{"authorize", func() error { _, err := bob.AuthorizeURL(ctx, s.inID, mine); return err }()},
	} {
		if try.err == nil || problemStatus(t, try.err) != http.StatusNotFound {
			t.Errorf("bob %s on alice's connection: %v, want 404", try.name, try.err)
		}
	}
	if list, _ := alice.ListConnections(ctx, s.inID); len(list) != 2 {
		t.Fatalf("alice lists %d connections, want her own and the shared one", len(list))
	}

	// Both tokens expire. Bob's run uses and refreshes the shared
	// connection only; Alice's stays as it was.
	setExpiry(t, s.pb, shared, time.Now().Add(-time.Second))
	setExpiry(t, s.pb, mine, time.Now().Add(-time.Second))
	aliceBefore, _ := creds(t, s.pb, mine)
	run(t, bob, s.inID)
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("refreshes after bob's run: %d, want 1", n)
	}
	_, sharedNow := creds(t, s.pb, shared)
	aliceAfter, aliceNow := creds(t, s.pb, mine)
	if sharedNow.AccessToken == sharedCreds.AccessToken {
		t.Fatal("bob's run did not refresh the shared connection")
	}
	if aliceNow.AccessToken != aliceCreds.AccessToken || !aliceAfter.UpdatedAt.Equal(aliceBefore.UpdatedAt) {
		t.Fatal("bob's run touched alice's connection")
	}
	// Alice's run uses her own connection.
	run(t, alice, s.inID)
	if _, c := creds(t, s.pb, mine); c.AccessToken == aliceCreds.AccessToken {
		t.Fatal("alice's run did not use (and refresh) her own connection")
	}
	if n := s.idp.Count("refresh_token"); n != 2 {
		t.Fatalf("refreshes: %d, want 2", n)
	}
}
