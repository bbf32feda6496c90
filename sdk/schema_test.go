package sdk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/plugboard/plugboard/internal/worker"
	"github.com/plugboard/plugboard/internal/worker/wire"
	"github.com/plugboard/plugboard/sdk"
)

type Address struct {
	Street  string `json:"street"`
	Country string `json:"country,omitempty"`
}

type ShipInput struct {
	OrderID  string    `json:"order_id" jsonschema:"the order to ship"`
	Express  bool      `json:"express,omitempty"`
	Weight   float64   `json:"weight_kg"`
	Quantity uint8     `json:"quantity,omitzero"`
	Tags     []string  `json:"tags,omitempty"`
	Address  Address   `json:"address"`
	Notes    *string   `json:"notes,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Internal string    `json:"-"`
}

type Shipment struct {
	ID string `json:"id"`
}

func ship(ctx context.Context, c *sdk.Call, in ShipInput) (Shipment, error) { return Shipment{}, nil }

func TestSchemasFromGoTypes(t *testing.T) {
	t.Parallel()
	a := sdk.Action("ship", ship, sdk.Enum("address.country", "FR", "DE"), sdk.Default("express", false),
		sdk.EditSchema(func(s *jsonschema.Schema) error { s.Properties["weight_kg"].Minimum = jsonschema.Ptr(0.0); return nil }))
	in := a.InputSchema()
	if got := strings.Join(in.Required, ","); got != "order_id,weight_kg,address" {
		t.Errorf("required = %s", got)
	}
	checks := map[string]string{
		"order_id":  `{"type":"string","description":"the order to ship"}`,
		"express":   `{"type":"boolean","default":false}`,
		"weight_kg": `{"type":"number","minimum":0}`,
		"quantity":  `{"type":"integer","minimum":0,"maximum":255}`,
		"tags":      `{"type":["null","array"],"items":{"type":"string"}}`,
		"notes":     `{"type":["null","string"]}`,
		"at":        `{"type":"string"}`,
	}
	for name, want := range checks {
		if got := jsonText(t, in.Properties[name]); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if _, ok := in.Properties["Internal"]; ok {
		t.Error(`a json:"-" field became a property`)
	}
	addr := jsonText(t, in.Properties["address"])
	if !strings.Contains(addr, `"enum":["FR","DE"]`) || !strings.Contains(addr, `"required":["street"]`) || !strings.Contains(addr, `"additionalProperties":false`) {
		t.Errorf("address = %s", addr)
	}
	if out := jsonText(t, a.OutputSchema()); !strings.Contains(out, `"id"`) {
		t.Errorf("output schema = %s", out)
	}

	// The server turns it into parameters and accepts it.
	def, err := worker.Definition(wire.Integration{Name: "Shipping", BaseURL: "https://api.example.com", Auth: wire.Auth{Type: "none"},
		Actions: []wire.Action{{Key: a.Key(), Name: "Ship", InputSchema: mustJSON(t, in)}}})
	if err != nil {
		t.Fatalf("server refused the schema: %v", err)
	}
	act, _ := def.Action("ship")
	var names []string
	for _, p := range act.Parameters {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "order_id,express,weight_kg,quantity,tags,address,notes,at" {
		t.Errorf("parameters in order: %v", names)
	}
	if _, err := act.CheckParams(map[string]any{"order_id": "o1", "weight_kg": 2, "address": map[string]any{"street": "x", "country": "ES"}}); err == nil || !strings.Contains(err.Error(), "address") {
		t.Errorf("a value outside the enum was accepted: %v", err)
	}
	params, err := act.CheckParams(map[string]any{"order_id": "o1", "weight_kg": 2, "address": map[string]any{"street": "x"}})
	if err != nil || params["express"] != false {
		t.Errorf("valid params: %v %v", params, err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	type Bad struct {
		C chan int `json:"c"`
	}
	in := &sdk.Integration{BaseURL: "ftp://x", Actions: []*sdk.ActionDef{
		sdk.Action("not a key", ship),
		sdk.Action("scalar", func(ctx context.Context, c *sdk.Call, in string) (string, error) { return in, nil }),
		sdk.Action("chan", func(ctx context.Context, c *sdk.Call, in Bad) (string, error) { return "", nil }),
		sdk.Action("ship", ship, sdk.Enum("nope", 1)),
		sdk.Action("ship", ship),
	}}
	err := in.Validate()
	for _, want := range []string{"Name is required", "BaseURL", `"not a key"`, "must be a struct", `"chan"`, `no property "nope"`, `two actions have the key "ship"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to mention %q", err, want)
		}
	}
	if err := in.Serve(context.Background(), sdk.Server("http://127.0.0.1:1")); err == nil {
		t.Error("Serve started an invalid integration")
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	return json.RawMessage(jsonText(t, v))
}
