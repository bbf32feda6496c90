package connector

import (
	"os"
	"reflect"
	"testing"
)

// seedJSON is the "Custom CRM" example from the product page, verbatim.
const seedJSON = `{
  "name": "Custom CRM",
  "baseUrl": "https://api.customcrm.com/v1",
  "auth": {
    "type": "api_key",
    "location": "header",
    "key": "X-API-Key"
  },
  "actions": [
    {
      "name": "Create Contact",
      "method": "POST",
      "endpoint": "/contacts",
      "parameters": {
        "name": "string",
        "email": "string",
        "phone": "string"
      }
    },
    {
      "name": "Get Contact",
      "method": "GET",
      "endpoint": "/contacts/{id}",
      "parameters": {
        "id": "string"
      }
    }
  ]
}`

func mustParse(t *testing.T, raw string) *Definition {
	t.Helper()
	d, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseSeed(t *testing.T) {
	t.Parallel()
	d := mustParse(t, seedJSON)

	if d.Name != "Custom CRM" || d.BaseURL != "https://api.customcrm.com/v1" {
		t.Errorf("name, baseUrl = %q, %q", d.Name, d.BaseURL)
	}
	wantAuth := Auth{Type: AuthAPIKey, Location: InHeader, Key: "X-API-Key"}
	if !reflect.DeepEqual(d.Auth, wantAuth) {
		t.Errorf("auth = %+v, want %+v", d.Auth, wantAuth)
	}
	str := map[string]any{"type": "string"}
	want := []Action{
		{Key: "create_contact", Name: "Create Contact", Method: "POST", Endpoint: "/contacts", Parameters: Params{
			{Name: "name", In: InBody, Schema: str},
			{Name: "email", In: InBody, Schema: str},
			{Name: "phone", In: InBody, Schema: str},
		}},
		{Key: "get_contact", Name: "Get Contact", Method: "GET", Endpoint: "/contacts/{id}", Parameters: Params{
			{Name: "id", In: InPath, Required: true, Schema: str},
		}},
	}
	if !reflect.DeepEqual(d.Actions, want) {
		t.Errorf("actions =\n%+v\nwant\n%+v", d.Actions, want)
	}
}

func TestParseSeedFileMatchesConstant(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/custom-crm.json")
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, string(raw)), mustParse(t, seedJSON)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("testdata/custom-crm.json and seedJSON differ")
	}
}
