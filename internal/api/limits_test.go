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

func TestPayloadCapsAndTextBodies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			chunk := make([]byte, 1<<20)
			for i := 0; i < 11; i++ {
				_, _ = w.Write(chunk)
			}
		default:
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("hello, plain text"))
		}
	}))
	defer up.Close()
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Sizes", "baseUrl": %q, "actions": [
		{"name": "Big", "endpoint": "/big"}, {"name": "Text", "endpoint": "/text"},
		{"name": "Upload", "method": "POST", "endpoint": "/upload", "parameters": {"data": "string"}}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client.Run(ctx, in.ID, "big", client.RunInput{Params: map[string]any{}})
	pe := problemOf(t, err, 502)
	if !strings.Contains(pe.Detail, "10") {
		t.Fatalf("oversized response detail = %q", pe.Detail)
	}
	_, err = srv.Client.Run(ctx, in.ID, "upload", client.RunInput{Params: map[string]any{"data": strings.Repeat("x", 10<<20+1)}})
	problemOf(t, err, 413)

	res, err := srv.Client.Run(ctx, in.ID, "text", client.RunInput{Params: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	var text string
	if json.Unmarshal(res.Body, &text) != nil || text != "hello, plain text" {
		t.Fatalf("text body = %s", res.Body)
	}
}

// TestAPIKeyGuessingIsLockedOut sends guessed API keys: after a few the
// address is answered 429 with Retry-After, while the owner's key keeps
// working from another address.
func TestAPIKeyGuessingIsLockedOut(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	var resp *http.Response
	for i := range 40 {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/integrations", nil)
		req.Header.Set("Authorization", fmt.Sprintf("Bearer pb_guess_%d", i))
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
		t.Fatalf("after 40 guessed keys: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	elsewhere := client.New(srv.URL, srv.Token)
	elsewhere.HTTP = &http.Client{Transport: servertest.TransportFrom("127.0.0.2")}
	if _, err := elsewhere.ListIntegrations(context.Background()); err != nil {
		t.Fatalf("the owner's key from another address: %v", err)
	}
}
