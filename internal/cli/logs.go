package cli

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

// logsCmd is "plugboard logs": the call log, filtered, one entry in full,
// or followed as calls happen.
func (a *app) logsCmd() *cobra.Command {
	var f struct {
		integration, action, env, source, status string
		since                                    time.Duration
		limit                                    int
		follow                                   bool
		interval                                 time.Duration
	}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "List the calls made to APIs, newest first; --follow shows new ones as they happen",
		Example: `  plugboard logs --integration custom_crm --status error --since 1h
  plugboard logs --follow
  plugboard logs show log_06h2f1d3s13efbjnr04skd60vw`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"integration": f.integration, "action": f.action, "environment": f.env, "source": f.source, "status": f.status} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if f.since > 0 {
				q.Set("since", time.Now().Add(-f.since).UTC().Format(time.RFC3339))
			}
			if f.limit < 1 || f.limit > 500 {
				return usageError{fmt.Errorf("--limit must be between 1 and 500, got %d", f.limit)}
			}
			q.Set("limit", strconv.Itoa(f.limit))
			ctx := cmd.Context()
			// --follow's baseline, read before the listing: a call made
			// between the two is in the listing, so none falls between.
			var baseline []client.CallLog
			if f.follow {
				if baseline, err = c.Logs(ctx, followQuery(q)); err != nil {
					return err
				}
			}
			logs, err := c.Logs(ctx, q)
			if err != nil {
				return err
			}
			slices.Reverse(logs) // oldest first, so the newest ends next to the prompt
			a.printLogs(logs, true)
			if !f.follow {
				return nil
			}
			return a.followLogs(ctx, c, followQuery(q), append(logs, baseline...), f.interval)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.integration, "integration", "", "only calls of this integration (id or slug)")
	fl.StringVar(&f.action, "action", "", "only calls of this action key")
	fl.StringVar(&f.env, "env", "", "only sandbox or production calls")
	fl.StringVar(&f.source, "source", "", "only calls made through api, dashboard, mcp, trigger or worker")
	fl.StringVar(&f.status, "status", "", "ok (2xx/3xx), error (4xx/5xx or failed) or an HTTP status such as 404")
	fl.DurationVar(&f.since, "since", 0, "only calls in this last stretch of time, e.g. 30m or 24h")
	fl.IntVar(&f.limit, "limit", 50, "how many calls to list, 1 to 500")
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing new calls as they happen (Ctrl-C stops)")
	fl.DurationVar(&f.interval, "interval", time.Second, "with --follow, how often to look for new calls")
	_ = cmd.RegisterFlagCompletionFunc("integration", a.completeIntegrations)

	show := &cobra.Command{
		Use:   "show <log id>",
		Short: "Show one call with its request and response (secrets redacted)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			l, err := c.Log(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, l)
			}
			fmt.Fprintf(a.stdout, "%s  %s\n  integration: %s  action: %s  environment: %s  source: %s\n  %s %s\n  status: %s  in %.0f ms\n",
				l.ID, l.CreatedAt.Local().Format(time.RFC3339), l.IntegrationID, l.Action, l.Environment, l.Source, l.Method, l.URL, logStatus(*l), l.DurationMS)
			if l.Error != "" {
				fmt.Fprintf(a.stdout, "  error: %s\n", l.Error)
			}
			for _, part := range []struct{ name, text string }{
				{"request headers", l.RequestHeaders}, {"request body", l.RequestBody},
				{"response headers", l.ResponseHeaders}, {"response body", l.ResponseBody},
			} {
				if part.text != "" {
					fmt.Fprintf(a.stdout, "\n%s:\n%s\n", part.name, part.text)
				}
			}
			return nil
		},
	}
	cmd.AddCommand(show)
	return cmd
}

// What --follow reads per look: pages of followPage calls, newest first,
// at most followPages of them.
const (
	followPage  = 200
	followPages = 10
)

// followQuery is what --follow reads at each look: the listing's filters,
// a page of followPage calls, from the newest.
func followQuery(q url.Values) url.Values {
	fq := maps.Clone(q)
	fq.Set("limit", strconv.Itoa(followPage))
	fq.Del("since")
	return fq
}

// followLogs prints the calls that come after it starts, oldest first.
// seen holds the calls listed, and the newest calls when it started (its
// baseline), which are never printed: the listing's filters (--since,
// --limit) may have left some of them out, and they are not new. Entries
// are written in batches, so a look may bring calls made before ones
// already printed; the set of seen ids, not their order, decides what is
// new. When more calls came since the last look than a page holds, it
// pages back to the calls it has seen, and says so when even followPages
// pages were not enough.
func (a *app) followLogs(ctx context.Context, c *client.Client, q url.Values, seenCalls []client.CallLog, interval time.Duration) error {
	seen := map[string]bool{}
	for _, l := range seenCalls {
		seen[l.ID] = true
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		fresh, newest, complete, err := newCalls(ctx, c, q, seen)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !complete {
			fmt.Fprintf(a.stderr, "plugboard: more than %d calls came since the last look; the older ones among them are not shown (filter the calls, or look more often with --interval)\n", followPage*followPages)
		}
		slices.Reverse(fresh)
		a.printLogs(fresh, false)
		if len(seen) > 10*followPage*followPages { // keep what the next looks can reach
			seen = map[string]bool{}
			for _, l := range newest {
				seen[l.ID] = true
			}
		}
	}
}

// newCalls reads the calls not seen yet, newest first, page by page until
// a page holds a call seen before or is the last; complete is false when
// followPages pages did not get that far. newest is the first page.
func newCalls(ctx context.Context, c *client.Client, q url.Values, seen map[string]bool) (fresh, newest []client.CallLog, complete bool, err error) {
	page := maps.Clone(q)
	for n := range followPages {
		logs, err := c.Logs(ctx, page)
		if err != nil {
			return nil, nil, false, err
		}
		if n == 0 {
			newest = logs
		}
		reached := false
		for _, l := range logs {
			if seen[l.ID] {
				reached = true
				continue
			}
			seen[l.ID] = true
			fresh = append(fresh, l)
		}
		if reached || len(logs) < followPage {
			return fresh, newest, true, nil
		}
		page.Set("cursor", logs[len(logs)-1].ID)
	}
	return fresh, newest, false, nil
}

const logFormat = "%-19s  %-30s  %-30s  %-24s  %-10s  %-9s  %6s  %s\n"

func (a *app) printLogs(logs []client.CallLog, header bool) {
	if a.output == "json" {
		for _, l := range logs {
			l.RequestHeaders, l.RequestBody, l.ResponseHeaders, l.ResponseBody = "", "", "", ""
			_ = printJSONLine(a.stdout, l)
		}
		return
	}
	if header {
		fmt.Fprintf(a.stdout, logFormat, "TIME", "ID", "INTEGRATION", "ACTION", "ENV", "SOURCE", "STATUS", "DURATION")
	}
	for _, l := range logs {
		fmt.Fprintf(a.stdout, logFormat, l.CreatedAt.Local().Format("2006-01-02 15:04:05"), l.ID, l.IntegrationID, l.Action, l.Environment, l.Source,
			logStatus(l), fmt.Sprintf("%.0fms", l.DurationMS))
	}
}

func logStatus(l client.CallLog) string {
	if l.Status == 0 {
		return "failed"
	}
	return strconv.Itoa(l.Status)
}
