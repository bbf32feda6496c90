package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/client"
)

// importCmd is "plugboard integrations import <file-or-url>": it creates an
// integration from an OpenAPI 3.x or Swagger 2.0 document. A URL is fetched
// by the server, through its SSRF guard; a file (or - for standard input)
// is sent as is, JSON or YAML.
func (a *app) importCmd() *cobra.Command {
	var in client.ImportInput
	var auth string
	cmd := &cobra.Command{
		Use:   "import <file-or-url>",
		Short: "Create an integration from an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML)",
		Long: `Create an integration from an OpenAPI 3.x or Swagger 2.0 document, JSON or YAML.

An http(s) URL is downloaded by the server; a file name (or - for standard
input) is read here and sent. Every operation becomes an action unless
--tag, --path-prefix or --operation narrow the import; whatever could not be
imported is listed with the reason.`,
		Example: `  plugboard integrations import https://petstore3.swagger.io/api/v3/openapi.json
  plugboard integrations import api.github.com.json --tag issues --path-prefix /repos/ --name "GitHub Issues"
  plugboard integrations import openapi.yaml --server-url https://api.example.com/v2 --auth bearer`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
				in.OpenAPIURL = src
			} else {
				doc, err := a.readDocument(src)
				if err != nil {
					return err
				}
				in.OpenAPI = doc
			}
			if auth != "" {
				if json.Valid([]byte(auth)) && strings.HasPrefix(strings.TrimSpace(auth), "{") {
					in.Auth = json.RawMessage(auth)
				} else {
					in.Auth, _ = json.Marshal(auth)
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			out, err := c.Import(cmd.Context(), in)
			if err != nil {
				return err
			}
			return a.showIntegration(out, "imported")
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "integration name (default: the document's title)")
	f.StringVar(&in.ServerURL, "server-url", "", "base URL, replacing the document's servers")
	f.IntVar(&in.ServerIndex, "server-index", 0, "which of the document's servers gives the base URL")
	f.StringSliceVar(&in.Tags, "tag", nil, "import only operations with this tag (repeatable)")
	f.StringSliceVar(&in.PathPrefixes, "path-prefix", nil, "import only operations under this path (repeatable)")
	f.StringSliceVar(&in.Operations, "operation", nil, "import only this operationId (repeatable)")
	f.IntVar(&in.MaxActions, "max-actions", 0, "import at most this many actions (0: all)")
	f.StringVar(&auth, "auth", "", `auth instead of the document's: a type (bearer, basic, api_key, none) or a JSON auth object`)
	return cmd
}

// readDocument reads an API description to send: JSON as is, anything else
// (YAML) as a JSON string.
func (a *app) readDocument(name string) (json.RawMessage, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(a.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageError{fmt.Errorf("%s does not exist; give a file, - for standard input, or an http(s) URL", name)}
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("read %s: %w", name, err)}
	}
	if json.Valid(data) {
		return data, nil
	}
	return json.Marshal(string(data))
}
