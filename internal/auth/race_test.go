package auth_test

import (
	"context"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// runConcurrently makes n action runs at once, spread over clients, and
// fails the test for any that did not reach the API with success.
func runConcurrently(t *testing.T, n int, inID string, clients ...*client.Client) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		c := clients[i%len(clients)]
		wg.Go(func() {
			<-start
			res, err := c.Run(context.Background(), inID, "who_am_i", client.RunInput{Environment: "sandbox", Params: map[string]any{}})
			if err == nil && res.Status != 200 {
				err = &client.Error{Status: res.Status, Detail: string(res.Body)}
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("run: %v", err)
	}
}

func TestRacingCallsOnAnExpiredTokenRefreshOnce(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	connID := connectAuthCode(t, s, s.pb.Client, false)
	setExpiry(t, s.pb, connID, time.Now().Add(-time.Second))
	s.idp.slow.Store(int64(200 * time.Millisecond))
	runConcurrently(t, 200, s.inID, s.pb.Client)
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("200 racing calls made %d refresh requests, want 1", n)
	}
	if n := s.api.refusals.Load(); n != 0 {
		t.Fatalf("the API refused %d calls", n)
	}
}

func TestRacingCallsOnTwoNodesRefreshOnce(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	opts := servertest.Options{DatabaseURL: dbURL, Configure: func(c *config.Config) { c.SecretKey = key }}
	s := newSetup(t, opts, "authorization_code")
	other := servertest.Start(t, opts)
	connID := connectAuthCode(t, s, s.pb.Client, false)
	setExpiry(t, s.pb, connID, time.Now().Add(-time.Second))
	s.idp.slow.Store(int64(200 * time.Millisecond))
	runConcurrently(t, 200, s.inID, s.pb.Client, other.Client)
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("200 racing calls on two nodes made %d refresh requests, want 1", n)
	}
	if n := s.api.refusals.Load(); n != 0 {
		t.Fatalf("the API refused %d calls", n)
	}
	// Both nodes now use the one stored token without asking again.
	runConcurrently(t, 20, s.inID, s.pb.Client, other.Client)
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("refresh requests: %d, want still 1", n)
	}
}
