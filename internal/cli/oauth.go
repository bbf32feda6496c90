package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// connectionsAuthorizeCmd is `plugboard connections authorize`: it starts
// the OAuth 2.0 authorization code flow of a connection, prints the URL to
// open, and waits until the callback made the connection active or the
// flow failed.
func (a *app) connectionsAuthorizeCmd() *cobra.Command {
	var wait bool
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:   "authorize <integration> <connection>",
		Short: "Connect an OAuth 2.0 connection: prints the provider's sign-in URL and waits",
		Example: `  plugboard connections add github --env production --client-id "$ID" --client-secret "$SECRET"
  plugboard connections authorize github con_123`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			before, err := c.GetConnection(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			link, err := c.AuthorizeURL(ctx, args[0], args[1])
			if err != nil {
				return err
			}
			if a.output == "json" && !wait {
				return printJSON(a.stdout, map[string]string{"authorize_url": link})
			}
			if a.output != "json" {
				fmt.Fprintf(a.stdout, "Open this URL in a browser and sign in to the provider (valid for 10 minutes):\n\n  %s\n\n", link)
			}
			if !wait {
				return nil
			}
			if a.output != "json" {
				fmt.Fprintln(a.stdout, "Waiting for the provider to send you back…")
			}
			deadline := time.Now().Add(timeout)
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(interval):
				}
				now, err := c.GetConnection(ctx, args[0], args[1])
				if err != nil {
					return err
				}
				if !now.UpdatedAt.Equal(before.UpdatedAt) {
					if now.Status == "active" && now.StatusReason == "" {
						if a.output == "json" {
							return printJSON(a.stdout, now)
						}
						fmt.Fprintf(a.stdout, "connected: %s connection %s is active\n", now.Environment, now.ID)
						return nil
					}
					if now.StatusReason != "" {
						return fmt.Errorf("not connected: %s", now.StatusReason)
					}
					before = now
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("gave up after %s without an answer from the provider; run the command again for a new link", timeout)
				}
			}
		},
	}
	f := cmd.Flags()
	f.BoolVar(&wait, "wait", true, "wait until the connection is active (--wait=false only prints the URL)")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the sign-in")
	f.DurationVar(&interval, "poll", 2*time.Second, "how often to check the connection")
	return cmd
}
