package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

func (a *app) integrationsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "integrations", Aliases: []string{"integration", "int"}, Short: "Create, list, deploy and import integrations"}

	var file string
	create := &cobra.Command{
		Use:   "create -f definition.json",
		Short: "Create an integration from a JSON definition (- reads standard input)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			def, err := a.readInput(file)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			in, err := c.CreateIntegration(cmd.Context(), def)
			if err != nil {
				return err
			}
			return a.showIntegration(in, "created")
		},
	}
	create.Flags().StringVarP(&file, "file", "f", "", "definition file, or - for standard input")
	_ = create.MarkFlagRequired("file")

	var updateFile string
	update := &cobra.Command{
		Use:   "update <integration> -f definition.json",
		Short: "Store a new draft version of an integration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			def, err := a.readInput(updateFile)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			before, err := c.GetIntegration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			in, err := c.UpdateIntegration(cmd.Context(), args[0], def)
			if err != nil {
				return err
			}
			if in.Version == before.Version {
				return a.showIntegration(in, "unchanged, no new version of")
			}
			return a.showIntegration(in, "updated")
		},
	}
	update.Flags().StringVarP(&updateFile, "file", "f", "", "definition file, or - for standard input")
	_ = update.MarkFlagRequired("file")

	list := &cobra.Command{
		Use:   "list",
		Short: "List integrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			list, err := c.ListIntegrations(cmd.Context())
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, list)
			}
			rows := [][]string{}
			for _, in := range list {
				rows = append(rows, []string{in.ID, in.Slug, in.Name, strconv.Itoa(in.Version), deployedText(in), strconv.Itoa(len(in.Actions))})
			}
			table(a.stdout, []string{"ID", "SLUG", "NAME", "DRAFT", "DEPLOYED", "ACTIONS"}, rows)
			return nil
		},
	}

	get := &cobra.Command{
		Use:   "get <integration>",
		Short: "Show an integration and its actions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			in, err := c.GetIntegration(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.showIntegration(in, "")
		},
	}

	deploy := &cobra.Command{
		Use:   "deploy <integration>",
		Short: "Deploy the latest version, making its actions available to agents",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			in, err := c.Deploy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.showIntegration(in, fmt.Sprintf("deployed version %d of", in.DeployedVersion))
		},
	}

	del := destructive(&cobra.Command{
		Use:               "delete <integration>",
		Short:             "Delete an integration with its versions and connections",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeIntegrations,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := a.confirm(cmd, fmt.Sprintf("Delete integration %s with its versions, connections and call history", args[0])); err != nil {
				return err
			}
			if err := c.DeleteIntegration(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "deleted %s\n", args[0])
			return nil
		},
	})
	var testEnv string
	test := &cobra.Command{
		Use:   "test <integration>",
		Short: "Make a real call with an environment's connection: ok or why not, status and latency",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			res, err := c.Test(cmd.Context(), args[0], testEnv)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, res)
			}
			verdict := "ok"
			if !res.OK {
				verdict = "failed"
			}
			fmt.Fprintf(a.stdout, "%s: %s %s, status %d in %.0f ms", verdict, res.Environment, res.Action, res.Status, res.LatencyMS)
			if res.Reason != "" {
				fmt.Fprintf(a.stdout, " (%s)", res.Reason)
			}
			fmt.Fprintln(a.stdout)
			if !res.OK {
				return errSilent
			}
			return nil
		},
	}
	test.Flags().StringVar(&testEnv, "env", "sandbox", "sandbox or production")

	for _, c := range []*cobra.Command{update, get, deploy, test} {
		c.ValidArgsFunction = a.completeIntegrations
	}
	cmd.AddCommand(create, update, list, get, deploy, test, del, a.importCmd())
	return cmd
}

func (a *app) showIntegration(in *client.Integration, verb string) error {
	if a.output == "json" {
		return printJSON(a.stdout, in)
	}
	if verb != "" {
		fmt.Fprintf(a.stdout, "%s %s (%s), version %d, %s\n", verb, in.Name, in.ID, in.Version, in.Status)
	} else {
		fmt.Fprintf(a.stdout, "%s (%s)\n  slug: %s\n  draft: version %d\n  deployed: %s\n  base url: %s\n  auth: %s\n", in.Name, in.ID, in.Slug, in.Version, deployedText(*in), in.BaseURL, in.Auth)
	}
	rows := [][]string{}
	for _, ac := range in.Actions {
		rows = append(rows, []string{ac.Key, ac.Method, ac.Endpoint, ac.Tool})
	}
	if len(rows) > 0 {
		fmt.Fprintln(a.stdout)
		table(a.stdout, []string{"ACTION", "METHOD", "ENDPOINT", "TOOL"}, rows)
	}
	if in.Report != nil {
		fmt.Fprintf(a.stdout, "\nimported %d of %d operations\n", in.Report.Imported, in.Report.Operations)
		for _, s := range in.Report.Skipped {
			fmt.Fprintf(a.stdout, "  skipped %s: %s\n", s.Operation, s.Reason)
		}
	}
	return nil
}

// deployedText says which version agents and production calls use, and
// whether the draft is ahead of it.
func deployedText(in client.Integration) string {
	switch {
	case in.DeployedVersion == 0:
		return "not deployed"
	case in.DeployedVersion == in.Version:
		return "version " + strconv.Itoa(in.DeployedVersion)
	default:
		return fmt.Sprintf("version %d (the draft, version %d, is not deployed)", in.DeployedVersion, in.Version)
	}
}

// readInput reads a file, or standard input for "-".
func (a *app) readInput(name string) (json.RawMessage, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(a.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("read %s: %w", name, err)}
	}
	if !json.Valid(data) {
		return nil, usageError{fmt.Errorf("%s is not valid JSON", name)}
	}
	return data, nil
}

// parseParams turns k=v pairs into params typed by the action's schema.
func parseParams(pairs []string, schema json.RawMessage) (map[string]any, error) {
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s)
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--param %q: want name=value", p)}
		}
		typ := ""
		if prop, ok := s.Properties[k]; ok {
			if t, ok := prop.Type.(string); ok {
				typ = t
			}
		}
		val, err := coerce(v, typ)
		if err != nil {
			return nil, usageError{fmt.Errorf("--param %s: %w", k, err)}
		}
		out[k] = val
	}
	return out, nil
}

func coerce(v, typ string) (any, error) {
	switch typ {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", v)
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", v)
		}
		return f, nil
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", v)
		}
		return b, nil
	case "object", "array":
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			return nil, errors.New("want JSON")
		}
		return x, nil
	}
	return v, nil
}
