package web

import "net/http"

// Register adds the dashboard's routes to mux. Every page but sign-in
// needs a session; every form post is checked for its CSRF token.
func (wb *Web) Register(mux *http.ServeMux) {
	m := func(pattern string, fn pageFunc) { mux.Handle(pattern, wb.member(fn)) }
	pub := func(pattern string, fn pageFunc) { mux.Handle(pattern, wb.public(fn)) }

	mux.HandleFunc("GET /static/{name}", wb.static)

	pub("GET /signin", wb.signinForm)
	pub("POST /signin", wb.signin)
	pub("GET /signin/first", wb.setPasswordForm)
	pub("POST /signin/first", wb.setPassword)
	pub("GET /signin/invite", wb.setPasswordForm)
	pub("POST /signin/invite", wb.setPassword)
	m("POST /signout", wb.signout)

	m("GET /{$}", wb.integrationList)
	m("GET /integrations/new", wb.integrationNewForm)
	m("POST /integrations/new", wb.integrationNew)
	m("POST /integrations/new/action", wb.integrationNewAction)
	m("POST "+importPath, wb.integrationImport)
	m("GET /integrations/{id}", wb.integrationDetails)
	m("POST /integrations/{id}", wb.integrationDetailsSave)
	m("GET /integrations/{id}/actions", wb.actionList)
	m("GET /integrations/{id}/actions/new", wb.actionEdit)
	m("POST /integrations/{id}/actions/new", wb.actionSave)
	m("GET /integrations/{id}/actions/{key}", wb.actionEdit)
	m("POST /integrations/{id}/actions/{key}", wb.actionSave)
	m("POST /integrations/{id}/actions/{key}/delete", wb.actionDelete)
	m("GET /integrations/{id}/test", wb.testStep)
	m("POST /integrations/{id}/test", wb.testRun)
	m("GET /integrations/{id}/deploy", wb.deployStep)
	m("POST /integrations/{id}/deploy", wb.deploy)
	m("GET /integrations/{id}/json", wb.definitionJSON)
	m("POST /integrations/{id}/json", wb.definitionJSONSave)
	m("GET /integrations/{id}/connections", wb.connections)
	m("POST /integrations/{id}/connections", wb.connectionSave)
	m("POST /integrations/{id}/connections/{cid}/delete", wb.connectionDelete)
	m("POST /integrations/{id}/connections/{cid}/connect", wb.connectionConnect)
	m("GET /integrations/{id}/monitor", wb.monitor)
	m("GET /integrations/{id}/connect/{env}", wb.personalConnectForm)
	m("POST /integrations/{id}/connect/{env}", wb.personalConnect)

	m("GET /webhooks", wb.webhookList)
	m("POST /webhooks", wb.webhookCreate)
	m("GET /webhooks/{id}", wb.webhookDetail)
	m("POST /webhooks/{id}/settings", wb.webhookSettings)
	m("POST /webhooks/{id}/triggers", wb.triggerAdd)
	m("POST /webhooks/{id}/triggers/check", wb.triggerCheck)
	m("POST /webhooks/{id}/triggers/{tid}/delete", wb.triggerDelete)
	m("POST /webhooks/{id}/test", wb.webhookTest)
	m("POST /webhooks/{id}/rotate", wb.webhookRotate)
	m("POST /webhooks/{id}/delete", wb.webhookDelete)
	m("GET /events/{id}", wb.eventDetail)
	m("POST /events/{id}/replay", wb.eventReplay)

	m("GET /agents", wb.agentList)
	m("POST /agents", wb.agentCreate)
	m("GET /agents/{id}", wb.agentDetail)
	m("POST /agents/{id}/revoke", wb.agentRevoke)
	m("POST /agents/{id}/rotate", wb.agentRotate)
	m("POST /agents/{id}/tools", wb.agentToolsSave)
	m("POST /agents/{id}/tool-mode", wb.agentToolModeSave)
	m("POST /agents/{id}/budget", wb.agentBudgetSave)

	m("GET /oauth/consent", wb.consentForm)
	m("POST /oauth/consent", wb.consentDecide)
	m("GET /apps", wb.appList)
	m("POST /apps/{id}/revoke", wb.appRevoke)

	m("GET /members", wb.members)
	m("POST /members", wb.memberInvite)
	m("POST /settings", wb.orgSettings)

	m("GET /approvals", wb.approvalList)
	m("POST /approvals/settings", wb.approvalSettings)
	m("GET /approvals/{id}", wb.approvalDetail)
	m("POST /approvals/{id}/approve", wb.approvalDecide(true))
	m("POST /approvals/{id}/deny", wb.approvalDecide(false))

	m("GET /logs", wb.logList)
	m("GET /logs/{id}", wb.logDetail)
}
