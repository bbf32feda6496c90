// Command echo is a stand-in API for trying Plugboard on one machine: it
// answers every request with what it received (method, path, query, the
// X-API-Key header's presence and the JSON body), and refuses requests
// without an X-API-Key header, as the README's Custom CRM would.
//
//	go run ./examples/echo            # listens on 127.0.0.1:9090
//	go run ./examples/echo -addr :9191
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9090", "listen address")
	flag.Parse()
	log.Printf("echo API listening on http://%s", *addr)
	srv := &http.Server{Addr: *addr, Handler: handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-API-Key") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "send an X-API-Key header"})
			return
		}
		var body any
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if json.Unmarshal(data, &body) != nil && len(data) > 0 {
			body = string(data)
		}
		status := http.StatusOK
		if r.Method == http.MethodPost {
			status = http.StatusCreated
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.Query(), "api_key_sent": true, "body": body,
		})
	})
}
