package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestHealthzHidesTheDatabaseError checks that a node whose database does
// not answer says so with 503, logs the cause, and shows none of it.
func TestHealthzHidesTheDatabaseError(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	var logs bytes.Buffer
	s := &Server{Store: st, logger: slog.New(slog.NewTextHandler(&logs, nil))}

	rec := httptest.NewRecorder()
	s.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("healthy: %d %s", rec.Code, rec.Body)
	}

	st.Close()
	rec = httptest.NewRecorder()
	s.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, "the database does not answer; see the server log") {
		t.Fatalf("database closed: %d %s", rec.Code, body)
	}
	if strings.Contains(body, "closed") || strings.Contains(body, "sql") {
		t.Fatalf("the answer shows the database error: %s", body)
	}
	if !strings.Contains(logs.String(), "database is closed") {
		t.Fatalf("the cause is not logged: %q", logs.String())
	}
}
