package outbound

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// newTestClient returns a client allowed to reach loopback test servers,
// with backoff short enough that retries cost no noticeable time.
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.AllowPrivate = true
	if cfg.BaseDelay == 0 {
		cfg.BaseDelay, cfg.MaxDelay = time.Millisecond, 2*time.Millisecond
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// countingServer serves handler on loopback and counts the requests it sees.
type countingServer struct {
	*httptest.Server
	hits atomic.Int32
}

func serve(t *testing.T, handler http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// statuses answers with each status in turn, then with the last one.
func statuses(codes ...int) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := min(int(n.Add(1))-1, len(codes)-1)
		w.WriteHeader(codes[i])
	}
}
