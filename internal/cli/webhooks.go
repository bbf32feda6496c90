package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

func (a *app) webhooksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "webhooks", Aliases: []string{"webhook", "wh"}, Short: "Receive events: create webhooks, inspect and replay their events"}

	var file string
	create := &cobra.Command{
		Use:   "create -f webhook.json",
		Short: "Create a webhook from a JSON body (- reads standard input); prints its URL and its secret, once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := a.readInput(file)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var wh client.Webhook
			if err := c.Do(cmd.Context(), "POST", "/v1/webhooks", body, &wh); err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, wh)
			}
			fmt.Fprintf(a.stdout, "created webhook %s (%s)\n  url:    %s\n  secret: %s  (shown only now)\n  triggers: %d\n", wh.Name, wh.Source, wh.URL, wh.Secret, len(wh.Triggers))
			return nil
		},
	}
	create.Flags().StringVarP(&file, "file", "f", "", "webhook JSON file, or - for standard input")
	_ = create.MarkFlagRequired("file")

	list := &cobra.Command{
		Use:   "list",
		Short: "List webhooks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			list, err := c.ListWebhooks(cmd.Context())
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, list)
			}
			rows := [][]string{}
			for _, wh := range list {
				rows = append(rows, []string{wh.ID, wh.Name, wh.Source, strconv.Itoa(len(wh.Triggers)), wh.URL})
			}
			table(a.stdout, []string{"ID", "NAME", "SOURCE", "TRIGGERS", "URL"}, rows)
			return nil
		},
	}

	get := &cobra.Command{
		Use:   "get <webhook>",
		Short: "Show a webhook and its triggers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			wh, err := c.GetWebhook(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(a.stdout, wh)
		},
	}

	var q client.EventQuery
	events := &cobra.Command{
		Use:   "events <webhook>",
		Short: "List a webhook's events, newest first (--status dead lists the dead-letter list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			page, err := c.ListEvents(cmd.Context(), args[0], q)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, page)
			}
			a.eventRows(page.Events)
			if page.NextCursor != "" {
				fmt.Fprintf(a.stdout, "\nmore: --cursor %s\n", page.NextCursor)
			}
			return nil
		},
	}
	events.Flags().StringVar(&q.Status, "status", "", "unmatched, pending, retrying, succeeded or dead")
	events.Flags().StringVar(&q.Trigger, "trigger", "", "only events with a run of this trigger id")
	events.Flags().StringVar(&q.Cursor, "cursor", "", "continue after this event id (from the previous page)")
	events.Flags().IntVar(&q.Limit, "limit", 50, "events per page, 1 to 500")

	var replayStatus string
	replay := &cobra.Command{
		Use:   "replay <event id> | replay --webhook <webhook> [--status dead]",
		Short: "Run an event's triggers again, or every dead run of a webhook",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			webhookID, _ := cmd.Flags().GetString("webhook")
			var res *client.Replay
			switch {
			case len(args) == 1 && webhookID == "":
				res, err = c.ReplayEvent(cmd.Context(), args[0])
			case len(args) == 0 && webhookID != "":
				res, err = c.ReplayWebhook(cmd.Context(), webhookID, replayStatus)
			default:
				return usageError{fmt.Errorf("give either an event id or --webhook")}
			}
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "queued %d trigger run(s) again\n", res.Replayed)
			return nil
		},
	}
	replay.Flags().String("webhook", "", "replay this webhook's runs in --status")
	replay.Flags().StringVar(&replayStatus, "status", "dead", "dead or succeeded (with --webhook)")

	cmd.AddCommand(create, list, get, events, replay, a.tailCmd())
	return cmd
}

// tailCmd follows a webhook's events: each new event as it arrives, and a
// line again whenever the outcome of one still running changes, until it
// has one (succeeded, dead or unmatched).
func (a *app) tailCmd() *cobra.Command {
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "tail <webhook>",
		Short: "Follow a webhook's events and their outcomes as they change (Ctrl-C stops)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			page, err := c.ListEvents(ctx, args[0], client.EventQuery{Limit: 1})
			if err != nil {
				return err
			}
			t := &tail{a: a, c: c, webhook: args[0], open: map[string]string{}, recent: map[string]time.Time{}}
			if len(page.Events) > 0 {
				t.after = page.Events[0].ID
			}
			if a.output != "json" {
				fmt.Fprintf(a.stderr, "following events of %s…\n", args[0])
				fmt.Fprintf(a.stdout, tailFormat, "RECEIVED", "EVENT", "STATUS", "PROVIDER ID", "FROM", "RUNS (status/attempts)")
			}
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				if err := t.poll(ctx); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
			}
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to look for new events and changed outcomes")
	return cmd
}

const tailFormat = "%-12s  %-30s  %-9s  %-16s  %-15s  %s\n"

// tailWatchLimit bounds how many unsettled events a tail keeps asking about.
const tailWatchLimit = 200

// tailMargin is how far back each look of a tail reads again. An event
// gets its id when it arrives and is committed with others a moment later,
// so one that arrived just before another can be committed, and listed,
// just after it: a tail that read on from the last id it printed would
// never show it.
const tailMargin = time.Second

// tail is the state of one `webhooks tail`: where its looks start, the
// events printed since (read again while they are within tailMargin of the
// newest), and the last status printed of each event whose outcome may
// still change.
type tail struct {
	a       *app
	c       *client.Client
	webhook string
	after   string
	recent  map[string]time.Time // printed events after `after`: their arrival
	newest  time.Time
	open    map[string]string
	order   []string
}

func (t *tail) poll(ctx context.Context) error {
	for _, id := range slices.Clone(t.order) {
		e, err := t.c.GetEvent(ctx, id)
		if err != nil {
			var ce *client.Error
			if errors.As(err, &ce) && ce.Status == 404 {
				t.forget(id)
				continue
			}
			return err
		}
		if e.Status != t.open[id] {
			t.print(*e)
		}
	}
	from := t.after
	for {
		page, err := t.c.ListEvents(ctx, t.webhook, client.EventQuery{After: from, Limit: 500})
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			from = e.ID
			if _, printed := t.recent[e.ID]; printed {
				continue
			}
			t.print(e)
			t.recent[e.ID] = e.ReceivedAt
			if e.ReceivedAt.After(t.newest) {
				t.newest = e.ReceivedAt
			}
		}
		if len(page.Events) < 500 {
			break
		}
	}
	// Events that arrived more than tailMargin before the newest are all
	// committed by now: the next look starts after them.
	cut := t.newest.Add(-tailMargin)
	for id, at := range t.recent {
		if at.Before(cut) {
			t.after = max(t.after, id)
			delete(t.recent, id)
		}
	}
	return nil
}

// print writes one line for e and keeps watching it while it may change.
func (t *tail) print(e client.Event) {
	if t.a.output == "json" {
		e.Headers, e.Body = nil, nil
		b, _ := json.Marshal(e)
		fmt.Fprintln(t.a.stdout, string(b))
	} else {
		r := eventRow(e)
		fmt.Fprintf(t.a.stdout, tailFormat, r[0], r[1], r[2], r[3], r[4], r[5])
	}
	switch e.Status {
	case "pending", "retrying":
		if _, ok := t.open[e.ID]; !ok {
			if len(t.order) >= tailWatchLimit {
				t.forget(t.order[0])
			}
			t.order = append(t.order, e.ID)
		}
		t.open[e.ID] = e.Status
	default:
		t.forget(e.ID)
	}
}

func (t *tail) forget(id string) {
	delete(t.open, id)
	t.order = slices.DeleteFunc(t.order, func(s string) bool { return s == id })
}

func eventRow(e client.Event) []string {
	runs := ""
	for i, r := range e.Runs {
		if i > 0 {
			runs += " "
		}
		runs += r.Status + "/" + strconv.Itoa(r.Attempts)
	}
	provider := e.ProviderEventID
	if provider == "" {
		provider = "-"
	}
	return []string{e.ReceivedAt.Local().Format("15:04:05.000"), e.ID, e.Status, provider, e.SourceIP, runs}
}

func (a *app) eventRows(events []client.Event) {
	rows := [][]string{}
	for _, e := range events {
		rows = append(rows, eventRow(e))
	}
	table(a.stdout, []string{"RECEIVED", "ID", "STATUS", "PROVIDER ID", "FROM", "RUNS (status/attempts)"}, rows)
}
