// Command worker is the product page's SDK example in Go: a "Custom Tool"
// integration with the actions fetch_data and create_record, served as a
// Plugboard worker.
//
//	PLUGBOARD_SERVER=http://127.0.0.1:8080 PLUGBOARD_TOKEN=pb_… \
//	CUSTOM_TOOL_URL=https://api.customtool.com/v1 go run ./examples/worker
//
// Then add the API key as a connection and call an action:
//
//	plugboard connections add custom_tool --env sandbox --api-key "$CUSTOM_TOOL_KEY"
//	curl -H "Authorization: Bearer $PLUGBOARD_TOKEN" -d '{"params":{"user_id":"42"}}' \
//	  $PLUGBOARD_SERVER/v1/integrations/custom_tool/actions/fetch_data/run
package main

import (
	"context"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/plugboard/plugboard/sdk"
)

// FetchDataInput is fetch_data's input.
type FetchDataInput struct {
	UserID string `json:"user_id" jsonschema:"the id of the user in the custom tool"`
}

// CreateRecordInput is create_record's input.
type CreateRecordInput struct {
	Title    string         `json:"title" jsonschema:"a short title for the record"`
	Priority string         `json:"priority,omitempty" jsonschema:"how urgent the record is"`
	Data     map[string]any `json:"data,omitempty" jsonschema:"any other fields of the record"`
}

// Record is a record as the custom tool returns it.
type Record struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Priority string         `json:"priority,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
}

// fetchData fetches a user; the answer is passed on as it is.
func fetchData(ctx context.Context, c *sdk.Call, in FetchDataInput) (map[string]any, error) {
	var user map[string]any
	err := c.Get(ctx, "/users/"+in.UserID, &user)
	return user, err
}

// createRecord creates a record. It may run twice if a worker dies
// mid-call, so it passes the invocation's idempotency key on to the API.
func createRecord(ctx context.Context, c *sdk.Call, in CreateRecordInput) (Record, error) {
	if in.Title == "" {
		return Record{}, sdk.Errorf(422, "title must not be empty")
	}
	c.Logger().InfoContext(ctx, "creating record", "title", in.Title)
	var rec Record
	err := c.JSON(ctx, "POST", "/records", in, &rec)
	return rec, err
}

// Tool is the integration; tests build it too.
func Tool(baseURL string) *sdk.Integration {
	return &sdk.Integration{
		Name:        "Custom Tool",
		Description: "Users and records of the custom tool",
		BaseURL:     baseURL,
		Auth:        sdk.APIKeyHeader("X-API-Key"),
		Actions: []*sdk.ActionDef{
			sdk.Action("fetch_data", fetchData, sdk.Describe("Fetch data about a user from the custom tool")),
			sdk.Action("create_record", createRecord, sdk.Describe("Create a new record in the custom tool"),
				sdk.Enum("priority", "low", "normal", "high"), sdk.Default("priority", "normal")),
		},
	}
}

func main() {
	base := os.Getenv("CUSTOM_TOOL_URL")
	if base == "" {
		base = "https://api.customtool.com/v1"
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Tool(base).Serve(ctx, sdk.Logger(logger), sdk.Concurrency(16)); err != nil {
		log.Fatal(err)
	}
}
