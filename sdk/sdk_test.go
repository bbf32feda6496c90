package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// connectTool starts a worker for a fresh Custom Tool and gives it a
// sandbox connection holding the upstream key.
func connectTool(t *testing.T, inst *servertest.Instance, api *toolAPI) (*client.Integration, *capture) {
	t.Helper()
	capt, _ := startWorker(t, inst, customTool("Custom Tool", api.URL))
	in, err := inst.Client.GetIntegration(context.Background(), "custom_tool")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Client.AddConnection(context.Background(), in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
		t.Fatal(err)
	}
	return in, capt
}

func TestRunThroughWorker(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		inst := servertest.Start(t, servertest.Options{Engine: engine})
		api := newToolAPI(t)
		ctx := context.Background()
		in, _ := connectTool(t, inst, api)
		if in.Kind != store.KindCode || len(in.Actions) != 2 || in.Version != 1 {
			t.Fatalf("integration = %+v", in)
		}

		res, err := inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "u42"}})
		if err != nil {
			t.Fatal(err)
		}
		var u User
		if err := json.Unmarshal(res.Body, &u); err != nil || u.ID != "u42" || u.Name != "Ada Lovelace" || res.Status != 200 {
			t.Fatalf("fetch_data = %d %s (%v)", res.Status, res.Body, err)
		}
		// The default comes from sdk.Default; the server fills it in.
		res, err = inst.Client.Run(ctx, in.ID, "Create Record", client.RunInput{Params: map[string]any{"title": "hello", "data": map[string]any{"n": 1}}})
		if err != nil {
			t.Fatal(err)
		}
		var r Record
		if err := json.Unmarshal(res.Body, &r); err != nil || r.ID != "rec_1" || r.Priority != "normal" || r.Data["n"] != 1.0 {
			t.Fatalf("create_record = %s (%v)", res.Body, err)
		}

		// The server checks params against the schema from the Go types.
		for _, params := range []map[string]any{{}, {"title": "x", "priority": "urgent"}, {"title": 7}, {"title": "x", "extra": true}} {
			_, err := inst.Client.Run(ctx, in.ID, "create_record", client.RunInput{Params: params})
			if status(err) != http.StatusUnprocessableEntity && status(err) != http.StatusBadRequest {
				t.Errorf("params %v: err = %v, want a 4xx naming the field", params, err)
			}
		}

		// Errors reach the caller with their message; panics do not kill the worker.
		cases := []struct {
			title  string
			status int
			msg    string
		}{
			{"fail", 422, `title "fail" is reserved`},
			{"plain", 502, "the tool is read-only today"},
			{"boom", 502, "panicked: record store exploded"},
		}
		for _, c := range cases {
			_, err := inst.Client.Run(ctx, in.ID, "create_record", client.RunInput{Params: map[string]any{"title": c.title}})
			if status(err) != c.status || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("title %q: err = %v, want %d with %q", c.title, err, c.status, c.msg)
			}
		}
		// An upstream error answer comes back as the action's error.
		_, err = inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "missing"}})
		if status(err) != 502 || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no such user") {
			t.Errorf("missing user: err = %v", err)
		}
		if _, err := inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "u1"}}); err != nil {
			t.Fatalf("the worker stopped serving after a panic: %v", err)
		}

		// Production has no connection: the same 409 as for JSON integrations.
		_, err = inst.Client.Run(ctx, in.ID, "fetch_data", client.RunInput{Environment: "production", Params: map[string]any{"user_id": "u1"}})
		if status(err) != http.StatusConflict {
			t.Errorf("production without deploy/connection: err = %v", err)
		}

		// The call log has the invocation and the worker's API call.
		sources := map[string]int{}
		// Flush can return before entries still on their way to the batch
		// are written, so read until the log has caught up.
		for i := 0; i < 50 && (sources["api INVOKE"] < 3 || sources["worker GET"] < 3); i++ {
			inst.Server.Recorder.Flush(ctx)
			logs, err := inst.Client.Logs(ctx, map[string][]string{"integration": {in.ID}, "action": {"fetch_data"}})
			if err != nil {
				t.Fatal(err)
			}
			clear(sources)
			for _, l := range logs {
				sources[l.Source+" "+l.Method]++
				if strings.Contains(l.RequestHeaders+l.URL, upstreamKey) {
					t.Errorf("log %s shows the key", l.ID)
				}
			}
		}
		if sources["api INVOKE"] < 3 || sources["worker GET"] < 3 {
			t.Errorf("log sources = %v", sources)
		}
	})
}

func TestIntegrationViewAndVersions(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	api := newToolAPI(t)
	ctx := context.Background()
	_, stop := startWorker(t, inst, customTool("Custom Tool", api.URL))
	// A second worker with the same definition shares the version.
	startWorker(t, inst, customTool("Custom Tool", api.URL))
	in, err := inst.Client.GetIntegration(ctx, "custom_tool")
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != 1 || connected(t, inst, "Custom Tool") != 2 {
		t.Fatalf("version %d with %d workers, want 1 with 2", in.Version, connected(t, inst, "Custom Tool"))
	}
	var fetch *client.Action
	for i := range in.Actions {
		if in.Actions[i].Key == "fetch_data" {
			fetch = &in.Actions[i]
		}
	}
	if fetch == nil || fetch.Tool != "custom_tool__fetch_data" || !strings.Contains(string(fetch.InputSchema), `"the user to fetch"`) || fetch.Description != "Fetch data from the custom tool" {
		t.Fatalf("fetch_data = %+v", fetch)
	}
	// PUT is refused: the definition lives in code.
	_, err = inst.Client.UpdateIntegration(ctx, in.ID, json.RawMessage(`{"name":"Custom Tool","baseUrl":"https://x.example","auth":{"type":"none"},"actions":[{"name":"A","method":"GET","endpoint":"/"}]}`))
	if status(err) != http.StatusConflict {
		t.Errorf("PUT on a code integration: %v", err)
	}
	// A changed definition makes a new version.
	stop()
	extra := customTool("Custom Tool", api.URL, sdkEcho())
	startWorker(t, inst, extra)
	in, err = inst.Client.GetIntegration(ctx, "custom_tool")
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != 2 || len(in.Actions) != 3 {
		t.Fatalf("after a change: version %d with %d actions, want 2 with 3", in.Version, len(in.Actions))
	}
	// A JSON integration's name cannot be taken over by a worker.
	if _, err := inst.Client.CreateIntegration(ctx, json.RawMessage(`{"name":"Taken","baseUrl":"https://x.example","auth":{"type":"none"},"actions":[{"name":"A","method":"GET","endpoint":"/"}]}`)); err != nil {
		t.Fatal(err)
	}
	err = customTool("Taken", api.URL).Serve(ctx, serverOpts(inst)...)
	if err == nil || !strings.Contains(err.Error(), "defined in JSON") {
		t.Errorf("Serve over a JSON integration: %v", err)
	}
}

func status(err error) int {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Status
	}
	return 0
}
