package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/store"
)

// An agent whose grant is larger than its search threshold (agent.Search
// decides) lists these three tools instead of its own: it searches its
// tools, reads the schema of the ones it wants, and calls them through
// call_tool, which runs exactly what a direct tools/call runs. A direct
// tools/call of one of its tools by name works as well.
const (
	ToolSearch   = "search_tools"
	ToolDescribe = "describe_tool"
	ToolCall     = "call_tool"
)

// searchRevision marks the registered copies of the search tools, which
// change only with the server.
const searchRevision = "search-tools/1"

// defaultSearchResults is how many tools a search returns when the model
// does not say.
const defaultSearchResults = 10

// maxHitDescription bounds a tool's description in search results; describe
// gives it whole.
const maxHitDescription = 280

func objectSchema(required []string, props map[string]*jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "object", Properties: props, Required: required}
}

// searchTools are the tools of an agent in search mode.
func (s *Server) searchTools() map[string]registered {
	yes, no := true, false
	readOnly := &sdk.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: &no}
	tools := map[string]struct {
		tool    *sdk.Tool
		handler sdk.ToolHandler
	}{
		ToolSearch: {tool: &sdk.Tool{
			Name: ToolSearch, Title: "Search tools",
			Description: "Find the tools this agent may call for a task. It has too many to list, so search first: describe the task in a few words " +
				`(e.g. "create an issue in a repository", "refund a charge"). Returns the best matching tools, best first, with their names and what they do; ` +
				"then call " + ToolDescribe + " for a tool's parameters and " + ToolCall + " to run it.",
			InputSchema: objectSchema([]string{"query"}, map[string]*jsonschema.Schema{
				"query": {Type: "string", Description: "The task in words: what to do and to what."},
				"limit": {Type: "integer", Minimum: jsonschema.Ptr(1.0), Maximum: jsonschema.Ptr(float64(agent.MaxSearchResults)),
					Default: json.RawMessage(fmt.Sprint(defaultSearchResults)), Description: "How many tools to return."},
			}),
			Annotations: readOnly,
		}, handler: s.searchHandler},
		ToolDescribe: {tool: &sdk.Tool{
			Name: ToolDescribe, Title: "Describe a tool",
			Description: "Give one tool's full description and input schema (its parameters), by the name " + ToolSearch + " returned.",
			InputSchema: objectSchema([]string{"name"}, map[string]*jsonschema.Schema{
				"name": {Type: "string", Description: "The tool's name, e.g. github__issues_create."},
			}),
			Annotations: readOnly,
		}, handler: s.describeHandler},
		ToolCall: {tool: &sdk.Tool{
			Name: ToolCall, Title: "Call a tool",
			Description: "Call one of this agent's tools by name with its arguments, as its input schema (from " + ToolDescribe + ") gives them. " +
				"The result is the tool's own. Pass _meta.idempotency_key to make a retry safe.",
			InputSchema: objectSchema([]string{"name"}, map[string]*jsonschema.Schema{
				"name":      {Type: "string", Description: "The tool's name."},
				"arguments": {Type: "object", Description: "The tool's arguments."},
			}),
			Annotations: &sdk.ToolAnnotations{OpenWorldHint: &yes},
		}, handler: s.callToolHandler},
	}
	out := make(map[string]registered, len(tools))
	for name, t := range tools {
		out[name] = registered{tool: func() *sdk.Tool { return t.tool }, revision: searchRevision, handler: t.handler}
	}
	return out
}

// requestAgent is the agent a tool call was verified as.
func requestAgent(req *sdk.CallToolRequest) (store.Agent, error) {
	if req.Extra != nil {
		if ag, ok := agentOf(req.Extra.TokenInfo); ok {
			return ag, nil
		}
	}
	return store.Agent{}, fmt.Errorf("the request carries no agent key")
}

// toolArgs decodes the arguments of one of the search tools.
func toolArgs(req *sdk.CallToolRequest, v any) *sdk.CallToolResult {
	raw := req.Params.Arguments
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return toolError(fmt.Sprintf("The arguments of %s must be a JSON object as its input schema gives: %v.", req.Params.Name, err))
	}
	return nil
}

type searchResult struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

func (s *Server) searchHandler(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	ag, err := requestAgent(req)
	if err != nil {
		return nil, err
	}
	var in struct {
		Query string `json:"query"`
		Limit int    `json:"limit"`
	}
	if res := toolArgs(req, &in); res != nil {
		return res, nil
	}
	if strings.TrimSpace(in.Query) == "" {
		return toolError(`Give the task to search for as "query", e.g. "create an issue in a repository".`), nil
	}
	if in.Limit == 0 {
		in.Limit = defaultSearchResults
	}
	hits, err := s.cfg.Search.Find(ctx, ag, in.Query, in.Limit)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "search an agent's tools", "agent", ag.ID, "error", err)
		return toolError("Plugboard could not search this agent's tools; the error was logged. Try again later."), nil
	}
	found := make([]searchResult, 0, len(hits))
	for _, h := range hits {
		found = append(found, searchResult{Name: h.Tool.Name, Title: h.Tool.Action.Name, Description: hitDescription(h.Tool)})
	}
	out := map[string]any{"tools": found}
	text, _ := json.Marshal(out)
	note := fmt.Sprintf("%d tools match %q, best first. Call %s with a name for its parameters, then %s to run it.", len(found), in.Query, ToolDescribe, ToolCall)
	if len(found) == 0 {
		note = fmt.Sprintf("No tool of this agent matches %q. Search again in other words (what the API calls it), or ask the user which tool to use.", in.Query)
	}
	return &sdk.CallToolResult{StructuredContent: out, Content: []sdk.Content{&sdk.TextContent{Text: note}, &sdk.TextContent{Text: string(text)}}}, nil
}

// hitDescription is the first paragraph of t's description, cut short.
func hitDescription(t *agent.Tool) string {
	d := strings.TrimSpace(t.Action.Description)
	if d == "" {
		d = t.Action.Name
	}
	if i := strings.Index(d, "\n\n"); i > 0 {
		d = d[:i]
	}
	d = strings.Join(strings.Fields(d), " ")
	if len(d) > maxHitDescription {
		d = strings.ToValidUTF8(d[:maxHitDescription], "") + "…"
	}
	return fmt.Sprintf("%s (%s %s)", d, t.Action.Method, t.Action.Endpoint)
}

// unknownTool answers a describe or call of a name that is not one of the
// agent's tools, as a direct call of it would be refused.
func unknownTool(name string) *sdk.CallToolResult {
	return toolError(fmt.Sprintf("Unknown tool %q: this agent has no tool of that name, or it was removed. Call %s to find the tools it has.", name, ToolSearch))
}

func (s *Server) describeHandler(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	ag, err := requestAgent(req)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name string `json:"name"`
	}
	if res := toolArgs(req, &in); res != nil {
		return res, nil
	}
	if strings.TrimSpace(in.Name) == "" {
		return toolError(`Give the tool's name as "name", as ` + ToolSearch + ` returned it.`), nil
	}
	t, err := s.cfg.Catalog.Find(ctx, ag, strings.TrimSpace(in.Name))
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "describe an MCP tool", "agent", ag.ID, "tool", in.Name, "error", err)
		return toolError("Plugboard could not load this tool; the error was logged. Try again later."), nil
	}
	if t == nil {
		return unknownTool(in.Name), nil
	}
	desc := t.MCP()
	text, err := json.Marshal(desc)
	if err != nil {
		return nil, err
	}
	var structured map[string]any
	if err := json.Unmarshal(text, &structured); err != nil {
		return nil, err
	}
	return &sdk.CallToolResult{StructuredContent: structured, Content: []sdk.Content{&sdk.TextContent{Text: string(text)}}}, nil
}

// callToolHandler runs the named tool through the handler of a direct
// tools/call of it, with the same request otherwise (its _meta, so the
// idempotency key, included): the same checks, limits, call log and
// answers.
func (s *Server) callToolHandler(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	ag, err := requestAgent(req)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if res := toolArgs(req, &in); res != nil {
		return res, nil
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return toolError(`Give the tool to call as "name" (from ` + ToolSearch + `) and its arguments as "arguments".`), nil
	}
	// Models often send the arguments object as a string of JSON.
	var quoted string
	if json.Unmarshal(in.Arguments, &quoted) == nil && strings.HasPrefix(strings.TrimSpace(quoted), "{") {
		in.Arguments = json.RawMessage(quoted)
	}
	t, err := s.cfg.Catalog.Find(ctx, ag, name)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "resolve MCP tool", "agent", ag.ID, "tool", name, "error", err)
		return toolError("Plugboard could not load this tool; the error was logged. Try again later."), nil
	}
	if t == nil {
		return unknownTool(in.Name), nil
	}
	return s.callHandler(name)(ctx, callOf(req, name, in.Arguments))
}

// callOf is req made a direct call of the tool name with args.
func callOf(req *sdk.CallToolRequest, name string, args json.RawMessage) *sdk.CallToolRequest {
	params := *req.Params
	params.Name, params.Arguments = name, args
	return &sdk.CallToolRequest{Session: req.Session, Params: &params, Extra: req.Extra}
}
