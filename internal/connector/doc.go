// Package connector reads, checks and runs integration definitions: the
// JSON an author writes to connect a REST API without code.
//
// A definition names the API's base URL, how to authenticate and its
// actions: an HTTP method, an endpoint with {placeholders}, and typed
// parameters. [Parse] accepts what people actually write (camelCase or
// snake_case keys, the short parameter form "email": "string", full JSON
// Schema properties, or a list of parameters), fills in defaults and
// validates everything at once, answering with a [ValidationError] whose
// fields are JSON paths and whose messages say how to fix each problem.
//
//	def, err := connector.Parse(raw)
//	action, _ := def.Action("Get Contact")
//	req, err := def.Build(action, connector.Sandbox, map[string]any{"id": "42"})
//	httpReq, err := req.NewRequest(ctx)
//	err = def.Auth.Apply(httpReq, creds)
//
// An action's parameters double as its tool input for agents:
// [Action.InputSchema] renders them as one JSON Schema object and
// [Action.CheckParams] checks a call's values against it with per-field
// messages. [CoerceStrings] converts the strings of command-line flags and
// HTML forms to the declared types first.
//
// The package does no I/O. Sending the request, guarding the network,
// refreshing OAuth 2.0 tokens and storing credentials belong to the
// packages that own those concerns; this one only describes the request.
package connector
