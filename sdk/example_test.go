package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/plugboard/plugboard/sdk"
)

// An integration with one typed action, served until interrupted. The
// server URL and API key come from PLUGBOARD_SERVER and PLUGBOARD_TOKEN.
func ExampleIntegration_Serve() {
	type FetchInput struct {
		UserID string `json:"user_id" jsonschema:"the user to fetch"`
	}
	type User struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	tool := &sdk.Integration{
		Name:    "Custom Tool",
		BaseURL: "https://api.customtool.example/v1",
		Auth:    sdk.APIKeyHeader("X-API-Key"),
		Actions: []*sdk.ActionDef{
			sdk.Action("fetch_data", func(ctx context.Context, c *sdk.Call, in FetchInput) (User, error) {
				var u User
				err := c.Get(ctx, "/users/"+in.UserID, &u) // the server adds X-API-Key
				return u, err
			}, sdk.Describe("Fetch a user from the custom tool")),
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := tool.Serve(ctx, sdk.Concurrency(20)); err != nil {
		log.Fatal(err)
	}
}

// The input schema agents see comes from the Go type: json tags name the
// properties, fields without omitempty are required, and jsonschema tags
// describe them. Enum and Default add what tags cannot say.
func ExampleAction() {
	type CreateRecordInput struct {
		Title    string `json:"title" jsonschema:"a short title"`
		Priority string `json:"priority,omitempty"`
	}
	type Record struct {
		ID string `json:"id"`
	}
	a := sdk.Action("create_record", func(ctx context.Context, c *sdk.Call, in CreateRecordInput) (Record, error) {
		var r Record
		err := c.Post(ctx, "/records", in, &r)
		return r, err
	}, sdk.Enum("priority", "low", "normal", "high"), sdk.Default("priority", "normal"))

	b, _ := json.Marshal(a.InputSchema())
	fmt.Println(string(b))
	// Output:
	// {"type":"object","properties":{"title":{"type":"string","description":"a short title"},"priority":{"type":"string","default":"normal","enum":["low","normal","high"]}},"required":["title"],"additionalProperties":false}
}

// Errorf chooses the status the caller sees; other errors arrive as 502
// with their message.
func ExampleErrorf() {
	type In struct {
		Amount int `json:"amount"`
	}
	sdk.Action("refund", func(ctx context.Context, c *sdk.Call, in In) (any, error) {
		if in.Amount <= 0 {
			return nil, sdk.Errorf(422, "amount must be positive, got %d", in.Amount)
		}
		return map[string]any{"refunded": in.Amount, "key": c.IdempotencyKey()}, nil
	})
}
