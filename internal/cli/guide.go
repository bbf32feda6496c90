package cli

import (
	"bufio"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// destructive adds --yes to a command that deletes or revokes something.
func destructive(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolP("yes", "y", false, "do it without asking first")
	return cmd
}

// confirm asks before a destructive command goes on; --yes answers for the
// user. Without an answer (standard input closed, as in a script) the
// command stops and says how to go on.
func (a *app) confirm(cmd *cobra.Command, what string) error {
	if yes, _ := cmd.Flags().GetBool("yes"); yes {
		return nil
	}
	fmt.Fprintf(a.stderr, "%s. This cannot be undone. Go on? [y/N] ", what)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	switch answer := strings.ToLower(strings.TrimSpace(line)); {
	case answer == "y" || answer == "yes":
		return nil
	case answer == "" && err != nil:
		fmt.Fprintln(a.stderr)
		return usageError{fmt.Errorf("%s asks before it goes on; answer y, or pass --yes", cmd.CommandPath())}
	default:
		return errors.New("not confirmed; nothing was changed")
	}
}

// suggestSubcommands makes every command group refuse a subcommand it does
// not have, with the closest ones, as the top level does; without one it
// shows its help.
func suggestSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		suggestSubcommands(sub)
	}
	if !cmd.HasParent() || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.DisableFlagsInUseLine = true // a group runs nothing of its own
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // what cobra uses at the top level
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return usageError{fmt.Errorf("%s\n\nRun '%s --help' for its commands.", msg, c.CommandPath())}
	}
}

// cliRoutes rewrite the REST routes a server's message names into the
// commands that do the same, so a CLI user is told what to type.
var cliRoutes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`POST /v1/integrations/([^/\s]+)/deploy`), "`plugboard integrations deploy $1`"},
	{regexp.MustCompile(`POST /v1/integrations/([^/\s]+)/connections \{"environment": "(\w+)", "credentials": \{…\}\}`),
		"`plugboard connections add $1 --env $2` and its credential flag (`plugboard connections add --help` lists them)"},
	{regexp.MustCompile(`(?:open )?GET /v1/integrations/([^/\s]+)/connections/([^/\s]+)/authorize(?: in a browser or run ` + "`plugboard connections authorize [^`]+`" + `)?`),
		"`plugboard connections authorize $1 $2`"},
	{regexp.MustCompile(`PUT /v1/integrations/([^/\s]+)/connections/([^/\s]+)(?: \{.*\}\})?`),
		"`plugboard connections update $1 $2 --client-id … --client-secret …`"},
}

// cliDetail is a server's message as a CLI user should read it.
func cliDetail(detail string) string {
	for _, r := range cliRoutes {
		detail = r.re.ReplaceAllString(detail, r.with)
	}
	return detail
}
