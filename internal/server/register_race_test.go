package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

// TestWorkersOfANewIntegrationStartTogetherOnSeveralNodes: workers of a
// code integration nobody registered yet, started at once through two
// nodes, all connect; the ones that lose the race to create it serve the
// winner's.
func TestWorkersOfANewIntegrationStartTogetherOnSeveralNodes(t *testing.T) {
	t.Parallel()
	nodes := servertest.Cluster(t, 2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	start := make(chan struct{})
	const workers = 6
	for i := range workers {
		n := nodes[i%len(nodes)]
		in := &sdk.Integration{Name: "Racing Tool", BaseURL: "https://racing.example.com", Actions: []*sdk.ActionDef{
			sdk.Action("echo", func(_ context.Context, _ *sdk.Call, in slowInput) (slowInput, error) { return in, nil }),
		}}
		wg.Go(func() {
			<-start
			err := in.Serve(ctx, sdk.Server(n.URL), sdk.Token(n.Token), sdk.WorkerName(fmt.Sprint("w", i)), sdk.Logger(slog.New(slog.DiscardHandler)))
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("worker %d: %v", i, err)
			}
		})
	}
	close(start)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v struct {
			WorkersConnected int `json:"workers_connected"`
		}
		err := nodes[0].Client.Do(context.Background(), "GET", "/v1/integrations/racing_tool", nil, &v)
		if err == nil && v.WorkersConnected == workers {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d workers connected: %v", v.WorkersConnected, workers, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
