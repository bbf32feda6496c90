package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

// Shell completion (`plugboard completion bash|zsh|fish|powershell`) asks
// the server for what exists: integration slugs, and an integration's
// action keys. Without a server or a key it offers nothing rather than
// failing the shell.

// completeIntegrations offers integration slugs for a first argument.
func (a *app) completeIntegrations(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.integrationSlugs(cmd, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeIntegrationAction offers integration slugs, then the action keys
// of the integration given.
func (a *app) completeIntegrationAction(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return a.integrationSlugs(cmd, toComplete), cobra.ShellCompDirectiveNoFileComp
	case 1:
		return a.actionKeys(cmd, args[0], toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeTools offers "<slug>:" for --tools, then "<slug>:<action>".
func (a *app) completeTools(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	slug, partial, hasColon := strings.Cut(toComplete, ":")
	if !hasColon {
		return a.integrationSlugs(cmd, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	done := ""
	if i := strings.LastIndex(partial, ","); i >= 0 {
		done, partial = partial[:i+1], partial[i+1:]
	}
	var out []cobra.Completion
	for _, key := range a.actionKeys(cmd, slug, partial) {
		out = append(out, slug+":"+done+key)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) integrationSlugs(cmd *cobra.Command, prefix string) []cobra.Completion {
	c, err := a.completionClient(cmd)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	list, err := c.ListIntegrations(ctx)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, in := range list {
		if strings.HasPrefix(in.Slug, prefix) {
			out = append(out, cobra.CompletionWithDesc(in.Slug, in.Name))
		}
	}
	return out
}

func (a *app) actionKeys(cmd *cobra.Command, integration, prefix string) []cobra.Completion {
	c, err := a.completionClient(cmd)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
	defer cancel()
	in, err := c.GetIntegration(ctx, integration)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, act := range in.Actions {
		if strings.HasPrefix(act.Key, prefix) {
			out = append(out, cobra.CompletionWithDesc(act.Key, act.Name))
		}
	}
	return out
}

// completionClient is the API client for completions: cobra runs them
// without the persistent pre-run, so the environment is read here.
func (a *app) completionClient(cmd *cobra.Command) (*client.Client, error) {
	if err := bindEnv(cmd.Flags()); err != nil {
		return nil, err
	}
	return a.client()
}
