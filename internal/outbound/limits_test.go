package outbound

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/netguard"
)

func TestDoBodyCaps(t *testing.T) {
	t.Parallel()

	const capBytes = 1024
	body := func(n int, declareLength bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !declareLength {
				// Flushing before the body forces chunked encoding, so
				// the client cannot know the size in advance.
				http.NewResponseController(w).Flush()
			}
			w.Write(bytes.Repeat([]byte("a"), n))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		tooBig  bool
	}{
		{"exactly the cap", body(capBytes, true), false},
		{"over the cap with Content-Length", body(capBytes+1, true), true},
		{"over the cap chunked", body(4*capBytes, false), true},
		{"under the cap chunked", body(capBytes-1, false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, tt.handler)
			res, err := newTestClient(t, Config{MaxResponseBytes: capBytes}).Do(context.Background(), &Request{URL: srv.URL})
			var tooLarge *TooLargeError
			if tt.tooBig {
				if !errors.As(err, &tooLarge) || tooLarge.Which != "response" || tooLarge.Limit != capBytes {
					t.Fatalf("Do = %v, %v; want a response *TooLargeError", res, err)
				}
				if srv.hits.Load() != 1 {
					t.Errorf("server saw %d requests, want 1: a body over the cap is not retried", srv.hits.Load())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Body) != capBytes && len(res.Body) != capBytes-1 {
				t.Errorf("body of %d bytes", len(res.Body))
			}
		})
	}

	t.Run("request over the cap is refused before sending", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, statuses(200))
		_, err := newTestClient(t, Config{MaxRequestBytes: 10}).Do(context.Background(), &Request{
			Method: http.MethodPost, URL: srv.URL, Body: []byte("eleven byte"),
		})
		var tooLarge *TooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Which != "request" || tooLarge.Limit != 10 {
			t.Fatalf("Do = %v, want a request *TooLargeError", err)
		}
		if srv.hits.Load() != 0 {
			t.Errorf("server saw %d requests, want 0", srv.hits.Load())
		}
	})
}

func TestDoTimeout(t *testing.T) {
	t.Parallel()

	hang := func(t *testing.T) *countingServer {
		done := make(chan struct{})
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-done:
			}
		})
		t.Cleanup(func() { close(done) })
		return srv
	}
	tests := []struct {
		name    string
		cfg     Config
		req     time.Duration
		message string
	}{
		{"Config.Timeout", Config{Timeout: 100 * time.Millisecond}, 0, "after 100ms"},
		{"Request.Timeout lowers it", Config{}, 80 * time.Millisecond, "after 80ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := hang(t)
			_, err := newTestClient(t, tt.cfg).Do(context.Background(), &Request{URL: srv.URL + "/slow?api_key=secret", Timeout: tt.req})
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("Do = %v, want ErrTimeout", err)
			}
			if !strings.Contains(err.Error(), tt.message) || strings.Contains(err.Error(), "secret") {
				t.Errorf("message %q should state the limit (%s) and hide the query", err, tt.message)
			}
			if srv.hits.Load() != 1 {
				t.Errorf("server saw %d requests, want 1", srv.hits.Load())
			}
		})
	}

	t.Run("a cancelled caller is not a timeout", func(t *testing.T) {
		t.Parallel()
		srv := hang(t)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for srv.hits.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := newTestClient(t, Config{}).Do(ctx, &Request{URL: srv.URL})
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Fatalf("Do = %v, want context.Canceled and not ErrTimeout", err)
		}
	})
}

func TestDoConcurrencyLimit(t *testing.T) {
	t.Parallel()

	const max = 100
	var inFlight atomic.Int32
	arrived := make(chan struct{}, max)
	unblock := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/other" {
			return
		}
		inFlight.Add(1)
		arrived <- struct{}{}
		<-unblock
	})
	c := newTestClient(t, Config{ConcurrencyWait: 50 * time.Millisecond})

	var wg sync.WaitGroup
	errs := make(chan error, max)
	for range max {
		wg.Go(func() {
			_, err := c.Do(context.Background(), &Request{Key: "crm", URL: srv.URL})
			errs <- err
		})
	}
	for range max {
		<-arrived
	}

	_, err := c.Do(context.Background(), &Request{Key: "crm", URL: srv.URL})
	if !errors.Is(err, limit.ErrTooManyConcurrent) {
		t.Errorf("call %d = %v, want limit.ErrTooManyConcurrent", max+1, err)
	}
	if _, err := c.Do(context.Background(), &Request{Key: "billing", URL: srv.URL + "/other"}); err != nil {
		t.Errorf("another key was held back: %v", err)
	}

	close(unblock)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call within the limit failed: %v", err)
		}
	}
	if n := inFlight.Load(); n != max {
		t.Errorf("server saw %d limited calls, want %d", n, max)
	}
}

func TestDoRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()

	srv := serve(t, statuses(200))
	c, err := New(Config{}) // strict, as in production
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	_, err = c.Do(context.Background(), &Request{URL: srv.URL})
	var blocked *netguard.BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("Do(%s) = %v, want *netguard.BlockedError", srv.URL, err)
	}
	_, err = c.HTTPClient().Get(srv.URL)
	if !errors.As(err, &blocked) {
		t.Fatalf("HTTPClient().Get = %v, want *netguard.BlockedError", err)
	}
	if srv.hits.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", srv.hits.Load())
	}
}

func TestDoTLS(t *testing.T) {
	t.Parallel()

	var conns atomic.Int32
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/plain", http.StatusFound)
	}))
	secure.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	secure.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	secure.StartTLS()
	t.Cleanup(secure.Close)

	t.Run("an untrusted certificate is not retried", func(t *testing.T) {
		c := newTestClient(t, Config{})
		_, err := c.Do(context.Background(), &Request{URL: secure.URL})
		if err == nil {
			t.Fatal("Do trusted a self-signed certificate")
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
	})

	t.Run("a redirect from https to http is refused", func(t *testing.T) {
		c := newTestClient(t, Config{})
		c.transport.TLSClientConfig.RootCAs = secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		_, err := c.Do(context.Background(), &Request{URL: secure.URL})
		if err == nil || !strings.Contains(err.Error(), "refusing redirect from https") {
			t.Fatalf("Do = %v, want the downgrade refused", err)
		}
	})
}

func TestDoRedirectLimit(t *testing.T) {
	t.Parallel()

	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	_, err := newTestClient(t, Config{MaxRedirects: 3}).Do(context.Background(), &Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 redirects") {
		t.Fatalf("Do = %v, want the redirect chain stopped", err)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Errorf("server saw %d requests, want 4 (one call, three redirects, not retried)", n)
	}
}

func TestHTTPClientCapsResponses(t *testing.T) {
	t.Parallel()

	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).Flush()
		w.Write(bytes.Repeat([]byte("a"), 4096))
	})
	hc := newTestClient(t, Config{MaxResponseBytes: 1024}).HTTPClient()
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("reading the body = %v, want *TooLargeError", err)
	}
}

func TestHTTPClientCapsStreamedRequests(t *testing.T) {
	t.Parallel()

	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	hc := newTestClient(t, Config{MaxRequestBytes: 1024}).HTTPClient()
	// io.MultiReader hides the length, so the body goes out chunked.
	body := io.MultiReader(bytes.NewReader(make([]byte, 4096)))
	_, err := hc.Post(srv.URL, "application/octet-stream", body)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Which != "request" {
		t.Fatalf("Post = %v, want a request *TooLargeError", err)
	}
}
