package openapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFetch(t *testing.T) {
	t.Parallel()
	doc := `{"openapi": "3.0.0"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.json":
			w.Write([]byte(doc))
		case "/big.json":
			// No Content-Length: the limit must hold while reading.
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat(" ", 2048)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	got, err := Fetch(t.Context(), srv.Client(), srv.URL+"/openapi.json", 1024)
	if err != nil || string(got) != doc {
		t.Fatalf("Fetch = %q, %v; want the document", got, err)
	}
	// Exactly at the limit is fine.
	if _, err := Fetch(t.Context(), srv.Client(), srv.URL+"/openapi.json", int64(len(doc))); err != nil {
		t.Errorf("a document exactly at the limit: %v", err)
	}

	tests := []struct {
		name   string
		client *http.Client
		url    string
		want   string
	}{
		{"too large", srv.Client(), srv.URL + "/big.json", "over the limit of 1024 bytes"},
		{"too large by its Content-Length", srv.Client(), srv.URL + "/openapi.json", "over the limit of 10"},
		{"not found", srv.Client(), srv.URL + "/missing", "404 Not Found"},
		{"file URL", srv.Client(), "file:///etc/passwd", "not an http or https URL"},
		{"no host", srv.Client(), "http:///x", "not an http or https URL"},
		{"no client", nil, srv.URL + "/openapi.json", "no HTTP client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			limit := int64(1024)
			if strings.Contains(tc.name, "Content-Length") {
				limit = 10
			}
			_, err := Fetch(t.Context(), tc.client, tc.url, limit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
