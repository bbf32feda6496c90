package mcp_test

import (
	"net/http"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// TestAgentKeyGuessingIsLockedOut sends guessed agent keys to /mcp: after a
// few the address is answered 429 with Retry-After, and an agent with its
// real key from another address still connects.
func TestAgentKeyGuessingIsLockedOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	a := e.agent(t, "real")
	var resp *http.Response
	for range 40 {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mcp", strings.NewReader(`{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`))
		req.Header.Set("Authorization", "Bearer "+vault.NewToken("pba_", 24))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		var err error
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			break
		}
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 40 guessed agent keys: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	c := sdk.NewClient(&sdk.Implementation{Name: "plugboard-test", Version: "1"}, nil)
	cs, err := c.Connect(e.ctx, &sdk.StreamableClientTransport{
		Endpoint: e.srv.URL + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearerFrom{bearer{a.Key}, servertest.TransportFrom("127.0.0.2")}},
	}, nil)
	if err != nil {
		t.Fatalf("the real key from another address: %v", err)
	}
	cs.Close()
}

// bearerFrom is bearer over a transport of its own.
type bearerFrom struct {
	bearer
	tr http.RoundTripper
}

func (b bearerFrom) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.tr.RoundTrip(r)
}
