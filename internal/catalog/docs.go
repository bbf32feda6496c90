package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
)

// Docs generates the Markdown documentation of a catalog entry: what the
// integration does, how to connect it, and every action with its
// parameters and an example call.
func Docs(slug string, d *connector.Definition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", d.Name)
	if d.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", d.Description)
	}
	fmt.Fprintf(&b, "- Base URL: `%s`\n", d.BaseURL)
	if d.DocumentationURL != "" {
		fmt.Fprintf(&b, "- API documentation: %s\n", d.DocumentationURL)
	}
	if d.RateLimit != nil {
		fmt.Fprintf(&b, "- Rate limit: %g requests per second\n", d.RateLimit.RequestsPerSecond)
	}
	fmt.Fprintf(&b, "- Actions: %d\n\n## Connecting\n\n%s\n\n## Actions\n\n", len(d.Actions), connectHelp(d.Auth))
	b.WriteString("| Action | Method | Endpoint | Tool name |\n| --- | --- | --- | --- |\n")
	for _, a := range d.Actions {
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s__%s` |\n", a.Name, a.Method, a.Endpoint, slug, a.Key)
	}
	for _, a := range d.Actions {
		fmt.Fprintf(&b, "\n### %s (`%s`)\n\n", a.Name, a.Key)
		if a.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", a.Description)
		}
		fmt.Fprintf(&b, "`%s %s`\n\n", a.Method, a.Endpoint)
		if len(a.Parameters) > 0 {
			b.WriteString("| Parameter | Type | In | Required | Description |\n| --- | --- | --- | --- | --- |\n")
			for _, p := range a.Parameters {
				req := ""
				if p.Required || p.In == connector.InPath {
					req = "yes"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.Type(), p.In, req, strings.ReplaceAll(p.Description, "|", "\\|"))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "```sh\nplugboard run %s %s%s\n```\n", slug, a.Key, exampleParams(a))
	}
	return b.String()
}

func connectHelp(a connector.Auth) string {
	switch a.Type {
	case connector.AuthAPIKey:
		where := "header `" + a.Key + "`"
		if a.Location == "query" {
			where = "query parameter `" + a.Key + "`"
		}
		return "Add a connection with your API key (`--api-key`); Plugboard sends it in the " + where + "."
	case connector.AuthBasic:
		return "Add a connection with a user name and password (`--username`, `--password`)."
	case connector.AuthBearer:
		return "Add a connection with a bearer token (`--token-value`)."
	case connector.AuthOAuth2:
		scopes := append([]string(nil), a.Scopes...)
		sort.Strings(scopes)
		s := "Add a connection with your OAuth 2.0 client id and secret, then click Connect (or run `plugboard connections authorize`)."
		if a.Grant == connector.GrantClientCredentials {
			s = "Add a connection with your OAuth 2.0 client id and secret; tokens are fetched and refreshed automatically."
		}
		if len(scopes) > 0 {
			s += " Scopes: `" + strings.Join(scopes, "`, `") + "`."
		}
		return s
	}
	return "No credentials are needed."
}

func exampleParams(a connector.Action) string {
	var b strings.Builder
	for _, p := range a.Parameters {
		if !(p.Required || p.In == connector.InPath) {
			continue
		}
		fmt.Fprintf(&b, " --param %s=…", p.Name)
	}
	return b.String()
}
