package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// limitedAPI enforces a fixed window of limit calls per period, announces
// it the way GitHub does (X-RateLimit-*, reset in Unix time), and counts
// the calls it had to refuse.
type limitedAPI struct {
	*httptest.Server
	mu        sync.Mutex
	start     time.Time
	used      int
	refused   atomic.Int64
	served    atomic.Int64
	limit     int
	period    time.Duration
	announced bool
}

func newLimitedAPI(t *testing.T, limit int, period time.Duration) *limitedAPI {
	a := &limitedAPI{limit: limit, period: period, announced: true}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *limitedAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	now := time.Now()
	if a.start.IsZero() || !now.Before(a.start.Add(a.period)) {
		a.start, a.used = now, 0
	}
	reset := a.start.Add(a.period)
	ok := a.used < a.limit
	if ok {
		a.used++
	}
	remaining := a.limit - a.used
	a.mu.Unlock()
	if a.announced {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(a.limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.UnixMilli(), 10))
	}
	if !ok {
		a.refused.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(reset).Seconds())+1))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"API rate limit exceeded"}`)
		return
	}
	a.served.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}

func limitedIntegration(t *testing.T, c *client.Client, baseURL string) string {
	t.Helper()
	ctx := context.Background()
	def := fmt.Sprintf(`{"name": "Limited", "baseUrl": %q, "auth": {"type": "bearer"}, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, baseURL)
	in, err := c.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"token": "t"}}); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

// burstRuns makes n runs from callers goroutines, spread over the clients,
// and returns the statuses and the last rate-limit header seen.
func burstRuns(t *testing.T, clients []*servertest.Instance, integrationID string, n, callers int) (map[int]int, string) {
	t.Helper()
	var mu sync.Mutex
	statuses := map[int]int{}
	remaining := ""
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for i := range callers {
		wg.Go(func() {
			srv := clients[i%len(clients)]
			for next.Add(1) <= int64(n) {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/integrations/"+integrationID+"/actions/ping/run", nil)
				req.Header.Set("Authorization", "Bearer "+srv.Token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				if v := res.Header.Get("Plugboard-RateLimit-Remaining"); v != "" {
					remaining = v
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return statuses, remaining
}

// Calls beyond an API's announced limit wait for its window to reset
// instead of being sent to a certain 429: the API refuses nothing, every
// call succeeds, and the caller sees what is left.
func TestCallsWaitForTheAnnouncedWindow(t *testing.T) {
	t.Parallel()
	api := newLimitedAPI(t, 5, time.Second)
	srv := servertest.Start(t, servertest.Options{})
	id := limitedIntegration(t, srv.Client, api.URL)
	start := time.Now()
	statuses, remaining := burstRuns(t, []*servertest.Instance{srv}, id, 24, 8)
	if statuses[http.StatusOK] != 24 || api.refused.Load() != 0 {
		t.Fatalf("statuses %v; the API refused %d calls", statuses, api.refused.Load())
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Fatalf("24 calls at 5 per second took %s: the limit was not waited for", took)
	}
	if remaining == "" {
		t.Fatal("no answer said what is left of the API's limit")
	}
	// The monitor page shows the connection's budget.
	site := srv.SignInOwner(t)
	if _, page := site.Get("/integrations/" + id + "/monitor"); !strings.Contains(page, `id="budgets"`) || !strings.Contains(page, " of 5") {
		t.Fatalf("the monitor page does not show the budget:\n%s", page)
	}
}

// A window that resets later than the wait bound is answered 429 with the
// time to retry, and the call is not sent.
func TestASpentWindowBeyondTheWaitIsRefusedHere(t *testing.T) {
	t.Parallel()
	api := newLimitedAPI(t, 2, time.Minute)
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.RateLimitWait = 200 * time.Millisecond }})
	id := limitedIntegration(t, srv.Client, api.URL)
	ctx := context.Background()
	for range 2 {
		if _, err := srv.Client.Run(ctx, id, "ping", client.RunInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := srv.Client.Run(ctx, id, "ping", client.RunInput{})
	pe := problemOf(t, err, http.StatusTooManyRequests)
	if !strings.Contains(pe.Detail, "rate limit for this connection is spent until") || !strings.Contains(pe.Detail, "the call was not sent") {
		t.Fatalf("detail %q", pe.Detail)
	}
	if api.refused.Load() != 0 || api.served.Load() != 2 {
		t.Fatalf("the API served %d and refused %d", api.served.Load(), api.refused.Load())
	}
}

// Two nodes on one PostgreSQL with Redis spend one budget: together they
// send no more than the API allows.
func TestNodesShareOneBudget(t *testing.T) {
	t.Parallel()
	nodes := servertest.Cluster(t, 2, nil)
	a, b := nodes[0], nodes[1]
	api := newLimitedAPI(t, 4, time.Second)
	id := limitedIntegration(t, a.Client, api.URL)
	statuses, _ := burstRuns(t, []*servertest.Instance{a, b}, id, 16, 6)
	if statuses[http.StatusOK] != 16 || api.refused.Load() != 0 {
		t.Fatalf("statuses %v; the API refused %d calls", statuses, api.refused.Load())
	}
}
