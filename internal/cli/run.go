package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

func (a *app) runCmd() *cobra.Command {
	var env, paramsJSON string
	var params []string
	var version int
	cmd := &cobra.Command{
		Use:   "run <integration> <action>",
		Short: "Run an action and print the API's answer",
		Example: `  plugboard run custom_crm create_contact --param name=Ada --param email=ada@example.com
  plugboard run custom_crm get_contact --param id=42 --env production`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeIntegrationAction,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := parseParams(params, nil); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var schema json.RawMessage
			if len(params) > 0 {
				in, err := c.GetIntegration(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				for _, ac := range in.Actions {
					if ac.Key == args[1] || ac.Name == args[1] {
						schema = ac.InputSchema
					}
				}
			}
			p, err := parseParams(params, schema)
			if err != nil {
				return err
			}
			if paramsJSON != "" {
				var extra map[string]any
				if err := json.Unmarshal([]byte(paramsJSON), &extra); err != nil {
					return usageError{fmt.Errorf("--params must be a JSON object: %w", err)}
				}
				for k, v := range extra {
					p[k] = v
				}
			}
			res, err := c.Run(cmd.Context(), args[0], args[1], client.RunInput{Environment: env, Params: p, Version: version})
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stderr, "HTTP %d in %.1f ms\n", res.Status, res.DurationMS)
			var pretty any
			if json.Unmarshal(res.Body, &pretty) == nil {
				if s, ok := pretty.(string); ok {
					fmt.Fprintln(a.stdout, s)
				} else {
					_ = printJSON(a.stdout, pretty)
				}
			}
			if res.Status >= 400 {
				return fmt.Errorf("the API answered HTTP %d", res.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "sandbox", "sandbox or production")
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "a parameter as name=value, typed by the action's schema (repeatable)")
	cmd.Flags().StringVar(&paramsJSON, "params", "", "parameters as a JSON object")
	cmd.Flags().IntVar(&version, "version", 0, "run a specific version (default: draft in sandbox, deployed in production)")
	return cmd
}
