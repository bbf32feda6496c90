package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// MetaIdempotencyKey is the _meta field of a tools/call request that holds
// its idempotency key.
const MetaIdempotencyKey = "idempotency_key"

// MetaReplayed is set to true in the _meta of a result replayed for a
// repeated idempotency key.
const MetaReplayed = "idempotent_replay"

// MetaRateLimit carries, in a result's _meta, what is left of the API's
// announced rate limit for the connection: remaining, limit, reset.
const MetaRateLimit = "plugboard/rate_limit"

// maxExcerpt bounds the part of an error body quoted to the model.
const maxExcerpt = 2000

// callHandler runs the tool called name. The agent and its grants are read
// afresh for every call: the registered copy of a tool may be older than a
// revocation or an edited grant.
func (s *Server) callHandler(name string) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		var ag store.Agent
		ok := false
		if req.Extra != nil {
			ag, ok = agentOf(req.Extra.TokenInfo)
		}
		if !ok {
			return nil, fmt.Errorf("the request carries no agent key")
		}
		t, err := s.cfg.Catalog.Find(ctx, ag, name)
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "resolve MCP tool", "agent", ag.ID, "tool", name, "error", err)
			return toolError("Plugboard could not load this tool; the error was logged. Try again later."), nil
		}
		if t == nil {
			return toolError(fmt.Sprintf("The tool %s is no longer available to this agent: its grant changed or its integration is no longer deployed. List the tools again.", name)), nil
		}
		params, err := arguments(req.Params.Arguments)
		if err != nil {
			return toolError(fmt.Sprintf("The arguments of %s must be a JSON object of parameters: %v.", name, err)), nil
		}
		pages, params, err := t.Pages(params)
		if err != nil {
			return toolError(fmt.Sprintf("The arguments of %s are not valid: %v.", name, err)), nil
		}
		p, err := s.cfg.Catalog.Principal(ctx, ag, t)
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "resolve MCP tool's principal", "agent", ag.ID, "tool", name, "error", err)
			return toolError(fmt.Sprintf("The tool %s is no longer available to this agent: the member it acts for left the organization. List the tools again.", name)), nil
		}
		key := idempotencyKey(req.Params.Meta)
		if key == "" {
			// The key Plugboard gave the call when it asked for input.
			key = strings.TrimSpace(req.Params.RequestState)
		}
		in := s.cfg.Catalog.Input(ctx, t, params, key)
		in.Pages, in.DefaultBytes = pages, agent.Budget(ag)
		res, replayed, err := s.cfg.Actions.Run(ctx, p, in)
		var out *sdk.CallToolResult
		if pend, ok := approval.AsPending(err); ok {
			res, replayed, err, out = s.awaitApproval(ctx, req, p, in, pend)
		} else if need, ok := action.AsSignInRequired(err); ok {
			res, replayed, err, out = s.awaitSignIn(ctx, req, p, t, in, need)
		}
		if out != nil {
			return out, nil
		}
		if err != nil {
			return s.failure(ctx, t, err), nil
		}
		out = result(t, res)
		if replayed {
			out.Meta = sdk.Meta{MetaReplayed: true}
		}
		if w := res.RateLimit; w != nil {
			if out.Meta == nil {
				out.Meta = sdk.Meta{}
			}
			out.Meta[MetaRateLimit] = map[string]any{"remaining": w.Remaining, "limit": w.Limit, "reset": w.Reset.UTC().Format(time.RFC3339)}
		}
		return out, nil
	}
}

func arguments(raw json.RawMessage) (map[string]any, error) {
	params := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return params, nil
	}
	// Numbers stay exactly as the model wrote them (json.Number), so a
	// large id is not rounded by a float64 on its way to the API.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the arguments object")
	}
	return params, nil
}

func idempotencyKey(meta sdk.Meta) string {
	for _, k := range []string{MetaIdempotencyKey, "idempotencyKey"} {
		if v, ok := meta[k].(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// result gives the upstream answer as structured content, with the same
// JSON as text for clients that read only text. An answer of 400 or more
// is a tool error that starts with a sentence saying what happened.
func result(t *agent.Tool, res *executor.Result) *sdk.CallToolResult {
	structured := map[string]any{"status": res.Status, "body": res.Body, "duration_ms": res.DurationMS, "log_id": res.LogID}
	if ct := header(res.Headers, "Content-Type"); ct != "" {
		structured["content_type"] = ct
	}
	if res.Pagination != nil {
		structured["pagination"] = res.Pagination
	}
	if res.Stored != nil {
		structured["stored"] = res.Stored
	}
	if res.SelectError != "" {
		structured["select_error"] = res.SelectError
	}
	text, err := json.Marshal(structured)
	if err != nil {
		text = []byte(fmt.Sprintf(`{"status":%d}`, res.Status))
	}
	if res.Status < 400 {
		structured = conforming(t, structured)
	}
	out := &sdk.CallToolResult{StructuredContent: structured, Content: []sdk.Content{&sdk.TextContent{Text: string(text)}}}
	if note := resultNote(res); note != "" {
		out.Content = append([]sdk.Content{&sdk.TextContent{Text: note}}, out.Content...)
	}
	if res.Status >= 400 {
		out.IsError = true
		out.Content = append([]sdk.Content{&sdk.TextContent{Text: upstreamError(t, res)}}, out.Content...)
	}
	return out
}

// upstreamError explains an error answer of the API to a model.
func upstreamError(t *agent.Tool, res *executor.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s answered %d %s to %s %s.", t.Integration.Name, res.Status, http.StatusText(res.Status), t.Action.Method, t.Action.Endpoint)
	switch {
	case res.Status == http.StatusTooManyRequests:
		b.WriteString(" The API is rate limiting these calls")
		if ra := header(res.Headers, "Retry-After"); ra != "" {
			fmt.Fprintf(&b, "; retry after %s seconds", ra)
		} else {
			b.WriteString("; wait before retrying")
		}
		b.WriteString(".")
	case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
		b.WriteString(" The API refused the connection's credentials or their scope; an administrator must update the connection. Retrying will not help.")
	case res.Status >= 500:
		b.WriteString(" The API failed on its side; retrying later may work.")
	default:
		b.WriteString(" Check the arguments against the error below and call again.")
	}
	if ex := excerpt(res.Body); ex != "" {
		b.WriteString("\nResponse body: ")
		b.WriteString(ex)
	}
	return b.String()
}

// failure turns an error of the executor into a tool error a model can act
// on. Unexpected errors are logged and described without internals.
func (s *Server) failure(ctx context.Context, t *agent.Tool, err error) *sdk.CallToolResult {
	p, ok := problem.As(err)
	if !ok {
		s.cfg.Logger.ErrorContext(ctx, "MCP tool call failed", "tool", t.Name, "error", err)
		return toolError("Plugboard failed to run this tool; the error was logged. Try again later.")
	}
	if p.Status >= 500 && p.Cause != nil {
		s.cfg.Logger.WarnContext(ctx, "MCP tool call failed", "tool", t.Name, "status", p.Status, "error", p.Cause)
	}
	var b strings.Builder
	switch {
	case len(p.Errors) > 0:
		fmt.Fprintf(&b, "The arguments are not valid for %s:", t.Name)
		for _, fe := range p.Errors {
			fmt.Fprintf(&b, "\n- %s: %s", t.ArgumentName(fe.Field), fe.Message)
		}
		b.WriteString("\nFix these arguments (the tool's input schema lists each one) and call again.")
	case p.Status == http.StatusTooManyRequests:
		fmt.Fprintf(&b, "Rate limited: %s", p.Detail)
		if p.RetryAfter > 0 {
			fmt.Fprintf(&b, " Retry in %.0f seconds.", p.RetryAfter.Seconds())
		}
	case p.Status == http.StatusGatewayTimeout:
		fmt.Fprintf(&b, "Timeout: %s did not answer in time (%s). The call may or may not have taken effect; retry with the same idempotency key to be safe.", t.Integration.Name, p.Detail)
	default:
		b.WriteString(p.Detail)
		if p.Detail == "" {
			b.WriteString(p.Title)
		}
	}
	return toolError(b.String())
}

func toolError(msg string) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: msg}}}
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// excerpt is the body as compact text, cut to maxExcerpt bytes.
func excerpt(body any) string {
	var s string
	switch v := body.(type) {
	case nil:
		return ""
	case string:
		s = v
	case json.RawMessage:
		var buf bytes.Buffer
		if json.Compact(&buf, v) == nil {
			s = buf.String()
		} else {
			s = string(v)
		}
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	s = strings.TrimSpace(s)
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
