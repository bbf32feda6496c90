package cli

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plugboard/plugboard/client"
)

// credentialFlags are the flags that carry an API's credentials. They are
// named after the credential, never --token: that is the global flag with
// the Plugboard API key the CLI signs in with.
type credentialFlags struct {
	apiKey, bearer, username, password, clientID, clientSecret string
	extra                                                      []string
}

func (cf *credentialFlags) add(f *pflag.FlagSet) {
	f.StringVar(&cf.apiKey, "api-key", "", "the API's key (auth type api_key)")
	f.StringVar(&cf.bearer, "bearer-token", "", "the API's bearer token (auth type bearer)")
	f.StringVar(&cf.bearer, "token-value", "", "")
	_ = f.MarkHidden("token-value") // the earlier name of --bearer-token
	f.StringVar(&cf.username, "username", "", "Basic auth user name")
	f.StringVar(&cf.password, "password", "", "Basic auth password")
	f.StringVar(&cf.clientID, "client-id", "", "OAuth 2.0 client id")
	f.StringVar(&cf.clientSecret, "client-secret", "", "OAuth 2.0 client secret")
	f.StringArrayVar(&cf.extra, "credential", nil, "any credential field as name=value (repeatable)")
}

// credentials are the fields given, as the API takes them.
func (cf *credentialFlags) credentials() (map[string]string, error) {
	creds := map[string]string{}
	for k, v := range map[string]string{"api_key": cf.apiKey, "token": cf.bearer, "username": cf.username, "password": cf.password, "client_id": cf.clientID, "client_secret": cf.clientSecret} {
		if v != "" {
			creds[k] = v
		}
	}
	for _, kv := range cf.extra {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageError{fmt.Errorf("--credential %q: want name=value", kv)}
		}
		creds[k] = v
	}
	return creds, nil
}

// tokenMistaken catches `--token <the API's token>` on a connection
// command: that flag is the Plugboard API key, and the credential would
// silently be missing. PLUGBOARD_TOKEN in the environment is no mistake.
func (a *app) tokenMistaken(creds map[string]string) error {
	if len(creds) == 0 && a.typed["token"] {
		return usageError{errors.New("--token is your Plugboard API key (PLUGBOARD_TOKEN), not the API's credential; give the API's bearer token with --bearer-token, or its key with --api-key")}
	}
	return nil
}

func (a *app) connectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "connections", Aliases: []string{"connection", "conn"}, Short: "Add and list the credentials integrations call APIs with"}

	var in client.ConnectionInput
	var cf credentialFlags
	add := &cobra.Command{
		Use:   "add <integration>",
		Short: "Store credentials for an environment (they are encrypted and never shown again)",
		Example: `  plugboard connections add custom_crm --env sandbox --api-key "$CRM_KEY"
  plugboard connections add github --env production --bearer-token "$GITHUB_TOKEN"
  plugboard connections add billing --username "$USER" --password "$PASSWORD"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIntegrations,
		RunE: func(cmd *cobra.Command, args []string) error {
			creds, err := cf.credentials()
			if err != nil {
				return err
			}
			if err := a.tokenMistaken(creds); err != nil {
				return err
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
	cf.add(f)

	var ucf credentialFlags
	var baseURL string
	update := &cobra.Command{
		Use:               "update <integration> <connection>",
		Short:             "Replace a connection's credentials or base URL",
		Example:           `  plugboard connections update github con_123 --client-id "$ID" --client-secret "$SECRET"`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeIntegrations,
		RunE: func(cmd *cobra.Command, args []string) error {
			creds, err := ucf.credentials()
			if err != nil {
				return err
			}
			if err := a.tokenMistaken(creds); err != nil {
				return err
			}
			changes := map[string]any{}
			if len(creds) > 0 {
				changes["credentials"] = creds
			}
			if cmd.Flags().Changed("base-url") {
				changes["base_url"] = baseURL
			}
			if len(changes) == 0 {
				return usageError{errors.New("nothing to change: give credential flags or --base-url")}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var conn client.Connection
			if err := c.Do(cmd.Context(), "PUT", "/v1/integrations/"+url.PathEscape(args[0])+"/connections/"+url.PathEscape(args[1]), changes, &conn); err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, conn)
			}
			fmt.Fprintf(a.stdout, "updated %s connection %s (%s)\n", conn.Environment, conn.ID, conn.Status)
			return nil
		},
	}
	update.Flags().StringVar(&baseURL, "base-url", "", "the connection's own base URL (empty: the integration's)")
	ucf.add(update.Flags())

	del := destructive(&cobra.Command{
		Use:               "delete <integration> <connection>",
		Short:             "Delete a connection and its stored credentials",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeIntegrations,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := a.confirm(cmd, fmt.Sprintf("Delete connection %s of %s with its credentials", args[1], args[0])); err != nil {
				return err
			}
			if err := c.Do(cmd.Context(), "DELETE", "/v1/integrations/"+url.PathEscape(args[0])+"/connections/"+url.PathEscape(args[1]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "deleted connection %s\n", args[1])
			return nil
		},
	})

	list := &cobra.Command{
		Use:               "list <integration>",
		Short:             "List the connections you can use",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIntegrations,
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
	cmd.AddCommand(add, update, del, list, a.connectionsAuthorizeCmd())
	return cmd
}
