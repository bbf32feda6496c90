package cli

import "github.com/spf13/cobra"

// importCmd is filled in by the OpenAPI import command group.
func (a *app) importCmd() *cobra.Command {
	return &cobra.Command{Use: "import <file-or-url>", Short: "Create an integration from an OpenAPI or Swagger document", Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error { return usageError{errNotYet} }}
}
