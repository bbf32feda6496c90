package web

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
)

// actionForm is step 2's form for one action. Parameter rows are named
// params[i].name, params[i].type and so on; params[i].orig carries the
// name the row had when the form was drawn, so keywords the table does not
// show (enum, format, default…) stay with the parameter.
type actionForm struct {
	OrigKey                                  string
	Name, Key, Method, Endpoint, Description string
	BodyType                                 string // "" for JSON, the default
	Params                                   []paramRow
}

type paramRow struct {
	Index                             int
	Name, Orig, Type, In, Description string
	Required                          bool
	Error                             string
}

// blankRows are offered below the parameters so the table can grow
// without JavaScript.
const blankRows = 2

var (
	methods    = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	paramTypes = []struct{ Value, Label string }{{"string", "string"}, {"integer", "integer"}, {"number", "number"}, {"boolean", "boolean"}, {"object", "object"}, {"array", "array"}, {"", "any"}}
	locations  = []struct{ Value, Label string }{{"", "automatic"}, {connector.InPath, "path"}, {connector.InQuery, "query"}, {connector.InHeader, "header"}, {connector.InBody, "body"}}
	bodyTypes  = []struct{ Value, Label string }{{"", "JSON"}, {connector.BodyForm, "Form (x-www-form-urlencoded)"}, {connector.BodyMultipart, "Multipart (form-data)"}}
)

func actionFormOf(a *connector.Action) actionForm {
	f := actionForm{Method: "GET"}
	if a != nil {
		f = actionForm{OrigKey: a.Key, Name: a.Name, Key: a.Key, Method: a.Method, Endpoint: a.Endpoint, Description: a.Description}
		if a.BodyType != connector.BodyJSON {
			f.BodyType = a.BodyType
		}
		for i, p := range a.Parameters {
			f.Params = append(f.Params, paramRow{Index: i, Name: p.Name, Orig: p.Name, Type: p.Type(), In: p.In, Description: p.Description, Required: p.Required})
		}
	}
	f.addBlankRows()
	return f
}

func (f *actionForm) addBlankRows() {
	n := len(f.Params)
	for i := range blankRows {
		f.Params = append(f.Params, paramRow{Index: n + i, Type: "string"})
	}
}

// actionFromForm reads the form over orig (nil for a new action): the
// fields the form shows come from it, the rest (headers, idempotent, the
// parameters' other keywords) from orig.
func actionFromForm(r *http.Request, orig *connector.Action) (connector.Action, actionForm) {
	var a connector.Action
	if orig != nil {
		a = *orig
		a.Headers = maps.Clone(orig.Headers)
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	form := actionForm{OrigKey: r.PostFormValue("orig_key"), Name: v("name"), Key: v("key"), Method: strings.ToUpper(v("method")), Endpoint: v("endpoint"), Description: prose(r, "description")}
	a.Name, a.Key, a.Method, a.Endpoint, a.Description = form.Name, form.Key, form.Method, form.Endpoint, form.Description
	form.BodyType = strings.ToLower(v("body_type"))
	switch {
	case form.BodyType == connector.BodyJSON:
		form.BodyType = ""
		fallthrough
	case form.BodyType == "":
		if a.BodyType != connector.BodyJSON {
			a.BodyType = "" // JSON, said as the definition said it
		}
	default:
		a.BodyType = form.BodyType
	}
	a.Parameters = nil
	for i := 0; i < maxRow(r); i++ {
		at := func(k string) string { return fmt.Sprintf("params[%d].%s", i, k) }
		row := paramRow{Index: len(form.Params), Name: v(at("name")), Orig: v(at("orig")), Type: v(at("type")), In: v(at("in")), Description: prose(r, at("description")), Required: r.PostFormValue(at("required")) != ""}
		if row.Name == "" {
			continue
		}
		form.Params = append(form.Params, row)
		p := connector.Param{}
		if orig != nil && row.Orig != "" {
			if op, ok := orig.Param(row.Orig); ok {
				p = *op
				p.Schema = maps.Clone(op.Schema)
			}
		}
		if row.Type != p.Type() {
			if p.Schema == nil {
				p.Schema = map[string]any{}
			}
			if row.Type == "" {
				delete(p.Schema, "type")
			} else {
				p.Schema["type"] = row.Type
			}
		}
		p.Name, p.In, p.Required, p.Description = row.Name, row.In, row.Required, row.Description
		a.Parameters = append(a.Parameters, p)
	}
	return a, form
}

// prose reads a textarea: trimmed, with the CRLF line breaks browsers
// submit made LF again, so a description saved unchanged stays the same.
func prose(r *http.Request, k string) string {
	return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n"))
}

// maxRow is one past the highest parameter row index the form sent; rows
// removed in the browser leave gaps, which are skipped.
func maxRow(r *http.Request) int {
	n := 0
	for k := range r.PostForm {
		if !strings.HasPrefix(k, "params[") {
			continue
		}
		end := strings.IndexByte(k, ']')
		if i, err := strconv.Atoi(k[len("params["):max(end, len("params["))]); err == nil && i+1 > n && i < 500 {
			n = i + 1
		}
	}
	return n
}

// attachErrors places the validation errors of actions[index] next to the
// form's inputs and returns the ones that belong elsewhere.
func (f *actionForm) attachErrors(errs map[string]string, index int) (map[string]string, []string) {
	prefix := fmt.Sprintf("actions[%d]", index)
	fields := map[string]string{}
	var rest []string
	for path, msg := range errs {
		rel, ok := strings.CutPrefix(path, prefix)
		if !ok {
			if path == "actions" {
				rest = append(rest, msg)
			} else if path != "" {
				rest = append(rest, path+": "+msg)
			} else {
				rest = append(rest, msg)
			}
			continue
		}
		rel = strings.TrimPrefix(rel, ".")
		if name, ok := strings.CutPrefix(rel, "parameters."); ok {
			pname, _, _ := strings.Cut(name, ".")
			if f.rowError(pname, msg) {
				continue
			}
		}
		switch rel {
		case "", "name", "key", "method", "endpoint", "description", "body_type":
			if rel == "" {
				rel = "name"
			}
			fields[rel] = msg
		default:
			rest = append(rest, path+": "+msg)
		}
	}
	return fields, rest
}

func (f *actionForm) rowError(name, msg string) bool {
	for i := range f.Params {
		if f.Params[i].Name == name {
			f.Params[i].Error = msg
			return true
		}
	}
	return false
}
