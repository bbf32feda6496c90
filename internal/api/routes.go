package api

import "net/http"

// Register adds the /v1 routes to mux. Every route needs an API key; what
// the caller may then do is the application layer's decision.
func (a *API) Register(mux *http.ServeMux) {
	h := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, a.authenticate(fn)) }

	h("GET /v1/me", a.me)
	h("PATCH /v1/org", a.updateOrg)
	h("POST /v1/orgs", a.createOrg)
	h("GET /v1/users", a.listUsers)
	h("POST /v1/users", a.inviteUser)
	h("GET /v1/teams", a.listTeams)
	h("POST /v1/teams", a.createTeam)
	h("DELETE /v1/teams/{id}", a.deleteTeam)
	h("PUT /v1/teams/{id}/members/{user}", a.setTeamMember(true))
	h("DELETE /v1/teams/{id}/members/{user}", a.setTeamMember(false))
	h("GET /v1/keys", a.listKeys)
	h("POST /v1/keys", a.createKey)
	h("DELETE /v1/keys/{id}", a.revokeKey)
	h("GET /v1/audit", a.listAudit)
	h("GET /v1/audit/verify", a.verifyAudit)

	h("GET /v1/integrations", a.listIntegrations)
	h("POST /v1/integrations", a.createIntegration)
	h("POST /v1/integrations/import", a.importIntegration)
	h("GET /v1/integrations/{id}", a.getIntegration)
	h("PUT /v1/integrations/{id}", a.updateIntegration)
	h("DELETE /v1/integrations/{id}", a.deleteIntegration)
	h("GET /v1/integrations/{id}/versions", a.listVersions)
	h("GET /v1/integrations/{id}/teams", a.getIntegrationTeams)
	h("PUT /v1/integrations/{id}/teams", a.setIntegrationTeams)
	h("POST /v1/integrations/{id}/deploy", a.deployIntegration)
	h("POST /v1/integrations/{id}/test", a.testIntegration)
	h("POST /v1/integrations/{id}/actions/{action}/run", a.runAction)
	h("/v1/integrations/{id}/proxy/{path...}", a.proxy)

	h("GET /v1/approvals", a.listApprovals)
	h("GET /v1/approvals/settings", a.getApprovalSettings)
	h("PUT /v1/approvals/settings", a.setApprovalSettings)
	h("GET /v1/approvals/{id}", a.getApproval)
	h("POST /v1/approvals/{id}/approve", a.decideApproval(true))
	h("POST /v1/approvals/{id}/deny", a.decideApproval(false))

	h("GET /v1/integrations/{id}/connections", a.listConnections)
	h("POST /v1/integrations/{id}/connections", a.createConnection)
	h("GET /v1/integrations/{id}/connections/{cid}", a.getConnection)
	h("PUT /v1/integrations/{id}/connections/{cid}", a.updateConnection)
	h("DELETE /v1/integrations/{id}/connections/{cid}", a.deleteConnection)
	h("GET /v1/integrations/{id}/connections/{cid}/authorize", a.authorizeConnection)

	h("POST /v1/integrations/{id}/submit", a.submitIntegration)
	h("GET /v1/integrations/{id}/submissions", a.listSubmissions)
	h("GET /v1/reviews", a.listReviews)
	h("POST /v1/reviews/{id}/approve", a.reviewSubmission(true))
	h("POST /v1/reviews/{id}/reject", a.reviewSubmission(false))
	h("GET /v1/catalog", a.listCatalog)
	h("GET /v1/catalog/{slug}", a.getCatalogEntry)
	h("POST /v1/catalog/{slug}/install", a.installCatalogEntry)

	h("GET /v1/agents", a.listAgents)
	h("POST /v1/agents", a.createAgent)
	h("GET /v1/agents/{id}", a.getAgent)
	h("PATCH /v1/agents/{id}", a.updateAgent)
	h("DELETE /v1/agents/{id}", a.revokeAgent)
	h("POST /v1/agents/{id}/rotate-key", a.rotateAgentKey)
	h("GET /v1/agents/{id}/tools", a.agentTools)

	h("GET /v1/webhooks", a.listWebhooks)
	h("POST /v1/webhooks", a.createWebhook)
	h("GET /v1/webhooks/{id}", a.getWebhook)
	h("PATCH /v1/webhooks/{id}", a.updateWebhook)
	h("DELETE /v1/webhooks/{id}", a.deleteWebhook)
	h("POST /v1/webhooks/{id}/rotate-secret", a.rotateWebhookSecret)
	h("POST /v1/webhooks/{id}/test", a.testWebhook)
	h("POST /v1/webhooks/{id}/replay", a.replayWebhook)
	h("GET /v1/webhooks/{id}/events", a.listEvents)
	h("GET /v1/events/{id}", a.getEvent)
	h("POST /v1/events/{id}/replay", a.replayEvent)

	h("POST /v1/workers/register", a.registerWorker)
	h("GET /v1/workers/poll", a.pollWorker)
	h("POST /v1/workers/heartbeat", a.heartbeatWorker)
	h("DELETE /v1/workers/{id}", a.deregisterWorker)
	h("POST /v1/workers/invocations/{id}/result", a.invocationResult)
	h("POST /v1/workers/invocations/{id}/http", a.invocationHTTP)
	h("GET /v1/integrations/{id}/workers", a.listIntegrationWorkers)

	h("GET /v1/logs", a.listLogs)
	h("GET /v1/logs/{id}", a.getLog)
}
