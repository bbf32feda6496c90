package openapi_test

import (
	"context"
	"fmt"

	"github.com/plugboard/plugboard/internal/openapi"
)

func ExampleImport() {
	doc := []byte(`openapi: 3.0.3
info: {title: Contacts, version: "1"}
servers: [{url: "https://crm.example.com/api"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
paths:
  /contacts/{id}:
    get:
      operationId: getContact
      summary: Get a contact
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: The contact.}}
    delete:
      summary: Delete a contact
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
      responses: {"204": {description: Deleted.}}
`)
	def, report, err := openapi.Import(context.Background(), doc, openapi.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(def.Name, def.BaseURL, def.Auth.Type, def.Auth.Key)
	for _, a := range def.Actions {
		fmt.Printf("%s: %s %s (%s)\n", a.Key, a.Method, a.Endpoint, a.Name)
	}
	for _, s := range report.Skipped {
		fmt.Printf("skipped in %s: %s\n", s.Operation, s.Reason)
	}
	// Output:
	// Contacts https://crm.example.com/api api_key X-API-Key
	// get_contact: GET /contacts/{id} (Get a contact)
	// delete_contacts_id: DELETE /contacts/{id} (Delete a contact)
	// skipped in DELETE /contacts/{id}: cookie parameter "session" left out: Plugboard does not send cookies
}
