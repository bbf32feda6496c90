package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/sdk"
)

type WriteInput struct {
	Value string `json:"value"`
}

// attempt is what one worker saw of one invocation.
type attempt struct {
	worker, key, id string
	n               int
}

// journal collects attempts across workers.
type journal struct {
	mu       sync.Mutex
	attempts []attempt
	started  chan attempt
}

func newJournal() *journal { return &journal{started: make(chan attempt, 16)} }

// all returns the attempts so far.
func (j *journal) all() []attempt {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]attempt(nil), j.attempts...)
}

// writer is an integration whose "write" action records its attempt, then
// runs hold (which may block) before answering.
func writer(name string, j *journal, worker string, hold func(ctx context.Context) error) *sdk.Integration {
	return &sdk.Integration{
		Name: name, BaseURL: "https://api.example.com",
		Actions: []*sdk.ActionDef{sdk.Action("write", func(ctx context.Context, c *sdk.Call, in WriteInput) (map[string]any, error) {
			a := attempt{worker: worker, key: c.IdempotencyKey(), id: c.ID(), n: c.Attempt()}
			j.mu.Lock()
			j.attempts = append(j.attempts, a)
			j.mu.Unlock()
			j.started <- a
			if err := hold(ctx); err != nil {
				return nil, err
			}
			return map[string]any{"worker": worker, "value": in.Value}, nil
		})},
	}
}

func blockUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return context.Cause(ctx)
}

func noHold(context.Context) error { return nil }

// TestWorkerDiesMidInvocation cuts a worker's connection while its action
// runs: no result, no heartbeats. When the lease runs out the invocation
// goes to a second worker, with the same idempotency key, and the caller
// gets the second worker's result.
func TestWorkerDiesMidInvocation(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		inst := servertest.Start(t, servertest.Options{Engine: engine})
		inst.Server.Workers.SetLease(time.Second)
		j := newJournal()
		capA, _ := startWorker(t, inst, writer("Writer", j, "A", blockUntilDone), sdk.DrainTimeout(0))

		type outcome struct {
			res *client.RunResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := inst.Client.Run(context.Background(), "writer", "write", client.RunInput{Params: map[string]any{"value": "v1"}})
			done <- outcome{res, err}
		}()
		first := <-j.started
		// B joins only now, so A surely holds the invocation; then A dies.
		startWorker(t, inst, writer("Writer", j, "B", noHold))
		capA.kill()

		second := <-j.started
		out := <-done
		if out.err != nil {
			t.Fatalf("run: %v", out.err)
		}
		var body map[string]any
		_ = json.Unmarshal(out.res.Body, &body)
		if first.worker != "A" || second.worker != "B" || body["worker"] != "B" || body["value"] != "v1" {
			t.Fatalf("attempts %+v then %+v, result %s", first, second, out.res.Body)
		}
		if first.key == "" || first.key != second.key || first.id != second.id || first.n != 1 || second.n != 2 || out.res.Attempts != 2 {
			t.Fatalf("retry: first %+v, second %+v, attempts %d; want the same key and invocation, attempts 1 then 2", first, second, out.res.Attempts)
		}
	})
}

// TestCallerIdempotencyKeyReachesAction passes the caller's key through.
func TestCallerIdempotencyKeyReachesAction(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	j := newJournal()
	startWorker(t, inst, writer("Writer", j, "A", noHold))
	req, _ := http.NewRequest("POST", inst.URL+"/v1/integrations/writer/actions/write/run", jsonBody(`{"params":{"value":"x"}}`))
	req.Header.Set("Authorization", "Bearer "+inst.Token)
	req.Header.Set("Idempotency-Key", "order-1234")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("run: %v %v", res, err)
	}
	res.Body.Close()
	a := <-j.started
	if a.key != "order-1234" {
		t.Fatalf("key = %q", a.key)
	}
	// Only a worker of the integration may post a result.
	err = inst.Client.Do(context.Background(), "POST", "/v1/workers/invocations/"+a.id+"/result", map[string]any{"worker": "wrk_forged", "output": 1}, nil)
	if status(err) != http.StatusForbidden {
		t.Errorf("a result from an unknown worker: %v", err)
	}
}

// TestShutdownDrains stops a worker while an action runs: the action
// finishes and its result reaches the caller.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	j := newJournal()
	gate := make(chan struct{})
	_, stop := startWorker(t, inst, writer("Writer", j, "A", func(ctx context.Context) error {
		<-gate
		return ctx.Err() // nil: draining does not cancel the action
	}))
	done := make(chan error, 1)
	go func() {
		_, err := inst.Client.Run(context.Background(), "writer", "write", client.RunInput{Params: map[string]any{"value": "v"}})
		done <- err
	}()
	<-j.started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	close(gate)
	if err := <-done; err != nil {
		t.Fatalf("run during shutdown: %v", err)
	}
	<-stopped
	if n := connected(t, inst, "Writer"); n != 0 {
		t.Fatalf("workers_connected = %d after shutdown", n)
	}
	_, err := inst.Client.Run(context.Background(), "writer", "write", client.RunInput{Params: map[string]any{"value": "v"}})
	if status(err) != http.StatusServiceUnavailable {
		t.Fatalf("run without workers: %v", err)
	}
}

// TestCallerCancelsAndDeadline: the action's context ends when the caller
// goes away, and at the integration's deadline.
func TestCallerCancelsAndDeadline(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	inst.Server.Workers.SetLease(600 * time.Millisecond)
	j := newJournal()
	causes := make(chan error, 2)
	in := writer("Writer", j, "A", func(ctx context.Context) error {
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	})
	in.Timeout = 1500 * time.Millisecond
	startWorker(t, inst, in)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = inst.Client.Run(ctx, "writer", "write", client.RunInput{Params: map[string]any{"value": "v"}})
	}()
	<-j.started
	cancel()
	if cause := <-causes; cause == nil || errors.Is(cause, context.DeadlineExceeded) {
		t.Fatalf("after the caller left, the action's context ended with %v", cause)
	}

	_, err := inst.Client.Run(context.Background(), "writer", "write", client.RunInput{Params: map[string]any{"value": "v"}})
	if status(err) != http.StatusGatewayTimeout {
		t.Fatalf("past the deadline: %v", err)
	}
	if cause := <-causes; !errors.Is(cause, context.DeadlineExceeded) {
		t.Fatalf("at the deadline the action's context ended with %v", cause)
	}
}
