// Package mcp serves deployed integrations to AI agents as tools, over the
// Model Context Protocol (streamable HTTP, built on the official Go SDK),
// and exports the same tools as OpenAI or Anthropic function-calling JSON.
//
// # Agents and their tools
//
// An agent authenticates with "Authorization: Bearer <agent key>". The key
// is looked up on every HTTP request, so a revoked or rotated key is
// refused on its next use. The agent sees exactly the tools its grants
// name: for each granted integration, the granted actions (or all of them)
// of its deployed version. Drafts are never served.
//
// A tool is named "<integration slug>__<action key>". MCP allows names of
// up to 128 characters but OpenAI and Anthropic stop at 64, so a longer
// name keeps its first 55 characters and ends in "_" and 8 hex digits of
// the SHA-256 of the full name (see [ToolName]); the name is the same in
// tools/list and in every export. Its input schema is the action's
// parameters as one JSON Schema object (types, descriptions, defaults,
// enums, required), each property an object schema, under names every
// model provider accepts (see package agent, which maps a call's arguments
// back to the API's names). Annotations follow the HTTP method: GET and HEAD are
// readOnlyHint; DELETE is destructiveHint; PUT, DELETE and actions marked
// idempotent are idempotentHint; every tool is openWorldHint.
//
// # Calls
//
// tools/call runs the action through the executor, like the REST API's
// /run: credentials, OAuth refresh, limits, the SSRF guard, the call log
// (source "mcp", actor the agent id) and metrics all apply. The upstream
// answer comes back as structured content {"status", "body",
// "content_type", "duration_ms", "log_id"} plus the same JSON as text. An
// upstream status of 400 or more, invalid arguments, a timeout or a rate
// limit is a tool error (isError) whose first text says what happened and
// what to do.
//
// A call may carry an idempotency key in its request's _meta, under
// "idempotency_key". A repeat of the key by the same agent within 24 hours
// returns the first result (with _meta "idempotent_replay": true) without
// calling the API again; see package idempotency.
//
// # Revisions
//
// One endpoint speaks every protocol revision the SDK implements (see
// [Versions]). A request whose MCP-Protocol-Version header is 2026-07-28 or
// later, or whose _meta carries a protocol version, is of the stateless
// revision: it is served on its own, by the SDK's stateless handler, with
// the server of its agent (shared by that agent's requests and dropped a
// minute after the last one ends). Clients find it with server/discover and
// hear of changes on subscriptions/listen. Any other request belongs to the
// revisions with sessions (2025-11-25 and older), which open a session
// with initialize. Negotiation is the SDK's: a client that asks for a
// revision the server does not speak is told the ones it does. Before
// either handler, the server answers what the SDK would answer in plain
// text: an MCP-Protocol-Version header it does not speak (400, JSON-RPC
// -32022 with the versions it does) and an unknown method on the revisions
// with sessions (JSON-RPC -32601; the stateless handler answers that
// itself). Results carry the fields of their revision only: tools/list has
// ttlMs (a minute) and cacheScope ("private": the list is the agent's) on
// the stateless revision, and neither before it. A call of a tool the agent
// no longer has is JSON-RPC -32602 saying it was removed and to list the
// tools again.
//
// # Sessions and changes
//
// Each session gets an SDK server of its own holding its agent's tools.
// Stateless requests are no sessions: they are not counted against the
// cap or in the gauge, and nothing of them outlives them but their agent's
// server. The tool list is rebuilt from the database on every tools/list.
// After a deploy or an agent's edit ([Server.ToolsChanged]), the sessions
// and agent servers of that organization are brought up to date, and those
// whose tools changed send notifications/tools/list_changed: on a
// session's stream, or on the subscriptions/listen requests of a stateless
// client. On PostgreSQL the change is announced with NOTIFY, so that
// clients on every node hear of it (the store's listener, see relay.go). Sessions live
// in the memory of the node that opened them; behind a load balancer, route
// /mcp with session affinity (the Mcp-Session-Id header). Stateless
// requests may go to any node.
package mcp
