package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/sdk"
)

// TestOneOfThreeNodesDiesAndNothingIsLost runs three `plugboard serve`
// processes on one PostgreSQL database and one Redis, sends signed events
// (whose trigger calls an API), OAuth 2.0 action runs and runs of an SDK
// worker's code action through them, and SIGKILLs one node mid-stream.
// Then: every acknowledged event is stored and its trigger reached the API
// (a repeat only under the same idempotency key); invocations the dead
// node's worker held are run again by a worker of a surviving node and
// their callers get the result; the OAuth connection's refresh tokens,
// which the provider rotates, were never presented twice (one refresh at
// a time across the nodes); and the survivors kept taking all three kinds
// of work.
func TestOneOfThreeNodesDiesAndNothingIsLost(t *testing.T) {
	t.Parallel()
	bin := servertest.Binary(t)
	redisURL := os.Getenv("PLUGBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := map[string]string{
		"PLUGBOARD_DATABASE_URL": storetest.PostgresURL(t), "PLUGBOARD_REDIS_URL": redisURL,
		"PLUGBOARD_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "PLUGBOARD_JOB_TIMEOUT": "5s",
	}
	var nodes []*servertest.Process
	var clients []*client.Client
	for range 3 {
		n := servertest.StartProcess(t, bin, servertest.ProcessOptions{Env: env})
		nodes, clients = append(nodes, n), append(clients, client.New(n.URL, servertest.AdminToken))
	}
	dead, c := nodes[0], clients[1]
	ctx := context.Background()

	up := newKillUpstream(t)
	contacts, err := c.CreateIntegration(ctx, json.RawMessage(`{"name": "Contacts", "baseUrl": "`+up.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deploy(ctx, contacts.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := c.CreateWebhook(ctx, client.WebhookInput{Name: "Orders", Source: "github", Secret: "s3cret", RateLimitPerSecond: 1_000_000,
		Triggers: []client.TriggerSpec{{Integration: contacts.ID, Action: "create_contact", Params: map[string]any{"name": "{{ event.data.object.customer }}"}}}})
	if err != nil {
		t.Fatal(err)
	}
	triggerID := wh.Triggers[0].ID
	profile := up.oauthIntegration(t, c)
	workers := startKillWorkers(t, nodes)

	// The load: events into every node; OAuth runs through every node;
	// code action runs through the two that survive.
	senders := make([]*servertest.Sender, len(nodes))
	for i, n := range nodes {
		senders[i] = servertest.Send(t, n.URL+"/hooks/"+wh.ID, "github", "s3cret", 2)
	}
	var killed atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var oauthRuns, oauthAfterKill, codeRuns, codeAfterKill atomic.Int64
	var mu sync.Mutex
	codeResults := map[int]string{} // n → the worker that answered
	for i := range nodes {
		for range 2 {
			wg.Go(func() {
				for !closed(stop) {
					res, err := clients[i].Run(ctx, profile, "who_am_i", client.RunInput{Environment: "sandbox", Params: map[string]any{}})
					if i == 0 && killed.Load() {
						return // the dead node's callers see it die
					}
					if err != nil || res.Status != http.StatusOK {
						t.Errorf("OAuth run through node %d: %v %+v", i, err, res)
						return
					}
					oauthRuns.Add(1)
					if killed.Load() {
						oauthAfterKill.Add(1)
					}
				}
			})
		}
	}
	var next atomic.Int64
	for _, i := range []int{1, 2} {
		for range 3 {
			wg.Go(func() {
				for !closed(stop) {
					n := int(next.Add(1))
					res, err := clients[i].Run(ctx, "slow_tool", "slow", client.RunInput{Environment: "sandbox", Params: map[string]any{"n": n}})
					if err != nil || res.Status != http.StatusOK {
						t.Errorf("code run %d through node %d: %v %+v", n, i, err, res)
						return
					}
					var out struct{ Worker string }
					_ = json.Unmarshal(res.Body, &out)
					mu.Lock()
					codeResults[n] = out.Worker
					mu.Unlock()
					codeRuns.Add(1)
					if killed.Load() {
						codeAfterKill.Add(1)
					}
				}
			})
		}
	}

	// Kill the node once events are flowing and its worker holds
	// invocations it has not answered.
	deadline := time.Now().Add(60 * time.Second)
	for senders[0].Acked.Load() < 150 || workers.inFlight("node0") == 0 || oauthRuns.Load() < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("the load did not build up: %d events, %d invocations in flight on node0's worker, %d OAuth runs",
				senders[0].Acked.Load(), workers.inFlight("node0"), oauthRuns.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	senders[0].ExpectFailures()
	killed.Store(true)
	orphans := workers.holding("node0")
	dead.Kill(t)
	killedAt := time.Now()
	close(workers.killed)
	beforeKill := []int64{senders[1].Acked.Load(), senders[2].Acked.Load()}
	time.Sleep(3 * time.Second)
	for _, s := range senders {
		s.Stop()
	}
	close(stop)
	wg.Wait() // code runs held by the dead worker finish once their lease runs out
	t.Logf("SIGKILL with %d events acknowledged by the dead node, invocations %v in flight on its worker", senders[0].Acked.Load(), orphans)

	// The survivors carried the load.
	for i, s := range senders[1:] {
		if s.Acked.Load() <= beforeKill[i] {
			t.Errorf("node %d acknowledged no event after the kill", i+1)
		}
	}
	if oauthAfterKill.Load() == 0 || codeAfterKill.Load() == 0 {
		t.Errorf("after the kill: %d OAuth runs, %d code runs succeeded", oauthAfterKill.Load(), codeAfterKill.Load())
	}

	// Every acknowledged event is stored and its trigger applied; the API
	// saw no key of an event that is not stored, and each stored event's
	// key (repeats allowed only under that key).
	acked := map[string]bool{}
	for _, s := range senders {
		for _, id := range s.IDs() {
			acked[id] = true
		}
	}
	stored := servertest.SettledEvents(t, c, wh.ID, len(acked))
	for id := range acked {
		runs, ok := stored[id]
		if !ok {
			t.Fatalf("acknowledged event %s was lost", id)
		}
		if len(runs) != 1 || runs[0].Status != "succeeded" {
			t.Fatalf("event %s: runs %+v", id, runs)
		}
		if up.deliveries(id+":"+triggerID) == 0 {
			t.Fatalf("event %s: its trigger never reached the API", id)
		}
	}
	keys, repeated := up.contactKeys()
	for _, k := range keys {
		if _, ok := stored[strings.TrimSuffix(k, ":"+triggerID)]; !ok {
			t.Fatalf("the API got key %q, which matches no stored event", k)
		}
	}
	if len(keys) != len(stored) {
		t.Fatalf("%d stored events, %d distinct keys at the API", len(stored), len(keys))
	}

	// The dead node's worker's invocations were answered by another.
	mu.Lock()
	for _, n := range orphans {
		if w, ok := codeResults[n]; !ok || w == "node0" {
			t.Errorf("invocation %d, held by the dead node's worker, was answered by %q", n, w)
		}
	}
	mu.Unlock()

	// One refresh at a time: no refresh token was presented after its
	// successor had been used, none twice except once when the dead node
	// may have taken a refresh's answer with it, and the API never saw a
	// stale token.
	refreshes, doubled, replays, stale := up.oauthStats()
	if doubled != 0 || stale != 0 {
		t.Fatalf("OAuth: %d refresh tokens presented after their successor, %d calls with a stale token", doubled, stale)
	}
	if len(replays) > 1 || (len(replays) == 1 && replays[0].Before(killedAt)) {
		t.Fatalf("OAuth: refresh tokens presented twice at %v (the kill was at %v): two refreshes raced", replays, killedAt)
	}
	t.Logf("%d events acknowledged (%d after the kill by the survivors), %d keys delivered again; %d code runs (%d after the kill), orphans %v re-run on survivors; %d OAuth runs over %d refreshes",
		len(acked), senders[1].Acked.Load()+senders[2].Acked.Load()-beforeKill[0]-beforeKill[1], repeated, codeRuns.Load(), codeAfterKill.Load(), orphans, oauthRuns.Load(), refreshes)
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// killUpstream is the outside world: a contacts API counting deliveries by
// Idempotency-Key, and an OAuth 2.0 provider that rotates refresh tokens,
// with an API accepting only its current access tokens.
type killUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	contacts map[string]int // idempotency key → deliveries
	// refresh[k] is the k-th refresh token; used[k] whether it was
	// redeemed. Redeeming one whose successor was redeemed is a second
	// refresh racing the first.
	generation int
	used       map[int]bool
	expiry     map[string]time.Time // access token → expiry
	refreshes  int
	doubled    int
	replays    []time.Time // a redeemed refresh token presented again
	stale      int
}

// accessLifetime is short so that a run sees several refreshes. A node
// renews a token half its lifetime early, so a call that waited longer than
// that between taking its token and reaching the API (a loaded CI machine
// during the kill) would carry an expired one: 3 s left 1.5 s, which one CI
// run out of many exceeded.
const accessLifetime = 5 * time.Second

func newKillUpstream(t *testing.T) *killUpstream {
	u := &killUpstream{contacts: map[string]int{}, used: map[int]bool{}, expiry: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /contacts", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.contacts[r.Header.Get("Idempotency-Key")]++
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"c1"}`)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		var k int
		if _, err := fmt.Sscanf(r.PostForm.Get("refresh_token"), "rt-%d", &k); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.used[k+1] || k > u.generation || k < u.generation-1 {
			u.doubled++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token already used"}`)
			return
		}
		// A token presented again whose successor was never redeemed: the
		// answer to the first presentation was lost (with a node that died
		// before storing it), or two refreshes raced. The provider issues
		// the successor again; the test tells the two apart by time.
		if u.used[k] {
			u.replays = append(u.replays, time.Now())
		}
		u.used[k] = true
		u.generation = k + 1
		u.refreshes++
		access := fmt.Sprintf("at-%d", u.generation)
		u.expiry[access] = time.Now().Add(accessLifetime)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer",
			"refresh_token": fmt.Sprintf("rt-%d", u.generation), "expires_in": int(accessLifetime / time.Second)})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		u.mu.Lock()
		exp, ok := u.expiry[token]
		if !ok || time.Now().After(exp) {
			u.stale++
		}
		u.mu.Unlock()
		if !ok || time.Now().After(exp) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"user":"ada"}`)
	})
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

// oauthIntegration creates an integration on the provider with a sandbox
// connection whose access token has expired.
func (u *killUpstream) oauthIntegration(t *testing.T, c *client.Client) string {
	t.Helper()
	ctx := context.Background()
	in, err := c.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Profile", "baseUrl": %q,
		"auth": {"type": "oauth2", "grant": "authorization_code", "authorize_url": %q, "token_url": %q, "token_auth": "body"},
		"actions": [{"name": "Who Am I", "method": "GET", "endpoint": "/me"}]}`, u.URL, u.URL+"/authorize", u.URL+"/token")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "POST", "/v1/integrations/"+in.ID+"/connections", map[string]any{"environment": "sandbox", "credentials": map[string]any{
		"client_id": "id", "client_secret": "secret", "access_token": "at-0", "refresh_token": "rt-0",
		"expiry": time.Now().Add(-time.Minute).Format(time.RFC3339)}}, nil); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func (u *killUpstream) deliveries(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.contacts[key]
}

// contactKeys returns the distinct idempotency keys the contacts API got
// and how many of them came more than once.
func (u *killUpstream) contactKeys() ([]string, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	keys, repeated := make([]string, 0, len(u.contacts)), 0
	for k, n := range u.contacts {
		keys = append(keys, k)
		if n > 1 {
			repeated++
		}
	}
	return keys, repeated
}

func (u *killUpstream) oauthStats() (refreshes, doubled int, replays []time.Time, stale int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.refreshes, u.doubled, append([]time.Time(nil), u.replays...), u.stale
}

// killWorkers are SDK workers of one code integration, one connected to
// each node, whose action takes a while; they note which invocations each
// is running.
type killWorkers struct {
	mu      sync.Mutex
	running map[string]map[int]bool // worker name → inputs in flight
	// killed closes when node0 is killed: its worker's invocations end
	// only then, so each one it took is still unanswered at the kill.
	killed chan struct{}
}

type slowInput struct {
	N int `json:"n"`
}

type slowOutput struct {
	N      int    `json:"n"`
	Worker string `json:"worker"`
}

func startKillWorkers(t *testing.T, nodes []*servertest.Process) *killWorkers {
	t.Helper()
	kw := &killWorkers{running: map[string]map[int]bool{}, killed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	t.Cleanup(func() { cancel(); done.Wait() })
	for i, n := range nodes {
		name := fmt.Sprintf("node%d", i)
		kw.running[name] = map[int]bool{}
		in := &sdk.Integration{Name: "Slow Tool", BaseURL: "https://slow.example.com", Actions: []*sdk.ActionDef{
			sdk.Action("slow", func(ctx context.Context, _ *sdk.Call, in slowInput) (slowOutput, error) {
				kw.set(name, in.N, true)
				defer kw.set(name, in.N, false)
				wait := time.After(300 * time.Millisecond)
				if name == "node0" {
					wait = nil
				}
				select {
				case <-wait:
				case <-kw.killed:
				case <-ctx.Done():
					return slowOutput{}, ctx.Err()
				}
				return slowOutput{N: in.N, Worker: name}, nil
			}),
		}}
		done.Go(func() {
			err := in.Serve(ctx, sdk.Server(n.URL), sdk.Token(servertest.AdminToken), sdk.WorkerName(name), sdk.Concurrency(4),
				sdk.DrainTimeout(time.Second), sdk.Logger(slog.New(slog.DiscardHandler)))
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("worker %s: %v", name, err)
			}
		})
	}
	c := client.New(nodes[1].URL, servertest.AdminToken)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v struct {
			WorkersConnected int `json:"workers_connected"`
		}
		err := c.Do(context.Background(), "GET", "/v1/integrations/slow_tool", nil, &v)
		if err == nil && v.WorkersConnected == len(nodes) {
			return kw
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workers did not all connect: %d connected, %v", v.WorkersConnected, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (kw *killWorkers) set(name string, n int, on bool) {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	if on {
		kw.running[name][n] = true
	} else {
		delete(kw.running[name], n)
	}
}

func (kw *killWorkers) inFlight(name string) int {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	return len(kw.running[name])
}

func (kw *killWorkers) holding(name string) []int {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	var out []int
	for n := range kw.running[name] {
		out = append(out, n)
	}
	return out
}
