package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

// agentsCmd is "plugboard agents": AI agents, their keys and the tools
// they may call over MCP.
func (a *app) agentsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "agents", Aliases: []string{"agent"}, Short: "Give AI agents keys and grant them deployed actions as MCP tools"}

	var tools []string
	var env, runAs string
	var mode toolModeFlags
	create := &cobra.Command{
		Use:   "create <name> --tools <integration>[:<action>,<action>…]",
		Short: "Create an agent; its key is shown once",
		Example: `  plugboard agents create "support bot" --tools custom_crm:create_contact,get_contact --environment production
  plugboard agents create reporter --tools github --tools custom_crm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			grants, err := parseGrants(tools, env, runAs)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			in := client.AgentInput{Name: &args[0], Tools: &grants}
			mode.apply(cmd, &in)
			ag, err := c.CreateAgentWith(cmd.Context(), in)
			if err != nil {
				return err
			}
			return a.showAgent(ag, "created")
		},
	}
	create.Flags().StringArrayVar(&tools, "tools", nil, "a deployed integration (id, slug or name), optionally with ':' and its action keys or names; repeatable")
	_ = create.RegisterFlagCompletionFunc("tools", a.completeTools)
	create.Flags().StringVar(&env, "environment", "", "sandbox, production or auto (production once connected)")
	create.Flags().StringVar(&runAs, "run-as", "", "member (id or email) whose own connections the agent uses (default: the shared ones)")
	mode.register(create)

	var newName string
	var updateMode toolModeFlags
	update := &cobra.Command{
		Use:   "update <agent> [--name <name>] [--tools …] [--tool-mode auto|all|search] [--tool-search-threshold N]",
		Short: "Rename an agent, replace its tools (when --tools is given) or change how MCP lists them",
		Example: `  plugboard agents update agt_123 --tool-mode search
  plugboard agents update agt_123 --tools github --tool-search-threshold 100`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in client.AgentInput
			if cmd.Flags().Changed("name") {
				in.Name = &newName
			}
			if cmd.Flags().Changed("tools") {
				grants, err := parseGrants(tools, env, runAs)
				if err != nil {
					return err
				}
				in.Tools = &grants
			}
			updateMode.apply(cmd, &in)
			c, err := a.client()
			if err != nil {
				return err
			}
			ag, err := c.UpdateAgent(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			return a.showAgent(ag, "updated")
		},
	}
	update.Flags().StringVar(&newName, "name", "", "the agent's new name")
	update.Flags().StringArrayVar(&tools, "tools", nil, "replace the agent's tools: a deployed integration (id, slug or name), optionally with ':' and its action keys or names; repeatable")
	update.Flags().StringVar(&env, "environment", "", "with --tools: sandbox, production or auto (production once connected)")
	update.Flags().StringVar(&runAs, "run-as", "", "with --tools: member (id or email) whose own connections the agent uses (default: the shared ones)")
	_ = update.RegisterFlagCompletionFunc("tools", a.completeTools)
	updateMode.register(update)

	list := &cobra.Command{
		Use: "list", Short: "List agents", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			list, err := c.ListAgents(cmd.Context())
			if err != nil {
				return err
			}
			if a.output == "json" {
				return printJSON(a.stdout, list)
			}
			rows := [][]string{}
			for _, ag := range list {
				state := "active"
				if !ag.RevokedAt.IsZero() {
					state = "revoked"
				}
				rows = append(rows, []string{ag.ID, ag.Name, ag.KeyPrefix + "…", state, grantsText(ag.Tools)})
			}
			table(a.stdout, []string{"ID", "NAME", "KEY", "STATE", "TOOLS"}, rows)
			return nil
		},
	}

	var format string
	export := &cobra.Command{
		Use: "tools <agent>", Short: "Print an agent's tools as function-calling JSON (openai, anthropic or mcp)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			tools, err := c.AgentTools(cmd.Context(), args[0], format)
			if err != nil {
				return err
			}
			return printJSON(a.stdout, tools)
		},
	}
	export.Flags().StringVar(&format, "format", "openai", "openai, anthropic or mcp")

	rotate := destructive(&cobra.Command{
		Use: "rotate-key <agent>", Short: "Give an agent a new key; the old one stops working at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := a.confirm(cmd, fmt.Sprintf("Replace the key of agent %s; clients using the old key stop working at once", args[0])); err != nil {
				return err
			}
			ag, err := c.RotateAgentKey(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.showAgent(ag, "rotated the key of")
		},
	})

	revoke := destructive(&cobra.Command{
		Use: "revoke <agent>", Short: "Revoke an agent; its key stops working at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := a.confirm(cmd, fmt.Sprintf("Revoke agent %s; its key stops working at once", args[0])); err != nil {
				return err
			}
			if err := c.RevokeAgent(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "revoked %s\n", args[0])
			return nil
		},
	})

	cmd.AddCommand(create, update, list, export, rotate, revoke)
	return cmd
}

// toolModeFlags are the flags of how MCP lists an agent's tools.
type toolModeFlags struct {
	mode      string
	threshold int
}

func (f *toolModeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.mode, "tool-mode", "auto", "how MCP lists the agent's tools: auto (search, describe and call tools above the threshold), all, or search")
	cmd.Flags().IntVar(&f.threshold, "tool-search-threshold", 0, "the number of tools above which auto lists the search tools (0: the server's default)")
}

// apply puts the flags given on cmd into in.
func (f *toolModeFlags) apply(cmd *cobra.Command, in *client.AgentInput) {
	if cmd.Flags().Changed("tool-mode") {
		in.ToolMode = &f.mode
	}
	if cmd.Flags().Changed("tool-search-threshold") {
		in.ToolSearchThreshold = &f.threshold
	}
}

// parseGrants reads --tools values: "crm" grants every action of crm,
// "crm:create_contact,get_contact" those two.
func parseGrants(tools []string, env, runAs string) ([]client.AgentGrant, error) {
	out := make([]client.AgentGrant, 0, len(tools))
	for _, t := range tools {
		integ, actions, _ := strings.Cut(t, ":")
		if strings.TrimSpace(integ) == "" {
			return nil, usageError{fmt.Errorf("--tools %q: give an integration id or slug before ':'", t)}
		}
		g := client.AgentGrant{Integration: strings.TrimSpace(integ), Environment: env, RunAs: runAs}
		for _, act := range strings.Split(actions, ",") {
			if act = strings.TrimSpace(act); act != "" {
				g.Actions = append(g.Actions, act)
			}
		}
		out = append(out, g)
	}
	return out, nil
}

func grantsText(gs []client.Grant) string {
	var parts []string
	for _, g := range gs {
		name := g.IntegrationSlug
		if name == "" {
			name = g.Integration
		}
		parts = append(parts, name+":"+strings.Join(g.Actions, ","))
	}
	return strings.Join(parts, " ")
}

func (a *app) showAgent(ag *client.Agent, verb string) error {
	if a.output == "json" {
		return printJSON(a.stdout, ag)
	}
	fmt.Fprintf(a.stdout, "%s agent %s (%s)\n", verb, ag.Name, ag.ID)
	if ag.Key != "" {
		fmt.Fprintf(a.stdout, "\nkey (shown only this once): %s\n", ag.Key)
	}
	fmt.Fprintf(a.stdout, "MCP endpoint: %s (Authorization: Bearer <key>)\n", ag.MCPURL)
	switch ag.ToolMode {
	case "all":
		fmt.Fprintln(a.stdout, "tool mode: all (MCP lists every tool)")
	case "search":
		fmt.Fprintln(a.stdout, "tool mode: search (MCP lists search_tools, describe_tool and call_tool)")
	case "auto":
		threshold := "the server's threshold"
		if ag.ToolSearchThreshold > 0 {
			threshold = fmt.Sprintf("%d tools", ag.ToolSearchThreshold)
		}
		fmt.Fprintf(a.stdout, "tool mode: auto (MCP lists every tool up to %s, then search_tools, describe_tool and call_tool)\n", threshold)
	}
	if len(ag.Tools) > 0 {
		fmt.Fprintf(a.stdout, "tools: %s\n", grantsText(ag.Tools))
	}
	return nil
}
