package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/version"
)

// PreparedRequest is an action call ready to send, before credentials are
// applied. It is plain data so it can be logged (after redaction), stored
// for replay and turned into an *http.Request more than once.
type PreparedRequest struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// NewRequest turns the prepared request into an *http.Request that can be
// retried (its body can be re-read).
func (r *PreparedRequest) NewRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header = r.Header.Clone()
	return req, nil
}

// Build prepares the HTTP request for running action a in environment env
// (sandbox, production, or "" for the plain base URL) with params, after checking them with [Action.CheckParams]. Path values
// are escaped into a single segment, so a value cannot reach another
// resource; arrays in the query repeat the key; body parameters become a
// JSON object for methods that carry a body. Headers are layered: defaults
// (Accept, User-Agent), then the definition's, the action's and header
// parameters.
func (d *Definition) Build(a *Action, env string, params map[string]any) (*PreparedRequest, error) {
	if env != "" && env != Sandbox && env != Production {
		return nil, fmt.Errorf("build %s: unknown environment %q; use %s or %s", a.Key, env, Sandbox, Production)
	}
	values, err := a.CheckParams(params)
	if err != nil {
		return nil, err
	}
	return d.BuildChecked(a, env, values)
}

// BuildChecked is Build for params that already passed CheckParams (with
// defaults applied), so callers that validate first do not pay twice.
//
// A lone body parameter named "body" is the whole request body rather than
// a member of it: that is how an array or scalar body (as OpenAPI allows)
// is described.
func (d *Definition) BuildChecked(a *Action, env string, values map[string]any) (*PreparedRequest, error) {
	if env != "" && env != Sandbox && env != Production {
		return nil, fmt.Errorf("build %s: unknown environment %q; use %s or %s", a.Key, env, Sandbox, Production)
	}
	base := d.BaseURLFor(env)
	if base == "" {
		return nil, fmt.Errorf("build %s: no base URL for environment %q", a.Key, env)
	}
	endpoint, static, _ := strings.Cut(a.Endpoint, "?")
	staticQuery, err := url.ParseQuery(static)
	if err != nil {
		return nil, fmt.Errorf("build %s: endpoint query: %w", a.Key, err)
	}
	var query []pair
	for k, vs := range staticQuery {
		for _, v := range vs {
			query = append(query, pair{url.QueryEscape(k), url.QueryEscape(v)})
		}
	}

	header := http.Header{}
	header.Set("Accept", "application/json")
	header.Set("User-Agent", version.UserAgent)
	for _, h := range []map[string]string{d.Headers, a.Headers} {
		for _, k := range sortedKeys(h) {
			header.Set(k, h[k])
		}
	}

	var body []bodyValue
	whole := false
	sole := a.soleBodyParam()
	for i := range a.Parameters {
		prm := &a.Parameters[i]
		v, ok := values[prm.Name]
		if !ok {
			continue
		}
		in := a.location(prm)
		style := prm.style(in)
		switch in {
		case InPath:
			endpoint = strings.ReplaceAll(endpoint, "{"+prm.Name+"}", pathValue(prm.Name, v, style, prm.explode(style), url.PathEscape))
		case InQuery:
			query = append(query, queryPairs(prm.Name, v, style, prm.explode(style))...)
		case InHeader:
			header.Set(prm.Name, headerValue(v, prm.explode(style)))
		case InBody:
			whole = whole || prm == sole && prm.Name == "body"
			body = append(body, bodyValue{prm, v})
		}
	}

	req := &PreparedRequest{Method: a.Method, Header: header, URL: base}
	if endpoint != "" {
		req.URL = strings.TrimRight(base, "/") + endpoint
	}
	if len(query) > 0 {
		req.URL += "?" + encodePairs(query)
	}
	if methodHasBody(a.Method) && a.hasBodyParams() {
		var contentType string
		if req.Body, contentType, err = a.encodeBody(body, whole); err != nil {
			return nil, fmt.Errorf("build %s: %w", a.Key, err)
		}
		if header.Get("Content-Type") == "" || a.EffectiveBodyType() == BodyMultipart {
			// A multipart body is only readable with its own boundary.
			header.Set("Content-Type", contentType)
		}
	}
	return req, nil
}

// soleBodyParam returns the only body parameter, or nil when there are
// none or several.
func (a *Action) soleBodyParam() *Param {
	var found *Param
	for i := range a.Parameters {
		if a.location(&a.Parameters[i]) == InBody {
			if found != nil {
				return nil
			}
			found = &a.Parameters[i]
		}
	}
	return found
}

func (a *Action) hasBodyParams() bool {
	for i := range a.Parameters {
		if a.location(&a.Parameters[i]) == InBody {
			return true
		}
	}
	return false
}

// addMember appends "name": value to a JSON object being written.
func addMember(b *bytes.Buffer, name string, v any) error {
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(map[string]any{name: v}); err != nil {
		return err
	}
	member := bytes.TrimSpace(enc.Bytes())
	if b.Len() > 0 {
		b.WriteByte(',')
	}
	b.Write(member[1 : len(member)-1])
	return nil
}

// scalarString renders a value for a URL or header: strings as they are,
// numbers without exponents, booleans as true/false, and anything else as
// compact JSON.
func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case nil:
		return ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'f', -1, 64)
	}
	return jsonText(v)
}
