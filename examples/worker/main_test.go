package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

// TestExampleWorker runs the example against a real server and a fake
// custom tool, and calls both actions through the REST API.
func TestExampleWorker(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "tool-key" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/users/42":
			_, _ = io.WriteString(w, `{"id":"42","name":"Grace"}`)
		case "POST /v1/records":
			var rec map[string]any
			_ = json.NewDecoder(r.Body).Decode(&rec)
			rec["id"] = "rec_1"
			_ = json.NewEncoder(w).Encode(rec)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	inst := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Tool(api.URL+"/v1").Serve(ctx, sdk.Server(inst.URL), sdk.Token(inst.Token), sdk.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	var in *client.Integration
	for {
		var err error
		if in, err = inst.Client.GetIntegration(context.Background(), "custom_tool"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // until the worker has registered
	}
	if _, err := inst.Client.AddConnection(context.Background(), in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": "tool-key"}}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Client.Run(context.Background(), in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "42"}})
	if err != nil || string(res.Body) != `{"id":"42","name":"Grace"}` {
		t.Fatalf("fetch_data: %v %s", err, res.Body)
	}
	res, err = inst.Client.Run(context.Background(), in.ID, "create_record", client.RunInput{Params: map[string]any{"title": "Q3 plan"}})
	var rec Record
	if err != nil || json.Unmarshal(res.Body, &rec) != nil || rec.ID != "rec_1" || rec.Priority != "normal" {
		t.Fatalf("create_record: %v %s", err, res.Body)
	}
}
