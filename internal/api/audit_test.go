package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestChangesLandInTheAuditTrail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(seedCRM))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	_, _ = srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": ""}`)) // refused: not audited

	var out struct {
		Events []struct {
			Seq         int64  `json:"seq"`
			Action      string `json:"action"`
			TargetType  string `json:"target_type"`
			TargetID    string `json:"target_id"`
			ActorUserID string `json:"actor_user_id"`
			Hash        string `json:"hash"`
		} `json:"events"`
	}
	if err := srv.Client.Do(ctx, "GET", "/v1/audit", nil, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 {
		t.Fatalf("audit has %d events: %+v", len(out.Events), out.Events)
	}
	deploy, create := out.Events[0], out.Events[1]
	if deploy.Action != "integration.deploy" || deploy.TargetType != "integration" || deploy.TargetID != in.ID || deploy.ActorUserID == "" {
		t.Fatalf("deploy event = %+v", deploy)
	}
	if create.Action != "integration.create" || create.Seq != 1 || deploy.Seq != 2 {
		t.Fatalf("create event = %+v", create)
	}
	var v struct {
		OK      bool  `json:"ok"`
		Entries int64 `json:"entries"`
	}
	if err := srv.Client.Do(ctx, "GET", "/v1/audit/verify", nil, &v); err != nil || !v.OK || v.Entries != 2 {
		t.Fatalf("verify: %+v %v", v, err)
	}
}
