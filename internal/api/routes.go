package api

import "net/http"

// Register adds the /v1 routes to mux. Every route needs an API key; the
// second column is the permission the caller's role must grant.
func (a *API) Register(mux *http.ServeMux) {
	h := func(pattern, perm string, fn http.HandlerFunc) { mux.Handle(pattern, a.guard(perm, fn)) }

	h("GET /v1/audit", permManageOrg, a.listAudit)
	h("GET /v1/audit/verify", permManageOrg, a.verifyAudit)

	h("GET /v1/me", permInHandler, a.me)
	h("PATCH /v1/org", permInHandler, a.updateOrg)
	h("POST /v1/orgs", permPlatform, a.createOrg)
	h("GET /v1/users", permRead, a.listUsers)
	h("POST /v1/users", permManageOrg, a.createUser)
	h("GET /v1/teams", permRead, a.listTeams)
	h("POST /v1/teams", permManageOrg, a.createTeam)
	h("DELETE /v1/teams/{id}", permManageOrg, a.deleteTeam)
	h("PUT /v1/teams/{id}/members/{user}", permInHandler, a.setTeamMember(true))
	h("DELETE /v1/teams/{id}/members/{user}", permInHandler, a.setTeamMember(false))
	h("GET /v1/keys", permInHandler, a.listKeys)
	h("POST /v1/keys", permInHandler, a.createKey)
	h("DELETE /v1/keys/{id}", permInHandler, a.revokeKey)

	h("GET /v1/integrations", permRead, a.listIntegrations)
	h("POST /v1/integrations", permBuild, a.createIntegration)
	h("POST /v1/integrations/import", permBuild, a.importIntegration)
	h("GET /v1/integrations/{id}", permRead, a.getIntegration)
	h("PUT /v1/integrations/{id}", permBuild, a.updateIntegration)
	h("DELETE /v1/integrations/{id}", permBuild, a.deleteIntegration)
	h("GET /v1/integrations/{id}/versions", permRead, a.listVersions)
	h("GET /v1/integrations/{id}/teams", permRead, a.getIntegrationTeams)
	h("PUT /v1/integrations/{id}/teams", permManageOrg, a.setIntegrationTeams)
	h("POST /v1/integrations/{id}/deploy", permBuild, a.deployIntegration)
	h("POST /v1/integrations/{id}/test", permRun, a.testIntegration)
	h("POST /v1/integrations/{id}/actions/{action}/run", permRun, a.runAction)
	h("/v1/integrations/{id}/proxy/{path...}", permRun, a.proxy)

	h("GET /v1/integrations/{id}/connections", permRead, a.listConnections)
	h("POST /v1/integrations/{id}/connections", permConnect, a.createConnection)
	h("GET /v1/integrations/{id}/connections/{cid}", permRead, a.getConnection)
	h("PUT /v1/integrations/{id}/connections/{cid}", permConnect, a.updateConnection)
	h("DELETE /v1/integrations/{id}/connections/{cid}", permConnect, a.deleteConnection)
	h("GET /v1/integrations/{id}/connections/{cid}/authorize", permConnect, a.AuthorizeConnection)

	h("POST /v1/integrations/{id}/submit", permBuild, a.submitIntegration)
	h("GET /v1/integrations/{id}/submissions", permRead, a.listSubmissions)
	h("GET /v1/reviews", permPlatform, a.listReviews)
	h("POST /v1/reviews/{id}/approve", permInHandler, a.reviewSubmission(true))
	h("POST /v1/reviews/{id}/reject", permInHandler, a.reviewSubmission(false))
	h("GET /v1/catalog", permRead, a.listCatalog)
	h("GET /v1/catalog/{slug}", permRead, a.getCatalogEntry)
	h("POST /v1/catalog/{slug}/install", permBuild, a.installCatalogEntry)

	h("GET /v1/agents", permRead, a.listAgents)
	h("POST /v1/agents", permManageOrg, a.createAgent)
	h("GET /v1/agents/{id}", permInHandler, a.getAgent)
	h("PATCH /v1/agents/{id}", permInHandler, a.updateAgent)
	h("DELETE /v1/agents/{id}", permInHandler, a.deleteAgent)
	h("POST /v1/agents/{id}/rotate-key", permInHandler, a.rotateAgentKey)
	h("GET /v1/agents/{id}/tools", permInHandler, a.agentTools)

	h("POST /v1/workers/register", permBuild, a.registerWorker)
	h("GET /v1/workers/poll", permRun, a.pollWorker)
	h("POST /v1/workers/heartbeat", permRun, a.heartbeatWorker)
	h("DELETE /v1/workers/{id}", permRun, a.deregisterWorker)
	h("POST /v1/workers/invocations/{id}/result", permRun, a.invocationResult)
	h("POST /v1/workers/invocations/{id}/http", permRun, a.invocationHTTP)
	h("GET /v1/integrations/{id}/workers", permRead, a.listIntegrationWorkers)

	h("GET /v1/logs", permRead, a.listLogs)
	h("GET /v1/logs/{id}", permRead, a.getLog)
}
