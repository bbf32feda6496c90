package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

// retentionCmd is "plugboard retention": what an organization keeps and for
// how long; the platform operator overrides a plan's defaults.
func (a *app) retentionCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "retention", Short: "Show how long data is kept; the platform operator overrides it per organization"}

	var orgID string
	show := &cobra.Command{
		Use: "show", Short: "Show what is kept and for how long (--org: another organization, for the platform operator)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withRetention(func(c *client.Client) (*client.Retention, error) {
				if orgID == "" {
					o, err := c.GetOrg(cmd.Context())
					if err != nil {
						return nil, err
					}
					return &o.Retention, nil
				}
				return c.Retention(cmd.Context(), orgID)
			})
		},
	}
	show.Flags().StringVar(&orgID, "org", "", "organization id (platform operator)")

	var events, logs, bodies int
	set := &cobra.Command{
		Use:     "set --org ID [--events-days N] [--call-logs-days N] [--call-log-bodies-days N]",
		Short:   "Override an organization's retention (platform operator); unset flags keep the plan's default",
		Example: `  plugboard retention set --org org_123 --events-days 30 --call-logs-days 30 --call-log-bodies-days 7`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := client.RetentionInput{}
			for _, f := range []struct {
				name string
				v    int
				to   **int
			}{{"events-days", events, &in.EventsDays}, {"call-logs-days", logs, &in.CallLogsDays}, {"call-log-bodies-days", bodies, &in.CallLogBodiesDays}} {
				if cmd.Flags().Changed(f.name) {
					v := f.v
					*f.to = &v
				}
			}
			return a.withRetention(func(c *client.Client) (*client.Retention, error) {
				return c.SetRetention(cmd.Context(), orgID, in)
			})
		},
	}
	set.Flags().StringVar(&orgID, "org", "", "organization id")
	set.Flags().IntVar(&events, "events-days", 0, "days webhook events and their trigger runs are kept")
	set.Flags().IntVar(&logs, "call-logs-days", 0, "days call log entries are kept")
	set.Flags().IntVar(&bodies, "call-log-bodies-days", 0, "days the call log keeps request and response bodies and headers")
	_ = set.MarkFlagRequired("org")

	reset := &cobra.Command{
		Use: "reset --org ID", Short: "Put an organization back on its plan's retention (platform operator)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withRetention(func(c *client.Client) (*client.Retention, error) {
				return c.ResetRetention(cmd.Context(), orgID)
			})
		},
	}
	reset.Flags().StringVar(&orgID, "org", "", "organization id")
	_ = reset.MarkFlagRequired("org")

	cmd.AddCommand(show, set, reset)
	return cmd
}

func (a *app) withRetention(get func(*client.Client) (*client.Retention, error)) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	r, err := get(c)
	if err != nil {
		return err
	}
	if a.output == "json" {
		return printJSON(a.stdout, r)
	}
	days := func(n int) string { return strconv.Itoa(n) + " days" }
	table(a.stdout, []string{"DATA", "KEPT"}, [][]string{
		{"webhook events, trigger runs", days(r.EventsDays)},
		{"call log entries", days(r.CallLogsDays)},
		{"call log bodies and headers", days(r.CallLogBodiesDays)},
		{"idempotency records", strconv.Itoa(r.IdempotencyHours) + " hours"},
		{"sessions, OAuth states", r.Sessions},
		{"audit trail", r.AuditTrail},
	})
	fmt.Fprintf(a.stdout, "from the %s\n", map[string]string{"plan": "plan's defaults", "override": "platform operator's override"}[r.Source])
	return nil
}
