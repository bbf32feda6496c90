package servertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// Sender delivers signed 1 KB events to one webhook from several
// goroutines until stopped, and keeps the id of each event the server
// acknowledged, in order. A delivery that fails or is refused fails the
// test, unless Stop has begun or ExpectFailures was called.
type Sender struct {
	Acked atomic.Int64

	failures atomic.Bool
	mu       sync.Mutex
	ids      []string
	stop     chan struct{}
	wg       sync.WaitGroup
}

// Send starts senders goroutines delivering to url, signed as source with
// secret.
func Send(t testing.TB, url, source, secret string, senders int) *Sender {
	t.Helper()
	v, err := signature.New(source, signature.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.DecodeSecret(source, secret)
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{stop: make(chan struct{})}
	hc := &http.Client{Timeout: 10 * time.Second}
	for g := range senders {
		s.wg.Go(func() {
			for i := 0; !s.stopped(); i++ {
				body := fmt.Appendf(nil, `{"n":"%d-%d","data":{"object":{"customer":"cus_%d_%d"}},"pad":"%0900d"}`, g, i, g, i, 0)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header = v.Sign(body, key, time.Now())
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					if !s.stopped() && !s.failures.Load() {
						t.Errorf("deliver: %v", err)
					}
					return
				}
				var receipt struct {
					ID string `json:"id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&receipt)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || receipt.ID == "" {
					if !s.failures.Load() {
						t.Errorf("deliver: %d", resp.StatusCode)
					}
					return
				}
				s.mu.Lock()
				s.ids = append(s.ids, receipt.ID)
				s.mu.Unlock()
				s.Acked.Add(1)
			}
		})
	}
	return s
}

// ExpectFailures lets deliveries fail from now on (the server is about to
// be killed); a sender whose delivery fails stops.
func (s *Sender) ExpectFailures() { s.failures.Store(true) }

func (s *Sender) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// WaitFor returns once n events have been acknowledged in all.
func (s *Sender) WaitFor(n int64) {
	for s.Acked.Load() < n {
		time.Sleep(5 * time.Millisecond)
	}
}

// IDs returns the ids of the events acknowledged so far.
func (s *Sender) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// Stop ends the deliveries and waits for the senders.
func (s *Sender) Stop() {
	close(s.stop)
	s.wg.Wait()
}
