package sdk_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

type ProbeInput struct {
	URL string `json:"url"`
}

// probe fetches a URL through the server and reports the trace it ran in.
func probe() *sdk.ActionDef {
	return sdk.Action("probe", func(ctx context.Context, c *sdk.Call, in ProbeInput) (map[string]any, error) {
		var body any
		err := c.Get(ctx, in.URL, &body)
		return map[string]any{"trace_id": trace.SpanContextFromContext(ctx).TraceID().String(), "body": body}, err
	})
}

// TestCredentialsStayOnServer captures everything the worker sends and
// receives: invocations, results and its API calls. The API sees the key
// on every call; the worker's traffic never contains it.
func TestCredentialsStayOnServer(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	api := newToolAPI(t)
	ctx := context.Background()
	in, capt := connectTool(t, inst, api)
	for _, run := range []struct {
		action string
		params map[string]any
	}{
		{"fetch_data", map[string]any{"user_id": "u42"}},
		{"create_record", map[string]any{"title": "quarterly report", "data": map[string]any{"owner": "ada"}}},
		{"fetch_data", map[string]any{"user_id": "missing"}},
	} {
		_, _ = inst.Client.Run(ctx, in.ID, run.action, client.RunInput{Params: run.params})
	}
	traffic := capt.String()
	if api.keysSeen.Load() != 3 {
		t.Fatalf("the API saw its key %d times, want 3", api.keysSeen.Load())
	}
	for _, want := range []string{"/v1/workers/poll", `"user_id":"u42"`, "quarterly report", "/http", `"url":"/users/u42"`, "/result"} {
		if !strings.Contains(traffic, want) {
			t.Fatalf("the capture misses %q; it is not seeing the worker's traffic:\n%s", want, traffic)
		}
	}
	if strings.Contains(traffic, upstreamKey) || strings.Contains(strings.ToLower(traffic), "x-api-key: ") {
		t.Fatalf("the worker's traffic contains the API key:\n%s", traffic)
	}
}

// TestWorkerRequestsStayUnderBaseURL: the server only sends an action's
// requests, with credentials, under the integration's base URL.
func TestWorkerRequestsStayUnderBaseURL(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	api := newToolAPI(t)
	other := newToolAPI(t)
	ctx := context.Background()
	startWorker(t, inst, customTool("Custom Tool", api.URL, probe()))
	in, _ := inst.Client.GetIntegration(ctx, "custom_tool")
	if _, err := inst.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{other.URL + "/v1/users/1", api.URL + "/v2/users/1", "//evil.example/v1/users/1", api.URL + "/v1/../admin"} {
		_, err := inst.Client.Run(ctx, in.ID, "probe", client.RunInput{Params: map[string]any{"url": u}})
		if err == nil {
			t.Errorf("probe %s was sent", u)
		}
	}
	if other.keysSeen.Load() != 0 {
		t.Fatalf("another host received the key")
	}
	res, err := inst.Client.Run(ctx, in.ID, "probe", client.RunInput{Params: map[string]any{"url": api.URL + "/v1/users/abs"}})
	if err != nil || !strings.Contains(string(res.Body), `"abs"`) {
		t.Fatalf("an absolute URL under the base URL: %v %s", err, res.Body)
	}
}

// TestTraceCrossesWorker: the caller's trace continues in the action and
// reaches the API as its traceparent: agent → server → worker → API.
func TestTraceCrossesWorker(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	api := newToolAPI(t)
	ctx := context.Background()
	startWorker(t, inst, customTool("Custom Tool", api.URL, probe()))
	in, _ := inst.Client.GetIntegration(ctx, "custom_tool")
	if _, err := inst.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
		t.Fatal(err)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", inst.URL+"/v1/integrations/custom_tool/actions/probe/run", strings.NewReader(`{"params":{"url":"/users/t1"}}`))
	req.Header.Set("Authorization", "Bearer "+inst.Token)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Body struct {
			TraceID string `json:"trace_id"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || res.StatusCode != 200 {
		t.Fatalf("run: %d %s", res.StatusCode, raw)
	}
	if out.Body.TraceID != traceID {
		t.Fatalf("the action ran in trace %q, want %q", out.Body.TraceID, traceID)
	}
	api.mu.Lock()
	seen := append([]string(nil), api.traceparent...)
	api.mu.Unlock()
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "00-"+traceID+"-") {
		t.Fatalf("the API got traceparent %q, want trace %s", seen, traceID)
	}
}
