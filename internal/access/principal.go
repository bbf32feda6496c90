// Package access says who acts and what they may see and do. Every
// surface (the REST API, the dashboard, MCP, webhook triggers and SDK
// workers) turns its own proof of identity into a [Principal] and asks the
// domain packages to act for it; the domain packages ask this package, and
// only this package, whether the principal may.
//
// Three questions are answered here: may the principal do a kind of thing
// at all ([Principal.May], from the member's role), may it see and use a
// given integration ([Rules.MayUse], from team restrictions), and may it
// see a given connection or call log entry (shared ones, or its own). The
// audit trail entry of every change names the principal the same way
// whatever surface the change came through ([Principal.Audit]).
package access

import (
	"encoding/json"

	"github.com/plugboard/plugboard/internal/store"
)

// Kind is what sort of principal acts.
type Kind string

// The kinds of principal.
const (
	// Member is a person of the organization, signed in with an API key or
	// a dashboard session.
	Member Kind = "member"
	// Agent is an AI agent calling its tools with its agent key. It acts
	// for the member its grant names (run as), or with the organization's
	// shared connections alone.
	Agent Kind = "agent"
	// Trigger is a webhook trigger's run; it acts as the member who made
	// the trigger.
	Trigger Kind = "trigger"
	// Worker is an SDK worker, signed in with the API key it registered
	// with.
	Worker Kind = "worker"
)

// Surface is where a request came in.
type Surface string

// The surfaces.
const (
	API       Surface = "api"
	Dashboard Surface = "dashboard"
	MCP       Surface = "mcp"
	Triggers  Surface = "trigger"
	Workers   Surface = "worker"
)

// Principal is who acts, and through which surface.
type Principal struct {
	Kind Kind
	Via  Surface
	Org  store.Org
	// User is the member whose rights apply: the member signed in, the
	// member an agent acts for, the member who made a trigger. It is zero
	// for an agent that uses the organization's shared connections only.
	User store.User

	KeyID     string // the API key, for members and workers signed in with one
	SessionID string // the dashboard session
	AgentID   string
	WebhookID string
	TriggerID string
	IP        string // the client's address, for the audit trail
}

// FromKey is the member an API key signs in.
func FromKey(sp store.Principal, ip string) Principal {
	return Principal{Kind: Member, Via: API, Org: sp.Org, User: sp.User, KeyID: sp.KeyID, IP: ip}
}

// FromSession is the member a dashboard session signs in.
func FromSession(sp store.Principal, sessionID, ip string) Principal {
	return Principal{Kind: Member, Via: Dashboard, Org: sp.Org, User: sp.User, SessionID: sessionID, IP: ip}
}

// AsWorker is the SDK worker a member's API key signs in.
func AsWorker(key Principal) Principal {
	key.Kind, key.Via = Worker, Workers
	return key
}

// ForAgent is an agent of org acting for runAs (zero: with the shared
// connections only).
func ForAgent(agent store.Agent, org store.Org, runAs store.User) Principal {
	return Principal{Kind: Agent, Via: MCP, Org: org, User: runAs, AgentID: agent.ID}
}

// ForTrigger is a run of a webhook's trigger, acting as the member who
// made it.
func ForTrigger(creator store.Principal, webhookID, triggerID string) Principal {
	return Principal{Kind: Trigger, Via: Triggers, Org: creator.Org, User: creator.User, WebhookID: webhookID, TriggerID: triggerID}
}

// Actor names the principal in the call log: the API key, the agent, the
// webhook or the dashboard member.
func (p Principal) Actor() string {
	switch {
	case p.AgentID != "":
		return p.AgentID
	case p.WebhookID != "":
		return p.WebhookID
	case p.KeyID != "":
		return p.KeyID
	}
	return p.User.ID
}

// Sees reports whether p may see and use connection c: the organization's
// shared connections, and its own personal ones. Another member's personal
// connection is never visible, whatever the role.
func (p Principal) Sees(c store.Connection) bool {
	return c.OrgID == p.Org.ID && (c.UserID == "" || c.UserID == p.User.ID)
}

// Audit is the audit trail entry of a change p makes. action names the
// change ("integration.create"), targetType and targetID its object;
// detail, when given, adds what else a reader needs (a version, a role).
// The surface and the agent, webhook or session involved are recorded in
// the entry's detail, so one change reads the same from every surface.
func (p Principal) Audit(action, targetType, targetID string, detail map[string]any) store.AuditEvent {
	d := map[string]any{"via": string(p.Via)}
	for k, v := range detail {
		d[k] = v
	}
	for k, v := range map[string]string{"agent": p.AgentID, "webhook": p.WebhookID, "trigger": p.TriggerID, "session": p.SessionID} {
		if v != "" {
			d[k] = v
		}
	}
	if p.Kind != Member {
		d["principal"] = string(p.Kind)
	}
	b, _ := json.Marshal(d)
	return store.AuditEvent{
		OrgID: p.Org.ID, ActorUserID: p.User.ID, ActorKeyID: p.KeyID,
		Action: action, TargetType: targetType, TargetID: targetID, Detail: string(b), IP: p.IP,
	}
}
