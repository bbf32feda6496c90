package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
)

// FuzzForms decodes the dashboard's forms two ways. A fuzzed definition
// is drawn into the integration forms and submitted unchanged, as a browser
// submits them (text inputs drop line breaks, a select sends one of its
// options): the definition must come back exactly, or saving a page
// without touching it would change the integration. A fuzzed form body is
// decoded by every form reader: nothing may panic.
func FuzzForms(f *testing.F) {
	f.Add([]byte(richDefinition), "name=X&params[0].name=a&params[0].type=integer&params[499].name=b")
	f.Add([]byte(`{"name": "K", "baseUrl": "https://k.example", "auth": {"type": "api_key", "location": "query", "key": "api_key", "prefix": "Key "}, "actions": [{"name": "A", "endpoint": "/a"}]}`), "auth.type=oauth2&auth.scopes=a,b%0Ac")
	f.Add([]byte(`{"name": "Multi", "description": "two\nlines", "baseUrl": "https://m.example", "actions": [{"name": "Opt", "method": "OPTIONS", "endpoint": "/a", "description": "one\ntwo", "parameters": {"x": {"type": ["string", "null"]}}}]}`), "params[-1].name=x&params[9999999999999999999].name=y&params[.name=z")
	f.Add([]byte(`{"name": "B", "baseUrl": "https://b.example", "auth": {"type": "bearer"}, "actions": [{"name": "A", "endpoint": "/a/{id}", "parameters": {"id": {"type": "string", "in": "path", "description": "The\tid"}}}]}`), "tool=int_1:a&map[0].name=x&map[0].value={{event}}&grant=int_1&action=int_2:b")
	f.Add([]byte(`{"name": "J", "baseUrl": "https://j.example", "actions": [{"name": "A", "method": "POST", "endpoint": "/a", "body_type": "json", "parameters": {"tags": {"type": "array", "style": "form", "explode": false, "in": "query"}}}, {"name": "M", "method": "PUT", "endpoint": "/m", "body_type": "multipart", "parameters": {"f": {"type": "string", "format": "binary"}}}]}`), "body_type=xml")
	f.Fuzz(func(t *testing.T, doc []byte, body string) {
		r := httptest.NewRequest(http.MethodPost, "/integrations/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := parseForm(r); err == nil {
			a, _ := actionFromForm(r, nil)
			if len(a.Parameters) > 500 {
				t.Fatalf("a form made %d parameters", len(a.Parameters))
			}
			_, _ = triggerFromForm(r)
			_ = toolsFromForm(r)
			if def, err := connector.Parse(doc); err == nil {
				_ = applyDetails(r, def)
				if len(def.Actions) > 0 {
					_, _ = actionFromForm(r, &def.Actions[0])
				}
			}
		}

		def, err := connector.Parse(doc)
		if err != nil {
			return
		}
		want, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		got := applyDetails(submit(detailsSubmitted(detailsOf(def))), def)
		for i := range got.Actions {
			got.Actions[i], _ = actionFromForm(submit(actionSubmitted(actionFormOf(&got.Actions[i]))), &got.Actions[i])
		}
		_, canon, err := integration.Encode(got)
		if err != nil {
			t.Fatalf("the unchanged forms do not validate: %v\n%s", err, want)
		}
		if string(canon) != string(want) {
			t.Fatalf("saving the forms unchanged changed the definition:\n got %s\nwant %s", canon, want)
		}
	})
}

func submit(v url.Values) *http.Request {
	return &http.Request{Method: http.MethodPost, PostForm: v, Form: v}
}

// A browser submits a text input's value without line breaks, and a
// select's value only if it is one of its options (else the first).
func typedText(s string) string { return strings.NewReplacer("\r", "", "\n", "").Replace(s) }

func chosen(s string, options []string) string {
	if slices.Contains(options, s) {
		return s
	}
	return options[0]
}

func detailsSubmitted(f detailsForm) url.Values {
	types := make([]string, len(authTypes))
	for i, t := range authTypes {
		types[i] = t.Value
	}
	return url.Values{
		"name": {typedText(f.Name)}, "description": {field(f.Description)}, "baseUrl": {typedText(f.BaseURL)},
		"documentationUrl": {typedText(f.DocumentationURL)}, "auth.type": {chosen(f.AuthType, types)},
		"auth.location": {chosen(f.Location, []string{"header", "query"})}, "auth.key": {typedText(f.Key)},
		"auth.prefix": {typedText(f.Prefix)}, "auth.grant": {chosen(f.Grant, []string{connector.GrantAuthorizationCode, connector.GrantClientCredentials})},
		"auth.authorize_url": {typedText(f.AuthorizeURL)}, "auth.token_url": {typedText(f.TokenURL)}, "auth.scopes": {typedText(f.Scopes)},
	}
}

func actionSubmitted(f actionForm) url.Values {
	types, places, bodies := make([]string, len(paramTypes)), make([]string, len(locations)), make([]string, len(bodyTypes))
	for i, t := range paramTypes {
		types[i] = t.Value
	}
	for i, b := range bodyTypes {
		bodies[i] = b.Value
	}
	for i, l := range locations {
		places[i] = l.Value
	}
	v := url.Values{"orig_key": {f.OrigKey}, "name": {typedText(f.Name)}, "key": {typedText(f.Key)},
		"method": {chosen(f.Method, methods)}, "endpoint": {typedText(f.Endpoint)}, "description": {field(f.Description)},
		"body_type": {chosen(f.BodyType, bodies)}}
	for _, p := range f.Params {
		at := func(k string) string { return fmt.Sprintf("params[%d].%s", p.Index, k) }
		v.Set(at("name"), typedText(p.Name))
		v.Set(at("orig"), p.Orig)
		v.Set(at("type"), chosen(p.Type, types))
		v.Set(at("in"), chosen(p.In, places))
		v.Set(at("description"), field(p.Description))
		if p.Required {
			v.Set(at("required"), "1")
		}
	}
	return v
}

// field is what a browser submits for a description's textarea: its text
// with every line break sent as CRLF.
func field(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.ReplaceAll(s, "\n", "\r\n")
}
