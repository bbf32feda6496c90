package sdk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestRunThroughWorker(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		inst := servertest.Start(t, servertest.Options{Engine: engine})
		api := newToolAPI(t)
		ctx := context.Background()
		in := customTool("Custom Tool", api.URL)
		capt, _ := startWorker(t, inst, in)

		got, err := inst.Client.GetIntegration(ctx, "custom_tool")
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != store.KindCode || len(got.Actions) != 2 {
			t.Fatalf("integration = %+v", got)
		}
		if _, err := inst.Client.AddConnection(ctx, got.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
			t.Fatal(err)
		}
		res, err := inst.Client.Run(ctx, got.ID, "fetch_data", client.RunInput{Params: map[string]any{"user_id": "u42"}})
		if err != nil {
			t.Fatal(err)
		}
		var u User
		if err := json.Unmarshal(res.Body, &u); err != nil || u.ID != "u42" || u.Name != "Ada Lovelace" {
			t.Fatalf("fetch_data = %s (%v)", res.Body, err)
		}
		res, err = inst.Client.Run(ctx, got.ID, "create_record", client.RunInput{Params: map[string]any{"title": "hello", "data": map[string]any{"n": 1}}})
		if err != nil {
			t.Fatal(err)
		}
		var r Record
		if err := json.Unmarshal(res.Body, &r); err != nil || r.ID != "rec_1" || r.Priority != "normal" {
			t.Fatalf("create_record = %s (%v)", res.Body, err)
		}
		if strings.Contains(capt.String(), upstreamKey) {
			t.Fatalf("the worker's traffic contains the API key")
		}
	})
}
