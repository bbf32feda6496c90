package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/vault"
)

// member adds an organization whose owner has password pw, an API key and
// an agent key, and returns the owner's email and the two keys.
func member(t *testing.T, st *store.Store, pw string) (email, apiKey, agentKey string) {
	t.Helper()
	ctx := context.Background()
	email = storetest.Name("member") + "@example.com"
	apiKey, agentKey = vault.NewToken("pb_", 24), vault.NewToken("pba_", 24)
	o, _, err := st.CreateOrg(ctx, store.Org{Name: "Acme"}, store.User{Email: email, Name: "M", PasswordHash: hashPassword(pw)}, "key", apiKey[:10], vault.HashToken(apiKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAgent(ctx, store.Agent{OrgID: o.ID, Name: "bot"}, vault.HashToken(agentKey)); err != nil {
		t.Fatal(err)
	}
	return email, apiKey, agentKey
}

// tooMany asserts err is a 429 that says when to retry.
func tooMany(t *testing.T, what string, err error) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Status != http.StatusTooManyRequests || p.RetryAfter <= 0 {
		t.Fatalf("%s: %v, want 429 with a Retry-After", what, err)
	}
}

func TestSignInLockouts(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ada, _, _ := member(t, st, "ada's long password")
	bob, _, _ := member(t, st, "bob's long password")
	s := New(Config{Store: st})
	ctx := context.Background()
	attacker, elsewhere := Client{IP: "192.0.2.66"}, Client{IP: "198.51.100.7"}

	t.Run("wrong passwords for an account lock it out", func(t *testing.T) {
		var refused error
		for i := range 40 {
			_, err := s.SignIn(ctx, ada, fmt.Sprint("wrong password ", i), attacker)
			if errors.Is(err, ErrSignIn) {
				continue
			}
			if i < DefaultAccountPolicy.Free {
				t.Fatalf("attempt %d, within the free ones: %v", i+1, err)
			}
			refused = err
			break
		}
		tooMany(t, "after 40 wrong passwords", refused)
		// The lockout is the account's: the right password from another
		// address waits too, and the address is not locked for others.
		_, err := s.SignIn(ctx, ada, "ada's long password", elsewhere)
		tooMany(t, "the locked account from another address", err)
		if _, err := s.SignIn(ctx, bob, "bob's long password", elsewhere); err != nil {
			t.Fatalf("another account from another address: %v", err)
		}
	})

	t.Run("an address guessing across accounts is locked out", func(t *testing.T) {
		var refused error
		for i := range 40 {
			_, err := s.SignIn(ctx, fmt.Sprintf("nobody-%d@example.com", i), "some password", Client{IP: "203.0.113.5"})
			if errors.Is(err, ErrSignIn) {
				continue
			}
			if i < DefaultAddressPolicy.Free {
				t.Fatalf("attempt %d, within the free ones: %v", i+1, err)
			}
			refused = err
			break
		}
		tooMany(t, "40 accounts tried from one address", refused)
		_, err := s.SignIn(ctx, bob, "bob's long password", Client{IP: "203.0.113.5"})
		tooMany(t, "a good password from the locked address", err)
		if _, err := s.SignIn(ctx, bob, "bob's long password", elsewhere); err != nil {
			t.Fatalf("the same account from another address: %v", err)
		}
	})

	t.Run("IPv6 addresses count by /64", func(t *testing.T) {
		var refused error
		for i := range 40 {
			_, err := s.SignIn(ctx, fmt.Sprintf("nobody-v6-%d@example.com", i), "some password", Client{IP: fmt.Sprintf("2001:db8:1:2::%x", i+1)})
			if !errors.Is(err, ErrSignIn) {
				refused = err
				break
			}
		}
		tooMany(t, "40 addresses of one /64", refused)
	})
}

func TestSuccessForgetsAnAccountsFailures(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ada, _, _ := member(t, st, "ada's long password")
	s := New(Config{Store: st})
	ctx := context.Background()
	c := Client{IP: "192.0.2.1"}
	for range 3 {
		for range DefaultAccountPolicy.Free {
			if _, err := s.SignIn(ctx, ada, "a wrong password", c); !errors.Is(err, ErrSignIn) {
				t.Fatalf("wrong password: %v", err)
			}
		}
		if _, err := s.SignIn(ctx, ada, "ada's long password", c); err != nil {
			t.Fatalf("the right password after %d failures: %v", DefaultAccountPolicy.Free, err)
		}
	}
}

func TestPasswordChecksAreCapped(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ada, _, _ := member(t, st, "ada's long password")
	s := New(Config{Store: st, MaxHashing: 2, HashWait: 50 * time.Millisecond})
	var inflight, peak atomic.Int32
	release := make(chan struct{})
	s.check = func(stored, pw string) (bool, error) {
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		inflight.Add(-1)
		return checkPassword(stored, pw)
	}
	const attempts = 40
	results := make(chan error, attempts)
	for i := range attempts {
		go func() {
			_, err := s.SignIn(context.Background(), ada, "a wrong password", Client{IP: fmt.Sprintf("192.0.2.%d", i)})
			results <- err
		}()
	}
	// Every attempt beyond the two slots gives up waiting with 429 while
	// the two hold theirs.
	deadline := time.After(30 * time.Second)
	for busy := 0; busy < attempts-2; {
		select {
		case err := <-results:
			tooMany(t, "an attempt without a hashing slot", err)
			busy++
		case <-deadline:
			t.Fatalf("%d attempts refused; %d hashing at once, at most 2 wanted", busy, peak.Load())
		}
		if peak.Load() > 2 {
			t.Fatalf("%d password checks ran at once, want at most 2", peak.Load())
		}
	}
	close(release)
	for range 2 {
		if err := <-results; !errors.Is(err, ErrSignIn) {
			t.Fatalf("an attempt with a slot: %v, want the wrong password refused", err)
		}
	}
	if peak.Load() != 2 {
		t.Fatalf("peak %d password checks at once, want 2", peak.Load())
	}
}

func TestKeyGuessingLockout(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	_, apiKey, agentKey := member(t, st, "a long password")
	s := New(Config{Store: st})
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		lookup  func(token, ip string) error
		unknown error
		good    string
	}{
		{"API keys", func(tok, ip string) error { _, err := s.Key(ctx, tok, ip); return err }, ErrUnknownKey, apiKey},
		{"agent keys", func(tok, ip string) error { _, err := s.AgentKey(ctx, tok, ip); return err }, ErrUnknownAgentKey, agentKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			guesser := "192.0.2." + fmt.Sprint(len(tc.name))
			var refused error
			for i := range 40 {
				err := tc.lookup(vault.NewToken("pb_", 24), guesser)
				if errors.Is(err, tc.unknown) {
					continue
				}
				if i < DefaultKeyPolicy.Free {
					t.Fatalf("guess %d, within the free ones: %v", i+1, err)
				}
				refused = err
				break
			}
			tooMany(t, "40 guessed keys", refused)
			err := tc.lookup(tc.good, guesser)
			tooMany(t, "a good key from the locked address", err)
			if err := tc.lookup(tc.good, "198.51.100.9"); err != nil {
				t.Fatalf("a good key from another address: %v", err)
			}
			// Many successful lookups never lock an address out.
			for range 100 {
				if err := tc.lookup(tc.good, "198.51.100.10"); err != nil {
					t.Fatalf("a good key used often: %v", err)
				}
			}
		})
	}
}
