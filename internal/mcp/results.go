package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/problem"
)

// ReadResultTool is the tool every agent has for reading, in parts, a
// result that was larger than its budget. Tools of integrations are named
// <slug>__<action>, so it cannot collide with one.
const ReadResultTool = "read_result"

func readResultTool() *sdk.Tool {
	integer := func(desc string) *jsonschema.Schema {
		return &jsonschema.Schema{Type: "integer", Minimum: ptr(0.0), Description: desc}
	}
	open := false
	return &sdk.Tool{
		Name:  ReadResultTool,
		Title: "Read a stored result",
		Description: "Reads part of a tool result that was too large to return whole: the result said it was stored, with its result_id. " +
			"Read a list by items (start, count) or any result by bytes of its JSON text (offset, length). Each part fits this agent's budget; " +
			"the answer says where the next part starts.",
		InputSchema: &jsonschema.Schema{
			Type: "object",
			Properties: map[string]*jsonschema.Schema{
				"result_id": {Type: "string", Description: "The id of the stored result (stored.id in the tool result)."},
				"start":     integer("The first item to read, counting from 0 (lists only)."),
				"count":     integer("How many items to read from start (lists only)."),
				"offset":    integer("The first byte to read of the result's JSON text."),
				"length":    integer("How many bytes to read from offset."),
			},
			PropertyOrder:        []string{"result_id", "start", "count", "offset", "length"},
			Required:             []string{"result_id"},
			AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
		},
		Annotations: &sdk.ToolAnnotations{Title: "Read a stored result", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &open},
	}
}

func ptr[T any](v T) *T { return &v }

type readArgs struct {
	ResultID string `json:"result_id"`
	Start    *int   `json:"start"`
	Count    *int   `json:"count"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
}

// readResult answers read_result for the agent that made the call: only
// that agent's results are found.
func (s *Server) readResult(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	if req.Extra == nil {
		return nil, fmt.Errorf("the request carries no agent key")
	}
	ag, ok := agentOf(req.Extra.TokenInfo)
	if !ok {
		return nil, fmt.Errorf("the request carries no agent key")
	}
	var args readArgs
	if err := json.Unmarshal(req.Params.Arguments, &args); err != nil || strings.TrimSpace(args.ResultID) == "" {
		return toolError(`read_result needs {"result_id": "<stored.id of a tool result>"} and optionally start and count (items) or offset and length (bytes), each a whole number of 0 or more.`), nil
	}
	p, err := s.cfg.Catalog.Reader(ctx, ag)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "read_result principal", "agent", ag.ID, "error", err)
		return toolError("Plugboard could not read this result; the error was logged. Try again later."), nil
	}
	part, err := s.cfg.Actions.ReadResult(ctx, p, action.ReadInput{
		ID: args.ResultID, Offset: args.Offset, Length: args.Length, Start: args.Start, Count: args.Count, Budget: agent.Budget(ag),
	})
	if err != nil {
		if pr, ok := problem.As(err); ok {
			return toolError(pr.Detail), nil
		}
		s.cfg.Logger.ErrorContext(ctx, "read_result", "agent", ag.ID, "error", err)
		return toolError("Plugboard could not read this result; the error was logged. Try again later."), nil
	}
	var note string
	switch {
	case part.Items != nil && part.Next >= 0:
		note = fmt.Sprintf("Items %d to %d of %d. To read on, call read_result with {\"result_id\": %q, \"start\": %d, \"count\": %d}.", part.Start, part.End-1, part.Total, args.ResultID, part.Next, max(part.End-part.Start, 1))
	case part.Items != nil:
		note = fmt.Sprintf("Items %d to %d of %d: the end of the result.", part.Start, part.End-1, part.Total)
	case part.Next >= 0:
		note = fmt.Sprintf("Bytes %d to %d of %d. To read on, call read_result with {\"result_id\": %q, \"offset\": %d, \"length\": %d}.", part.Offset, part.End, part.Total, args.ResultID, part.Next, part.End-part.Offset)
	default:
		note = fmt.Sprintf("Bytes %d to %d of %d: the end of the result.", part.Offset, part.End, part.Total)
	}
	content := part.Bytes
	if part.Items != nil {
		content = string(part.Items)
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: note}, &sdk.TextContent{Text: content}}}, nil
}

// resultNote tells a model what became of a result: stored because it was
// over budget, or left whole because the selection failed on it.
func resultNote(res *executor.Result) string {
	var parts []string
	if res.SelectError != "" {
		parts = append(parts, "The response selection could not be applied, so the whole answer follows: "+res.SelectError+".")
	}
	if res.Stored != nil {
		parts = append(parts, fit.Describe(res.Stored, ReadResultTool))
	}
	if pg := res.Pagination; pg != nil && pg.NextCursor != "" {
		parts = append(parts, fmt.Sprintf("The list goes on: %d items from %d pages here; pass next_cursor %q to continue.", pg.Items, pg.Pages, pg.NextCursor))
	}
	return strings.Join(parts, "\n")
}

// conforming returns structured as the tool's output schema allows it:
// clients refuse a result that does not match the schema a tool declared,
// so a body that does not match (the API answered otherwise than
// documented, or the body was cut to the budget) is left out of the
// structured content; the text content still carries it.
func conforming(t *agent.Tool, structured map[string]any) map[string]any {
	schema := t.OutputSchema()
	if schema == nil {
		return structured
	}
	resolved, err := schema.Resolve(nil)
	if err != nil {
		delete(structured, "body")
		return structured
	}
	var generic map[string]any
	raw, err := json.Marshal(structured)
	if err == nil {
		err = json.Unmarshal(raw, &generic)
	}
	if err == nil && resolved.Validate(generic) == nil {
		return structured
	}
	delete(structured, "body")
	return structured
}
