package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// call sends one request to the server's worker API.
func (w *worker) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.server+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.cfg.token)
	req.Header.Set("User-Agent", "plugboard-go-sdk/"+Version)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	propagator().Inject(ctx, headerCarrier(req.Header))
	res, err := w.cfg.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		return serverError(res)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// serverError reads an RFC 9457 problem answer.
func serverError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var p struct {
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	if json.Unmarshal(b, &p) != nil || p.Detail == "" {
		p.Detail = strings.TrimSpace(string(b))
	}
	return &ServerError{Status: res.StatusCode, Detail: p.Detail}
}

// permanent errors are the server refusing what retrying cannot change.
func permanent(err error) bool {
	var se *ServerError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

func notRegistered(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// backoff grows from 250 ms to 30 s, with jitter so that many workers
// reconnecting after an outage spread out.
type backoff struct{ n int }

func (b *backoff) next() time.Duration {
	d := min(250*time.Millisecond<<min(b.n, 10), 30*time.Second)
	b.n++
	return d/2 + rand.N(d/2+1)
}

func (b *backoff) reset() { b.n = 0 }

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
