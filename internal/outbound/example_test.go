package outbound_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/plugboard/plugboard/internal/outbound"
)

func ExampleClient_Do() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"contact":%q}`, r.URL.Query().Get("email"))
	}))
	defer api.Close()

	// Tests and local development talk to loopback servers; production
	// leaves AllowPrivate false.
	client, err := outbound.New(outbound.Config{AllowPrivate: true})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	res, err := client.Do(context.Background(), &outbound.Request{
		Key: "custom-crm",
		URL: api.URL + "/contacts?email=ada@example.com",
		Prepare: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer sandbox-token")
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, string(res.Body), res.Attempts)
	// Output: 200 {"contact":"ada@example.com"} 1
}
