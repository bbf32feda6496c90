package connector_test

import (
	"fmt"

	"github.com/plugboard/plugboard/internal/connector"
)

func Example() {
	def, err := connector.Parse([]byte(`{
		"name": "Custom CRM",
		"baseUrl": "https://api.customcrm.com/v1",
		"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"name": "Get Contact", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	action, _ := def.Action("Get Contact")
	req, err := def.Build(action, connector.Production, map[string]any{"id": "42"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(action.Key, req.Method, req.URL)
	// Output: get_contact GET https://api.customcrm.com/v1/contacts/42
}

func ExampleParse_errors() {
	_, err := connector.Parse([]byte(`{
		"name": "Custom CRM",
		"baseurl": "https://api.customcrm.com/v1",
		"actions": [{"name": "Get Contact", "endpoint": "/contacts/{id}"}]
	}`))
	for _, fe := range err.(*connector.ValidationError).Errors {
		fmt.Printf("%s: %s\n", fe.Field, fe.Message)
	}
	// Output:
	// baseurl: unknown field "baseurl"; did you mean "baseUrl"?
	// actions[0].endpoint: uses {id} but no parameter "id" is declared; add "id": "string" to parameters
}

func ExampleAction_CheckParams() {
	def, _ := connector.Parse([]byte(`{"name": "CRM", "baseUrl": "https://crm.test",
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts",
			"parameters": {"name": {"type": "string", "required": true}, "email": "string"}}]}`))
	action, _ := def.Action("create_contact")
	_, err := action.CheckParams(map[string]any{"email": 7, "phone": "555"})
	fmt.Println(err)
	// Output: params.phone: unknown parameter; known: name, email; params.name: required (string); params.email: must be a string, got number
}
