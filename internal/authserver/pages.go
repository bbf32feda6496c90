package authserver

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// pages shows a person the refusals of the authorization endpoint that
// cannot go back to the client (an unknown client, a redirect URI it did
// not register), which the library answers as JSON, as an HTML page that
// says what went wrong. Redirects pass through.
func (s *Server) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.status < 400 {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		var e struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		detail := e.Description
		if detail == "" {
			detail = "The sign-in request could not be read (" + e.Code + "). Go back to the app and connect again."
		}
		s.cfg.ErrorPage(w, r, rec.status, "This app cannot connect", detail+" Nothing was shared with the app.")
	})
}

// recorder holds the library's answer to an authorization request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
