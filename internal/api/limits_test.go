package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestTheHundredAndFirstConcurrentCallGets429(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	release := make(chan struct{})
	var inFlight atomic.Int32
	reached := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight.Add(1) == 100 {
			close(reached)
		}
		<-release
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Slow", "baseUrl": %q, "actions": [{"name": "Wait", "endpoint": "/wait"}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, err := srv.Client.Run(ctx, in.ID, "wait", client.RunInput{Params: map[string]any{}}); err == nil && res.Status == 200 {
				ok.Add(1)
			}
		}()
	}
	<-reached
	_, err = srv.Client.Run(ctx, in.ID, "wait", client.RunInput{Params: map[string]any{}})
	pe := problemOf(t, err, 429)
	if pe.RetryAfter == "" || !strings.Contains(pe.Detail, "concurrent") {
		t.Fatalf("429 without Retry-After or a clear detail: %+v", pe)
	}
	close(release)
	wg.Wait()
	if ok.Load() != 100 {
		t.Fatalf("%d of the 100 admitted calls succeeded", ok.Load())
	}
}
