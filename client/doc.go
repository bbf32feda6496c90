// Package client is the Go client of Plugboard's REST API. The plugboard
// CLI is built on it, and so are the server's own end-to-end tests.
//
// A short tour:
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("PLUGBOARD_TOKEN"))
//	in, err := c.CreateIntegration(ctx, definitionJSON)
//	if err != nil {
//		var pe *client.Error // RFC 9457 problem: Status, Detail, per-field Errors
//		if errors.As(err, &pe) { fmt.Println(pe.Detail) }
//	}
//	_, err = c.AddConnection(ctx, in.ID, client.ConnectionInput{
//		Environment: "sandbox", Credentials: map[string]string{"api_key": "…"},
//	})
//	res, err := c.Run(ctx, in.ID, "create_contact", client.RunInput{
//		Environment: "sandbox", Params: map[string]any{"name": "Ada"},
//	})
//	fmt.Println(res.Status, string(res.Body))
//
// Every method takes a context and returns *Error for API problems.
package client
