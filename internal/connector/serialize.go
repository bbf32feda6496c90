package connector

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Parameter styles: how an array or object value is written into the
// path, the query, a header or a form body. They are OpenAPI 3's styles,
// plus tabDelimited for Swagger 2.0's collectionFormat "tsv".
const (
	StyleSimple         = "simple"         // path, header: a,b,c
	StyleLabel          = "label"          // path: .a,b,c or .a.b.c
	StyleMatrix         = "matrix"         // path: ;id=a,b,c or ;id=a;id=b
	StyleForm           = "form"           // query, form body: id=a&id=b or id=a,b
	StyleSpaceDelimited = "spaceDelimited" // query, form body: id=a%20b
	StylePipeDelimited  = "pipeDelimited"  // query, form body: id=a%7Cb
	StyleTabDelimited   = "tabDelimited"   // query, form body: id=a%09b
	StyleDeepObject     = "deepObject"     // query, form body: id[role]=admin
)

// stylesFor lists the styles each location accepts, the default first.
// A form body defaults to deepObject, the bracketed nesting (a[b]=1,
// items[0][price]=…) that Stripe and most form APIs read.
var stylesFor = map[string][]string{
	InPath:   {StyleSimple, StyleLabel, StyleMatrix},
	InQuery:  {StyleForm, StyleSpaceDelimited, StylePipeDelimited, StyleTabDelimited, StyleDeepObject},
	InHeader: {StyleSimple},
	InBody:   {StyleDeepObject, StyleForm, StyleSpaceDelimited, StylePipeDelimited, StyleTabDelimited},
}

// StyleAllowed reports whether a parameter in the given location may have
// the style.
func StyleAllowed(in, style string) bool {
	return slices.Contains(stylesFor[in], style)
}

// delimiters separate the items of an unexploded value, already escaped.
var delimiters = map[string]string{
	StyleSpaceDelimited: "%20", StylePipeDelimited: "%7C", StyleTabDelimited: "%09",
}

// style returns the parameter's style where it goes, or the location's
// default.
func (p *Param) style(in string) string {
	if p.Style != "" {
		return p.Style
	}
	if s := stylesFor[in]; len(s) > 0 {
		return s[0]
	}
	return ""
}

// explode returns whether array and object values are exploded: true by
// default for form and deepObject, false for the other styles, as OpenAPI
// says.
func (p *Param) explode(style string) bool {
	if p.Explode != nil {
		return *p.Explode
	}
	return style == StyleForm || style == StyleDeepObject
}

// pair is one key=value of a query or form body, both already escaped.
type pair struct{ key, value string }

// queryPairs writes a query or form body parameter in its style. Scalars
// are name=value in every style; nested values that a style cannot spell
// out are written as compact JSON. An empty array or object is left out,
// as RFC 6570, on which the styles rest, leaves out an empty list.
func queryPairs(name string, v any, style string, explode bool) []pair {
	v = plain(v)
	esc := url.QueryEscape
	if style == StyleDeepObject {
		return bracketPairs(name, v, nil)
	}
	list, isList := v.([]any)
	obj, isObj := v.(map[string]any)
	switch {
	case !isList && !isObj:
		return []pair{{esc(name), esc(scalarString(v))}}
	case len(list) == 0 && len(obj) == 0:
		return nil
	}
	if explode {
		var out []pair
		for _, item := range list {
			out = append(out, pair{esc(name), esc(scalarString(item))})
		}
		for _, k := range sortedKeys(obj) {
			out = append(out, pair{esc(k), esc(scalarString(obj[k]))})
		}
		return out
	}
	delim := ","
	if d, ok := delimiters[style]; ok {
		delim = d
	}
	return []pair{{esc(name), strings.Join(flatItems(list, obj, esc), delim)}}
}

// bracketPairs spells a value out with bracketed keys: a[b]=1 for an
// object member, a[0]=x for an array item, to any depth.
func bracketPairs(key string, v any, out []pair) []pair {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			out = bracketPairs(key+"["+k+"]", t[k], out)
		}
		return out
	case []any:
		for i, item := range t {
			out = bracketPairs(key+"["+strconv.Itoa(i)+"]", item, out)
		}
		return out
	}
	return append(out, pair{url.QueryEscape(key), url.QueryEscape(scalarString(v))})
}

// flatItems lists an array's items, or an object's keys and values in
// turn, escaped.
func flatItems(list []any, obj map[string]any, esc func(string) string) []string {
	var out []string
	for _, item := range list {
		out = append(out, esc(scalarString(item)))
	}
	for _, k := range sortedKeys(obj) {
		out = append(out, esc(k), esc(scalarString(obj[k])))
	}
	return out
}

// keyValues lists an object's members as k=v, escaped.
func keyValues(obj map[string]any, esc func(string) string) []string {
	var out []string
	for _, k := range sortedKeys(obj) {
		out = append(out, esc(k)+"="+esc(scalarString(obj[k])))
	}
	return out
}

// pathValue writes a path parameter in its style (simple, label or
// matrix), escaping each value into the segment with esc.
func pathValue(name string, v any, style string, explode bool, esc func(string) string) string {
	v = plain(v)
	list, isList := v.([]any)
	obj, isObj := v.(map[string]any)
	if !isList && !isObj {
		s := esc(scalarString(v))
		switch style {
		case StyleLabel:
			return "." + s
		case StyleMatrix:
			if s == "" {
				return ";" + esc(name)
			}
			return ";" + esc(name) + "=" + s
		}
		return s
	}
	var parts []string
	switch {
	case isObj && explode:
		parts = keyValues(obj, esc)
	default:
		parts = flatItems(list, obj, esc)
	}
	switch style {
	case StyleLabel:
		if explode {
			return "." + strings.Join(parts, ".")
		}
		return "." + strings.Join(parts, ",")
	case StyleMatrix:
		switch {
		case isObj && explode:
			return ";" + strings.Join(parts, ";")
		case explode:
			return ";" + esc(name) + "=" + strings.Join(parts, ";"+esc(name)+"=")
		}
		return ";" + esc(name) + "=" + strings.Join(parts, ",")
	}
	return strings.Join(parts, ",")
}

// headerValue writes a header parameter in the simple style.
func headerValue(v any, explode bool) string {
	v = plain(v)
	same := func(s string) string { return s }
	if obj, ok := v.(map[string]any); ok && explode {
		return strings.Join(keyValues(obj, same), ",")
	}
	list, isList := v.([]any)
	obj, isObj := v.(map[string]any)
	if !isList && !isObj {
		return scalarString(v)
	}
	return strings.Join(flatItems(list, obj, same), ",")
}

// plain turns Go slices and maps a caller may pass into the []any and
// map[string]any that decoded JSON has, so that one set of rules serves
// both.
func plain(v any) any {
	switch v.(type) {
	case nil, string, bool, json.Number, []any, map[string]any:
		return v
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Pointer:
		b, err := json.Marshal(v)
		if err != nil {
			return v
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var out any
		if dec.Decode(&out) == nil {
			return out
		}
	}
	return v
}

// encodePairs joins pairs as a query string, sorted by key (items of one
// key keep their order), as url.Values.Encode does.
func encodePairs(pairs []pair) string {
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	return joinPairs(pairs)
}
