package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestPublishingReviewAndInstall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.Client // the first organization's owner is a platform administrator

	var pub struct {
		Key string `json:"key"`
	}
	if err := admin.Do(ctx, "POST", "/v1/orgs", map[string]string{"name": "Acme Tools", "owner_email": "dev@acme.example", "plan": "growth"}, &pub); err != nil {
		t.Fatal(err)
	}
	publisher := client.New(srv.URL, pub.Key)

	// The seed CRM declares no rate limit: the audit asks for changes.
	in, err := publisher.CreateIntegration(ctx, json.RawMessage(seedCRM))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publisher.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	type submission struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Findings []struct {
			Check, Severity, Field, Message string
		} `json:"findings"`
	}
	var sub submission
	err = publisher.Do(ctx, "POST", "/v1/integrations/"+in.ID+"/submit", nil, &sub)
	pe := problemOf(t, err, 422)
	_ = pe
	var subs struct {
		Submissions []submission `json:"submissions"`
	}
	if err := publisher.Do(ctx, "GET", "/v1/integrations/"+in.ID+"/submissions", nil, &subs); err != nil || len(subs.Submissions) != 1 {
		t.Fatalf("submissions: %+v %v", subs, err)
	}
	if s := subs.Submissions[0]; s.Status != "changes_requested" || !hasFinding(s.Findings, "rate_limit") {
		t.Fatalf("first submission = %+v", s)
	}

	// Declare the rate limit, deploy, submit again: it waits for review.
	fixed := strings.Replace(seedCRM, `"actions": [`, `"rateLimit": {"requestsPerSecond": 10}, "documentationUrl": "https://docs.customcrm.com", "actions": [`, 1)
	if _, err := publisher.UpdateIntegration(ctx, in.ID, json.RawMessage(fixed)); err != nil {
		t.Fatal(err)
	}
	if _, err := publisher.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := publisher.Do(ctx, "POST", "/v1/integrations/"+in.ID+"/submit", nil, &sub); err != nil || sub.Status != "pending_review" {
		t.Fatalf("second submission: %+v %v", sub, err)
	}

	// Only platform administrators review.
	problemOf(t, publisher.Do(ctx, "GET", "/v1/reviews", nil, nil), 403)
	problemOf(t, admin.Do(ctx, "POST", "/v1/reviews/"+sub.ID+"/reject", map[string]string{}, nil), 400)
	var queue struct {
		Submissions []submission `json:"submissions"`
	}
	if err := admin.Do(ctx, "GET", "/v1/reviews", nil, &queue); err != nil || len(queue.Submissions) != 1 || queue.Submissions[0].ID != sub.ID {
		t.Fatalf("review queue: %+v %v", queue, err)
	}
	if err := admin.Do(ctx, "POST", "/v1/reviews/"+sub.ID+"/approve", map[string]string{"note": "looks good"}, &sub); err != nil || sub.Status != "approved" {
		t.Fatalf("approve: %+v %v", sub, err)
	}

	// Another organization finds it, reads its docs and installs it.
	var cat struct {
		Integrations []struct {
			Slug, Name, PublisherName string
		} `json:"integrations"`
	}
	if err := admin.Do(ctx, "GET", "/v1/catalog", nil, &cat); err != nil || len(cat.Integrations) != 1 || cat.Integrations[0].Slug != "custom_crm" {
		t.Fatalf("catalog: %+v %v", cat, err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/catalog/custom_crm", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Accept", "text/markdown")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(docs), "custom_crm__create_contact") || !strings.Contains(string(docs), "X-API-Key") {
		t.Fatalf("docs:\n%s", docs)
	}
	var installed client.Integration
	if err := admin.Do(ctx, "POST", "/v1/catalog/custom_crm/install", nil, &installed); err != nil {
		t.Fatal(err)
	}
	if installed.Name != "Custom CRM" || len(installed.Actions) != 2 || installed.Status != "draft" {
		t.Fatalf("installed: %+v", installed)
	}
	mine, _ := admin.ListIntegrations(ctx)
	if len(mine) != 1 || mine[0].ID != installed.ID {
		t.Fatalf("installer's integrations: %+v", mine)
	}
}

func hasFinding(fs []struct{ Check, Severity, Field, Message string }, check string) bool {
	for _, f := range fs {
		if f.Check == check && f.Severity == "error" {
			return true
		}
	}
	return false
}
