package cli

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// signinLinkCmd is "plugboard signin-link": a new single-use dashboard
// link for a member who has not set a password, such as the first owner
// who lost the link the server printed or let it expire.
func (a *app) signinLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "signin-link [member id]",
		Short: "Make a new one-time dashboard sign-in link for a member who has no password yet (default: you)",
		Long: `Make a new one-time link with which a member sets their dashboard password:
the owner of a new server (with the owner API key) when the link printed at the
first start was lost or has expired, or an invited member whose invitation link
is gone. Owners and admins may; a member who has a password signs in with it.
While the first owner has no password, 'plugboard serve' also prints a new link
at each start.`,
		Example: `  PLUGBOARD_TOKEN=<owner key> plugboard signin-link
  plugboard signin-link usr_06h2f1d3s13efbjnr04skd60vw`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			who := "me"
			if len(args) == 1 {
				who = args[0]
			}
			var out struct {
				User struct {
					Email string `json:"email"`
				} `json:"user"`
				URL     string `json:"signin_url"`
				Expires string `json:"signin_url_expires_at"`
			}
			if err := c.Do(cmd.Context(), "POST", "/v1/users/"+url.PathEscape(who)+"/signin-link", map[string]string{}, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, out)
			}
			fmt.Fprintf(a.stdout, "one-time sign-in link for %s (valid until %s):\n\n    %s\n", out.User.Email, out.Expires, out.URL)
			return nil
		},
	}
}
