package sdk_test

import (
	"context"
	"errors"

	"github.com/plugboard/plugboard/sdk"
)

// The seed's example integration, in Go.

type FetchDataInput struct {
	UserID string `json:"user_id" jsonschema:"the user to fetch"`
}

type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Plan string `json:"plan"`
}

type CreateRecordInput struct {
	Title    string         `json:"title" jsonschema:"a short title"`
	Priority string         `json:"priority,omitempty"`
	Data     map[string]any `json:"data,omitempty" jsonschema:"free-form fields"`
}

type Record struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Priority string         `json:"priority"`
	Data     map[string]any `json:"data,omitempty"`
}

func fetchData(ctx context.Context, c *sdk.Call, in FetchDataInput) (User, error) {
	var u User
	err := c.Get(ctx, "/users/"+in.UserID, &u)
	return u, err
}

func createRecord(ctx context.Context, c *sdk.Call, in CreateRecordInput) (Record, error) {
	if in.Title == "fail" {
		return Record{}, sdk.Errorf(422, "title %q is reserved", in.Title)
	}
	if in.Title == "boom" {
		panic("record store exploded")
	}
	if in.Title == "plain" {
		return Record{}, errors.New("the tool is read-only today")
	}
	var r Record
	err := c.Post(ctx, "/records", in, &r)
	return r, err
}

// customTool returns a fresh definition named name, calling api.
func customTool(name, baseURL string, extra ...*sdk.ActionDef) *sdk.Integration {
	in := &sdk.Integration{
		Name:    name,
		BaseURL: baseURL + "/v1",
		Auth:    sdk.APIKeyHeader("X-API-Key"),
		Actions: []*sdk.ActionDef{
			sdk.Action("fetch_data", fetchData, sdk.Describe("Fetch data from the custom tool")),
			sdk.Action("create_record", createRecord, sdk.Describe("Create a new record"),
				sdk.Enum("priority", "low", "normal", "high"), sdk.Default("priority", "normal")),
		},
	}
	in.Handle(extra...)
	return in
}

type EchoInput struct {
	Text  string `json:"text"`
	Times int    `json:"times,omitempty" jsonschema:"how many times to repeat"`
}

// sdkEcho is an action without HTTP calls.
func sdkEcho() *sdk.ActionDef {
	return sdk.Action("echo", func(ctx context.Context, c *sdk.Call, in EchoInput) (map[string]any, error) {
		return map[string]any{"text": in.Text, "key": c.IdempotencyKey(), "attempt": c.Attempt()}, nil
	})
}
