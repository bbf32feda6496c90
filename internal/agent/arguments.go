package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// A tool's arguments are its action's parameters, under names every model
// provider accepts. Anthropic and Amazon Bedrock refuse a tool whose input
// schema has a property key outside [acceptedKey], and with it the whole
// request; APIs name parameters "DateSent>", "filter[status]" or
// "{field_name}". Such a key is shown under a name of its own (see
// [shownNames]) in tools/list and in every export, and a call's arguments
// are mapped back to the API's names before the action runs. The mapping
// is here, not in a surface, so that every surface that runs an agent's
// tools shares it.

// acceptedKey is what Anthropic and Bedrock allow as a property key.
var acceptedKey = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// refusedRun is a run of characters acceptedKey does not allow.
var refusedRun = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// argNames maps the names a tool shows for the keys of one object, and of
// the objects nested in it, to the action's names. A nil *argNames renames
// nothing.
type argNames struct {
	real   map[string]string    // shown → real, renamed keys only
	shown  map[string]string    // real → shown, renamed keys only
	nested map[string]*argNames // real key → the names inside its value
	items  *argNames            // the names inside each array item
}

// namesOf finds the keys to rename in the object the schemas describe
// (alternatives for one value: allOf, anyOf and oneOf branches share the
// value's names) and below it. It returns nil when no key needs renaming.
func namesOf(schemas ...*jsonschema.Schema) *argNames {
	props := map[string][]*jsonschema.Schema{}
	var items []*jsonschema.Schema
	var visit func(*jsonschema.Schema)
	visit = func(s *jsonschema.Schema) {
		if s == nil {
			return
		}
		for k, ps := range s.Properties {
			props[k] = append(props[k], ps)
		}
		if s.Items != nil {
			items = append(items, s.Items)
		}
		for _, branch := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf) {
			visit(branch)
		}
	}
	for _, s := range schemas {
		visit(s)
	}
	n := &argNames{}
	for real, shown := range shownNames(slices.Collect(maps.Keys(props))) {
		if real != shown {
			if n.real == nil {
				n.real, n.shown = map[string]string{}, map[string]string{}
			}
			n.real[shown], n.shown[real] = real, shown
		}
	}
	for k, alternatives := range props {
		if inner := namesOf(alternatives...); inner != nil {
			if n.nested == nil {
				n.nested = map[string]*argNames{}
			}
			n.nested[k] = inner
		}
	}
	if len(items) > 0 {
		n.items = namesOf(items...)
	}
	if n.real == nil && n.nested == nil && n.items == nil {
		return nil
	}
	return n
}

// shownNames gives each key of one object the name a tool shows for it:
// the key itself when providers accept it, else its accepted characters
// (each run of others becomes "_"), cut to fit, then "_" and hex digits of
// the key's SHA-256. The name depends on the key alone, so it stays the
// same from one listing to the next; more digits are taken in the unlikely
// case that it is another key's name already.
func shownNames(keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	taken := map[string]bool{}
	var refused []string
	for _, k := range keys {
		if acceptedKey.MatchString(k) {
			out[k] = k
			taken[k] = true
		} else {
			refused = append(refused, k)
		}
	}
	slices.Sort(refused)
	for _, k := range refused {
		sum := sha256.Sum256([]byte(k))
		digits := hex.EncodeToString(sum[:])
		base := strings.Trim(refusedRun.ReplaceAllString(k, "_"), "_")
		if base == "" {
			base = "arg"
		}
		var name string
		for n := 6; n <= 62; n += 2 {
			name = base[:min(len(base), 63-n)] + "_" + digits[:n]
			if !taken[name] {
				break
			}
		}
		out[k] = name
		taken[name] = true
	}
	return out
}

// rename rewrites s, a schema the names were found in, to show the names:
// property keys, their order, the required list, and a note in a renamed
// property's description of the name the API uses.
func (n *argNames) rename(s *jsonschema.Schema) {
	if n == nil || s == nil {
		return
	}
	if s.Properties != nil {
		props := make(map[string]*jsonschema.Schema, len(s.Properties))
		for k, ps := range s.Properties {
			n.nested[k].rename(ps)
			if shown, ok := n.shown[k]; ok {
				if ps == nil {
					ps = &jsonschema.Schema{}
				}
				ps.Description = strings.TrimSpace(ps.Description + fmt.Sprintf("\n\nThe API's name for this is %q.", k))
				k = shown
			}
			props[k] = ps
		}
		s.Properties = props
		s.PropertyOrder = n.shownAll(s.PropertyOrder)
		s.Required = n.shownAll(s.Required)
	}
	n.items.rename(s.Items)
	for _, branch := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf) {
		n.rename(branch)
	}
}

func (n *argNames) shownAll(keys []string) []string {
	if keys == nil {
		return nil
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k
		if shown, ok := n.shown[k]; ok {
			out[i] = shown
		}
	}
	return out
}

// params maps a value given under the shown names back to the API's
// names, at any depth. A key the tool does not rename is kept as it is.
func (n *argNames) params(v any) any {
	if n == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, inner := range t {
			real := k
			if r, ok := n.real[k]; ok {
				real = r
			} else if _, renamed := n.shown[k]; renamed {
				// The API's own name, sent by a client that did not read
				// the schema: kept unless the shown name is given too.
				if _, both := t[n.shown[k]]; both {
					continue
				}
			}
			out[real] = n.nested[real].params(inner)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			out[i] = n.items.params(item)
		}
		return out
	}
	return v
}

// InputSchema is the action's parameters as one JSON Schema object, under
// the names the tool shows.
func (t *Tool) InputSchema() *jsonschema.Schema {
	s := t.Action.InputSchema()
	namesOf(s).rename(s)
	t.addPaging(s)
	return s
}

// InputSchemaJSON is [Tool.InputSchema] encoded as JSON.
func (t *Tool) InputSchemaJSON() json.RawMessage {
	b, err := json.Marshal(t.InputSchema())
	if err != nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	return b
}

// Params turns the arguments of a call of t, named as the tool shows
// them, into the action's parameters under the API's names.
func (t *Tool) Params(args map[string]any) map[string]any {
	out, _ := namesOf(t.Action.InputSchema()).params(args).(map[string]any)
	return out
}

// ArgumentName is the name the tool shows for the parameter a problem's
// field names ("params.DateSent>" is "DateSent_1f0c2e" when so renamed;
// "params." is dropped).
func (t *Tool) ArgumentName(field string) string {
	name := strings.TrimPrefix(field, "params.")
	if n := namesOf(t.Action.InputSchema()); n != nil {
		if shown, ok := n.shown[name]; ok {
			return shown
		}
	}
	return name
}
