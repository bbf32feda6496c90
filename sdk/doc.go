// Package sdk defines Plugboard integrations in Go and runs their actions
// as workers.
//
// A code-defined integration is a value of [Integration]: a name, the API
// its actions call, how that API authenticates, and actions made with
// [Action] from ordinary typed functions. [Integration.Serve] registers it
// with a Plugboard server and runs its actions there; agents (as MCP
// tools), webhook triggers and the REST API then call them like the
// actions of any JSON-defined integration, in sandbox or production, with
// the same call log.
//
// # Tutorial
//
// Describe each action's input and output with Go types. The input is a
// struct; its fields are the parameters agents fill in:
//
//	type FetchDataInput struct {
//		UserID string `json:"user_id" jsonschema:"the user to fetch"`
//	}
//
//	type User struct {
//		ID   string `json:"id"`
//		Name string `json:"name"`
//	}
//
// Write the action as a function of a context, the [Call] and the input.
// The Call's helpers reach the integration's API through the server,
// which adds the credentials: the worker never holds an API key or token.
//
//	func fetchData(ctx context.Context, c *sdk.Call, in FetchDataInput) (User, error) {
//		var u User
//		err := c.Get(ctx, "/users/"+in.UserID, &u)
//		return u, err
//	}
//
// Put the actions in an integration and serve it:
//
//	func main() {
//		tool := &sdk.Integration{
//			Name:    "Custom Tool",
//			BaseURL: "https://api.customtool.com/v1",
//			Auth:    sdk.APIKeyHeader("X-API-Key"),
//			Actions: []*sdk.ActionDef{
//				sdk.Action("fetch_data", fetchData, sdk.Describe("Fetch a user")),
//			},
//		}
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		if err := tool.Serve(ctx); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Run it with the server's URL and an API key of your organization:
//
//	PLUGBOARD_SERVER=https://plugboard.example.com PLUGBOARD_TOKEN=pb_… go run .
//
// The integration appears in the dashboard and under GET /v1/integrations
// as "custom_tool", with kind "code" and workers_connected. Give it
// credentials, then call an action:
//
//	curl -H "Authorization: Bearer $PLUGBOARD_TOKEN" -d '{"environment":"sandbox","credentials":{"api_key":"…"}}' \
//	  $PLUGBOARD_SERVER/v1/integrations/custom_tool/connections
//	curl -H "Authorization: Bearer $PLUGBOARD_TOKEN" -d '{"params":{"user_id":"42"}}' \
//	  $PLUGBOARD_SERVER/v1/integrations/custom_tool/actions/fetch_data/run
//
// Deploy it (POST /v1/integrations/custom_tool/deploy) to make it
// available in production and to agents, whose MCP tool is named
// custom_tool__fetch_data. A complete program is in examples/worker.
//
// # Schemas
//
// Input and output JSON Schemas come from the Go types through
// github.com/google/jsonschema-go's For: json tags name the properties,
// a field without omitempty or omitzero is required, a jsonschema tag is
// the description, and sized integers get their bounds. That package has
// no tags for enums or defaults; use the [Enum] and [Default] options, and
// [EditSchema] for any other keyword. The server validates every call's
// input against the schema, and fills in defaults, before a worker sees
// it. A changed schema (or name, auth, base URL or action) registers a new
// version of the integration; an unchanged one reuses the current version.
//
// # Delivery and failures
//
// Several processes may serve the same integration; each invocation goes
// to one of them, and each runs up to [Concurrency] invocations at once.
// Invocations are delivered at least once: if a worker dies while running
// one, another worker runs it again once the lease runs out, with the
// same [Call.IdempotencyKey]. Every action call has a deadline (30 s, or
// [Integration.Timeout]), which ends the action's context, as does the
// caller going away.
//
// An error returned by an action reaches the caller with its message (as
// 502, or the status given to [Errorf]); a panic is recovered and
// reported the same way, and the worker keeps serving.
//
// # HTTP, retries and tracing
//
// [Call.HTTP] is an *http.Client for libraries that want one; [Call.Get],
// [Call.Post] and the others send and decode JSON. Relative URLs resolve
// against the base URL (or the base URL of the connection, which may
// differ per environment); the server refuses URLs outside it, so
// credentials are never sent anywhere else. Idempotent requests that fail
// transiently are retried with exponential backoff and jitter; the
// server's own outbound client also retries transient failures of the
// API. The worker logs through log/slog ([Logger]), and continues the
// caller's OpenTelemetry trace: the invocation carries its trace context,
// the action's context holds it, and the action's requests pass it to the
// API as traceparent, so one trace runs from the agent through the server
// and the worker to the API. Install a TracerProvider and propagator with
// the otel package to record spans; without one the context still flows.
package sdk
