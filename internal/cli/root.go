// Package cli is the plugboard command line: one file per command group.
// Client commands talk to a server's REST API with --server and --token
// (or PLUGBOARD_SERVER and PLUGBOARD_TOKEN).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/version"
)

// Exit codes a shell user can rely on.
const (
	exitOK       = 0
	exitError    = 1 // the request failed or the server refused it
	exitUsage    = 2 // bad flags or arguments
	exitNotFound = 3
)

type usageError struct{ error }

// errSilent fails a command that has already said why.
var errSilent = errors.New("failed")

// Main runs the CLI and returns the process exit code; Ctrl-C or SIGTERM
// stops a running command.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, stdin, stdout, stderr)
}

// Run is Main with the context that stops a running command (a follow or
// tail ends when it is done).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stdout, stderr = controlEscaper{stdout}, controlEscaper{stderr}
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ae *client.Error
	switch {
	case errors.Is(err, errSilent):
		return exitError
	case errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") || strings.Contains(err.Error(), "accepts") || strings.Contains(err.Error(), "required flag"):
		fmt.Fprintln(stderr, "plugboard:", err)
		return exitUsage
	case errors.As(err, &ae):
		fmt.Fprintf(stderr, "plugboard: %s\n", cliDetail(ae.Detail))
		for _, fe := range ae.Errors {
			fmt.Fprintf(stderr, "  %s: %s\n", fe.Field, cliDetail(fe.Message))
		}
		if ae.Status == 404 {
			return exitNotFound
		}
		return exitError
	default:
		fmt.Fprintln(stderr, "plugboard:", err)
		return exitError
	}
}

type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	server, token  string
	output         string
	// typed are the flags given on the command line, not read from
	// PLUGBOARD_<FLAG>.
	typed map[string]bool
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "plugboard",
		Short:         "Connect any REST API or webhook source to your AI agents",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", "http://127.0.0.1:8080", "Plugboard server URL")
	pf.StringVar(&a.token, "token", "", "your Plugboard API key (PLUGBOARD_TOKEN); an API's own credentials go in the credential flags of 'connections add'")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.typed = map[string]bool{}
		cmd.Flags().Visit(func(f *pflag.Flag) { a.typed[f.Name] = true })
		if err := bindEnv(cmd.Flags()); err != nil {
			return usageError{err}
		}
		if a.output != "text" && a.output != "json" {
			return usageError{fmt.Errorf("--output must be text or json, got %q", a.output)}
		}
		return nil
	}
	root.AddCommand(a.serveCmd(), a.integrationsCmd(), a.connectionsCmd(), a.runCmd(), a.keysCmd(),
		a.agentsCmd(), a.webhooksCmd(), a.logsCmd(), a.signinLinkCmd(), a.versionCmd(), a.backupCmd(), a.restoreCmd(), a.retentionCmd(), a.auditCmd())
	suggestSubcommands(root)
	return root
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(a.stdout, "plugboard", version.String)
			return err
		},
	}
}

// bindEnv fills every flag not given on the command line from
// PLUGBOARD_<FLAG> (dashes become underscores).
func bindEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "PLUGBOARD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func (a *app) client() (*client.Client, error) {
	if a.token == "" {
		return nil, usageError{errors.New("no API key: pass --token or set PLUGBOARD_TOKEN")}
	}
	return client.New(a.server, a.token), nil
}

// NewRoot is the command tree, for tools that read it (docs, tests).
func NewRoot() *cobra.Command { return newRoot(strings.NewReader(""), io.Discard, io.Discard) }
