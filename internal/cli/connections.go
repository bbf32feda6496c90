package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Aliases: []string{"connection", "conn"}, Short: "Add and list the credentials integrations call APIs with"}

	var in client.ConnectionInput
	var apiKey, token, username, password, clientID, clientSecret string
	var extra []string
	add := &cobra.Command{
		Use:   "add <integration>",
		Short: "Store credentials for an environment (they are encrypted and never shown again)",
		Example: `  plugboard connections add custom_crm --env sandbox --api-key "$CRM_KEY"
  plugboard connections add github --env production --token "$GITHUB_TOKEN"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			creds := map[string]string{}
			for k, v := range map[string]string{"api_key": apiKey, "token": token, "username": username, "password": password, "client_id": clientID, "client_secret": clientSecret} {
				if v != "" {
					creds[k] = v
				}
			}
			for _, kv := range extra {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageError{fmt.Errorf("--credential %q: want name=value", kv)}
				}
				creds[k] = v
			}
			in.Credentials = creds
			c, err := a.client()
			if err != nil {
				return err
			}
			conn, err := c.AddConnection(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, conn)
			}
			fmt.Fprintf(a.stdout, "added %s connection %s (%s)\n", conn.Environment, conn.ID, conn.Status)
			if conn.AuthorizeURL != "" {
				fmt.Fprintf(a.stdout, "finish the OAuth 2.0 flow: plugboard connections authorize %s %s\n", args[0], conn.ID)
			}
			return nil
		},
	}
	f := add.Flags()
	f.StringVar(&in.Environment, "env", "sandbox", "sandbox or production")
	f.StringVar(&in.BaseURL, "base-url", "", "override the integration's base URL for this connection")
	f.BoolVar(&in.Personal, "personal", false, "make it your own connection instead of the organization's shared one")
	f.StringVar(&apiKey, "api-key", "", "API key")
	f.StringVar(&token, "token-value", "", "bearer token")
	f.StringVar(&username, "username", "", "Basic auth user name")
	f.StringVar(&password, "password", "", "Basic auth password")
	f.StringVar(&clientID, "client-id", "", "OAuth 2.0 client id")
	f.StringVar(&clientSecret, "client-secret", "", "OAuth 2.0 client secret")
	f.StringArrayVar(&extra, "credential", nil, "any credential field as name=value (repeatable)")

	list := &cobra.Command{
		Use:   "list <integration>",
		Short: "List the connections you can use",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			conns, err := c.ListConnections(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, conns)
			}
			rows := [][]string{}
			for _, c := range conns {
				owner := "shared"
				if c.UserID != "" {
					owner = "personal"
				}
				rows = append(rows, []string{c.ID, c.Environment, owner, c.Status, c.StatusReason})
			}
			table(a.stdout, []string{"ID", "ENVIRONMENT", "OWNER", "STATUS", "REASON"}, rows)
			return nil
		},
	}
	cmd.AddCommand(add, list, a.connectionsAuthorizeCmd())
	return cmd
}
