package mcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
)

// catalogItems is the answer of a large list call: 400 products, each
// with a long description, about 120 KB.
func catalogItems() []map[string]any {
	var items []map[string]any
	for i := range 400 {
		items = append(items, map[string]any{"id": i, "name": fmt.Sprintf("product %d", i), "price": i * 3,
			"description": strings.Repeat(fmt.Sprintf("product %d is a fine product. ", i), 8)})
	}
	return items
}

// catalogTool deploys a shop whose list_products answers catalogItems,
// once whole and once through a response selection, and returns the
// server with the shop granted to a new agent.
func catalogTool(t *testing.T) (*env, *client.Agent) {
	t.Helper()
	items := catalogItems()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"data": items, "total": len(items)})
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, "")
	def := fmt.Sprintf(`{"name": "Shop", "baseUrl": %q, "actions": [
		{"key": "list_products", "name": "List Products", "endpoint": "/products"},
		{"key": "product_names", "name": "Product Names", "endpoint": "/products", "response": {"select": "[.data[] | {id, name}]"}},
		{"key": "broken_select", "name": "Broken Select", "endpoint": "/products", "response": {"select": ".data | ascii_downcase"}}]}`, up.URL)
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	return e, e.agent(t, "shop bot", client.AgentGrant{Integration: in.Slug})
}

type stored struct {
	ID    string `json:"id"`
	Bytes int    `json:"bytes"`
	Items int    `json:"items"`
	Shown int    `json:"shown"`
}

func structured(t *testing.T, res *sdk.CallToolResult) (body json.RawMessage, st *stored) {
	t.Helper()
	var out struct {
		Body   json.RawMessage `json:"body"`
		Stored *stored         `json:"stored"`
	}
	if err := json.Unmarshal([]byte(jsonOf(t, res.StructuredContent)), &out); err != nil {
		t.Fatal(err)
	}
	return out.Body, out.Stored
}

// A result over the agent's budget comes back cut to whole items within
// the budget, with the words to read the rest; read_result pages through
// the stored whole by items and by bytes, and only for the agent that
// made the call.
func TestLargeResultsAreStoredAndReadInParts(t *testing.T) {
	t.Parallel()
	e, ag := catalogTool(t)
	cs := e.mustConnect(t, ag.Key, nil)
	if _, ok := allTools(t, cs)["read_result"]; !ok {
		t.Fatal("an agent with tools has no read_result tool")
	}
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "shop__list_products", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	// The whole answer is an object; the body is cut as text.
	body, st := structured(t, res)
	if st == nil || st.ID == "" || st.Bytes < 100_000 {
		t.Fatalf("not stored: %s", text(res))
	}
	if len(body) > 16<<10 {
		t.Errorf("the body shown is %d bytes, over the default budget of 16 KB", len(body))
	}
	if !strings.Contains(text(res), "read_result") || !strings.Contains(text(res), st.ID) {
		t.Errorf("the result does not say how to read the rest: %s", text(res)[:300])
	}

	// Bytes: the parts join into the whole answer.
	var whole strings.Builder
	for offset, reads := 0, 0; offset >= 0; reads++ {
		if reads > 20 {
			t.Fatal("read_result never reached the end")
		}
		part, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "read_result", Arguments: map[string]any{"result_id": st.ID, "offset": offset, "length": 50_000}})
		if err != nil || part.IsError {
			t.Fatalf("read_result: %v %s", err, text(part))
		}
		note, chunk := part.Content[0].(*sdk.TextContent).Text, part.Content[1].(*sdk.TextContent).Text
		if len(chunk) > 16<<10 {
			t.Fatalf("a part of %d bytes is over the agent's budget", len(chunk))
		}
		whole.WriteString(chunk)
		offset = -1
		if i := strings.Index(note, `"offset": `); i >= 0 {
			fmt.Sscanf(note[i:], `"offset": %d`, &offset)
		} else if !strings.Contains(note, "the end of the result") {
			t.Fatalf("note: %s", note)
		}
	}
	var got struct{ Data []map[string]any }
	if err := json.Unmarshal([]byte(whole.String()), &got); err != nil || len(got.Data) != 400 {
		t.Fatalf("the parts do not join into the answer (%d items): %v", len(got.Data), err)
	}

	t.Run("a list is cut to whole items and read by items", func(t *testing.T) {
		// A small budget makes even the selected list too large.
		cs, res := namesWithBudget(t, e, ag, 2000)
		body, st := structured(t, res)
		var shown []map[string]any
		if err := json.Unmarshal(body, &shown); err != nil || st == nil || len(shown) != st.Shown || st.Items != 400 || len(body) > 2000 {
			t.Fatalf("shown %d items in %d bytes, stored %+v: %v", len(shown), len(body), st, err)
		}
		if _, ok := shown[0]["description"]; ok || shown[0]["name"] != "product 0" {
			t.Errorf("the selection did not apply: %v", shown[0])
		}
		var ids []float64
		for start := st.Shown; start >= 0; {
			part, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "read_result", Arguments: map[string]any{"result_id": st.ID, "start": start, "count": 50}})
			if err != nil || part.IsError {
				t.Fatalf("read_result: %v %s", err, text(part))
			}
			var items []map[string]any
			if err := json.Unmarshal([]byte(part.Content[1].(*sdk.TextContent).Text), &items); err != nil || len(items) == 0 || len(items) > 50 {
				t.Fatalf("items %d: %v", len(items), err)
			}
			for _, it := range items {
				ids = append(ids, it["id"].(float64))
			}
			note := part.Content[0].(*sdk.TextContent).Text
			start = -1
			if i := strings.Index(note, `"start": `); i >= 0 {
				fmt.Sscanf(note[i:], `"start": %d`, &start)
			}
		}
		if len(ids) != 400-st.Shown || ids[0] != float64(st.Shown) || ids[len(ids)-1] != 399 {
			t.Errorf("read %d items from %v to %v", len(ids), ids[0], ids[len(ids)-1])
		}
	})

	t.Run("a session of the revision with sessions reads it too", func(t *testing.T) {
		cs := e.mustConnectAt(t, ag.Key, legacy, nil)
		part, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "read_result", Arguments: map[string]any{"result_id": st.ID, "offset": 0, "length": 9}})
		if err != nil || part.IsError || part.Content[1].(*sdk.TextContent).Text != `{"data":[` {
			t.Fatalf("read_result at %s: %v %s", legacy, err, text(part))
		}
	})

	t.Run("another agent does not find the result", func(t *testing.T) {
		other := e.agent(t, "other bot", client.AgentGrant{Integration: "shop"})
		cs := e.mustConnect(t, other.Key, nil)
		part, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "read_result", Arguments: map[string]any{"result_id": st.ID}})
		if err != nil || !part.IsError || !strings.Contains(text(part), "not found") || strings.Contains(text(part), "product") {
			t.Fatalf("another agent read it: %v %s", err, text(part))
		}
	})

	t.Run("a selection that fails leaves the answer whole and says why", func(t *testing.T) {
		res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "shop__broken_select", Arguments: map[string]any{}})
		if err != nil || res.IsError || !strings.Contains(text(res), "selection could not be applied") {
			t.Fatalf("call: %v %s", err, text(res))
		}
	})
}

// A response selection makes the answer small enough to fit whole.
func TestSelectionsFitResultsInTheBudget(t *testing.T) {
	t.Parallel()
	e, ag := catalogTool(t)
	_, res := namesWithBudget(t, e, ag, 20_000)
	body, st := structured(t, res)
	var names []struct {
		ID   int
		Name string
	}
	if err := json.Unmarshal(body, &names); err != nil || st != nil || len(names) != 400 || names[399].Name != "product 399" {
		t.Fatalf("names %d, stored %+v: %v", len(names), st, err)
	}
	bad := -1
	if _, err := e.srv.Client.UpdateAgent(e.ctx, ag.ID, client.AgentInput{MaxResultBytes: &bad}); err == nil || !strings.Contains(err.Error(), "max_result_bytes") {
		t.Errorf("a negative budget: %v", err)
	}
}

// namesWithBudget sets the agent's budget and calls product_names.
func namesWithBudget(t *testing.T, e *env, ag *client.Agent, budget int) (*sdk.ClientSession, *sdk.CallToolResult) {
	t.Helper()
	if updated, err := e.srv.Client.UpdateAgent(e.ctx, ag.ID, client.AgentInput{MaxResultBytes: &budget}); err != nil || updated.MaxResultBytes != budget {
		t.Fatalf("set the budget: %+v, %v", updated, err)
	}
	cs := e.mustConnect(t, ag.Key, nil)
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "shop__product_names", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	return cs, res
}

// The TypeScript SDK's client lists read_result and reads a stored result
// with it.
func TestTypeScriptClientReadsStoredResults(t *testing.T) {
	t.Parallel()
	e, ag := catalogTool(t)
	_, res := namesWithBudget(t, e, ag, 2000)
	_, st := structured(t, res)
	if st == nil {
		t.Fatal("the result was not stored")
	}
	seen := typescriptCheck(t, e, ag.Key, "read_result", fmt.Sprintf(`{"result_id": %q, "start": 398, "count": 5}`, st.ID))
	if seen.First.IsError || len(seen.First.Content) != 2 || !strings.Contains(seen.First.Content[1].Text, `"name":"product 399"`) ||
		!strings.Contains(seen.First.Content[0].Text, "the end of the result") {
		t.Errorf("read_result through the TypeScript client: %+v", seen.First)
	}
	if !seen.Missing.IsError {
		t.Errorf("read_result without a result_id: %+v", seen.Missing)
	}
}
