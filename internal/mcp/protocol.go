package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// One endpoint serves two kinds of revision. From 2026-07-28 the protocol
// is stateless: no initialize, no session; each request carries its
// protocol version and the client's capabilities in its _meta (and the
// version in the MCP-Protocol-Version header), a client learns what the
// server speaks with server/discover and hears of changes on a
// subscriptions/listen request. The revisions before it open a session
// with initialize and hear of changes on the session's stream. The SDK
// serves the first only from a stateless handler and keeps sessions only
// in a stateful one, so each request goes to the handler of its revision.

// Revision2026 is the first revision without sessions.
const Revision2026 = "2026-07-28"

// Versions are the protocol revisions /mcp speaks, newest first: every one
// the SDK implements.
var Versions = sdk.SupportedProtocolVersions()

// legacyMethods are the requests a client may send on the revisions with
// sessions, by the specification; the SDK answers each. Another method is
// answered JSON-RPC's "method not found", as on the stateless revision.
var legacyMethods = []string{
	"initialize", "ping", "tools/list", "tools/call", "prompts/list", "prompts/get",
	"resources/list", "resources/templates/list", "resources/read", "resources/subscribe",
	"resources/unsubscribe", "logging/setLevel", "completion/complete", "server/discover",
	"subscriptions/listen",
}

// inbound is what routing needs to know of a POST's JSON-RPC messages.
type inbound struct {
	firstID    any    // the id of the first request, for an error answer
	unknown    string // a request's method that legacyMethods lacks
	unknownID  any
	initialize bool // an initialize request is among them
	stateless  bool // a request carries its protocol version in _meta
}

// peek reads the POST body, puts it back, and reads its messages. A body
// that is not JSON-RPC is left for the SDK to refuse.
func peek(r *http.Request, limit int64) inbound {
	var in inbound
	if r.Method != http.MethodPost || r.Body == nil {
		return in
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil {
		return in
	}
	type message struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Meta map[string]any `json:"_meta"`
		} `json:"params"`
	}
	var batch []message
	var one message
	if json.Unmarshal(head, &one) == nil {
		batch = []message{one}
	} else if json.Unmarshal(head, &batch) != nil {
		return in
	}
	for i, m := range batch {
		var id any
		isCall := len(m.ID) > 0 && !bytes.Equal(m.ID, []byte("null")) && json.Unmarshal(m.ID, &id) == nil
		if isCall && in.firstID == nil {
			in.firstID = id
		}
		if _, ok := m.Params.Meta[sdk.MetaKeyProtocolVersion].(string); ok {
			in.stateless = true
		}
		in.initialize = in.initialize || m.Method == "initialize"
		if isCall && i == 0 && len(batch) == 1 && !slices.Contains(legacyMethods, m.Method) {
			in.unknown, in.unknownID = m.Method, id
		}
	}
	return in
}

// route sends a request to the handler of its revision, answering itself
// what the SDK's handlers would answer in plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	in := peek(r, s.cfg.MaxRequestBytes)
	version := r.Header.Get("Mcp-Protocol-Version")
	if version != "" && !slices.Contains(Versions, version) {
		data, _ := json.Marshal(sdk.UnsupportedProtocolVersionData{Supported: Versions, Requested: version})
		writeError(w, http.StatusBadRequest, in.firstID, &jsonrpc.Error{
			Code: sdk.CodeUnsupportedProtocolVersion,
			Message: fmt.Sprintf("Unsupported protocol version %q (the MCP-Protocol-Version header): this server speaks %s",
				version, strings.Join(Versions, ", ")),
			Data: data,
		})
		return
	}
	if version >= Revision2026 || in.stateless {
		s.serveStateless(w, r, in.firstID)
		return
	}
	if in.unknown != "" {
		// The stateful handler would answer 400 in plain text. A JSON-RPC
		// answer to a request goes in a 200 on these revisions: clients
		// read 404 as a session that ended.
		writeError(w, http.StatusOK, in.unknownID, &jsonrpc.Error{
			Code: jsonrpc.CodeMethodNotFound, Message: fmt.Sprintf("Method not found: %q is not a method of this server", in.unknown),
		})
		return
	}
	s.serveSessions(w, r, in.initialize)
}

// writeError answers a JSON-RPC error for the request with id (nil when
// none could be read).
func writeError(w http.ResponseWriter, status int, id any, e *jsonrpc.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": id, "error": e})
}

// withoutCacheHints drops ttlMs and cacheScope, which the stateless
// revision added, from the results of the revisions before it: the SDK
// sets them on every list result.
func withoutCacheHints(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		res, err := next(ctx, method, req)
		if err != nil || res == nil {
			return res, err
		}
		switch res.(type) {
		case *sdk.ListToolsResult, *sdk.ListPromptsResult, *sdk.ListResourcesResult, *sdk.ListResourceTemplatesResult, *sdk.ReadResourceResult:
			return legacyResult{res}, nil
		}
		return res, nil
	}
}

// legacyResult is a result encoded without the cache hints.
type legacyResult struct{ sdk.Result }

func (r legacyResult) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(r.Result)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	delete(fields, "ttlMs")
	delete(fields, "cacheScope")
	return json.Marshal(fields)
}
