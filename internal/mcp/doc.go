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
// enums, required). Annotations follow the HTTP method: GET and HEAD are
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
// # Sessions and changes
//
// Each session gets an SDK server of its own holding its agent's tools. The
// list is rebuilt from the database on every tools/list. After a deploy
// ([Server.Deployed]) or an agent's edit ([Server.ToolsChanged]), the
// sessions of that organization are brought up to date and those whose
// tools changed receive notifications/tools/list_changed. On PostgreSQL
// the change is announced with NOTIFY, so that sessions on every node hear
// of it ([Server.RelayChanges]). Sessions live in the memory of the node
// that opened them; behind a load balancer, route /mcp with session
// affinity (the Mcp-Session-Id header).
package mcp
