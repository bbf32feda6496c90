package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
)

// bodyDeadline gives every request body d to arrive, so that a client
// trickling a body (slow loris) cannot hold a connection and a handler.
// The deadline is set per request and lifted once the body has been read
// (net/http lifts it too when it starts watching for the client to leave;
// this does not rely on that), so the work and the answer after the body,
// worker long polls and MCP event streams, take as long as they need. For
// the same reason the server has no ReadTimeout, which would also bound
// requests this guards already, nor a WriteTimeout, which would cut
// event streams.
func bodyDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil {
			next.ServeHTTP(w, r) // a writer without deadlines (tests' recorders)
			return
		}
		// A copy of the request carries the wrapped body: net/http looks at
		// its own request's body, unwrapped, to decide what of an unread
		// body to discard after the handler.
		r = r.WithContext(r.Context())
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, w: w, d: d}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline at the body's end and turns the
// deadline's error into a problem that says what happened.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	w    http.ResponseWriter
	d    time.Duration
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case b.done:
	case errors.Is(err, io.EOF):
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.done = true
		// The rest of the body will not come in time: the connection is
		// of no further use.
		b.w.Header().Set("Connection", "close")
		return n, problem.New(http.StatusRequestTimeout, "the request body did not arrive within %s; send it without pauses", b.d)
	}
	return n, err
}
