package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

// ActionDef is an action ready to add to an [Integration]; make it with
// [Action].
type ActionDef struct {
	key, name, description string
	input, output          *jsonschema.Schema
	run                    func(ctx context.Context, c *Call, input json.RawMessage) (any, error)
	err                    error
}

// Key is the action's stable key (used in URLs and tool names).
func (a *ActionDef) Key() string { return a.key }

// InputSchema is the JSON Schema of the action's input, as registered.
func (a *ActionDef) InputSchema() *jsonschema.Schema { return a.input }

// OutputSchema is the JSON Schema of the action's output, as registered.
func (a *ActionDef) OutputSchema() *jsonschema.Schema { return a.output }

// Action defines an action named key that runs fn. In is the input and
// must be a struct: each exported field is a parameter, named by its json
// tag. Out is the output, any type that encodes to JSON.
//
// The input and output JSON Schemas come from the Go types through
// github.com/google/jsonschema-go's For, which reads:
//   - the json tag for the property name, and "-" to leave a field out;
//   - required: a field without omitempty or omitzero is required;
//   - a `jsonschema:"…"` tag as the property's description;
//   - types: strings, numbers (with the bounds of sized integers), bools,
//     slices and arrays, maps with string keys, nested structs, pointers
//     (which also accept null) and time.Time (a string).
//
// That package has no tags for enums or defaults; set them with the
// [Enum] and [Default] options, or anything else with [EditSchema].
// The server checks every call's input against the schema before a
// worker sees it and fills in defaults.
//
// Problems with the types (an input that is not a struct, a channel
// field) are reported by [Integration.Serve] and [Integration.Validate].
func Action[In, Out any](key string, fn func(ctx context.Context, c *Call, in In) (Out, error), opts ...ActionOption) *ActionDef {
	a := &ActionDef{key: key, name: title(key)}
	if !validKey(key) {
		a.err = fmt.Errorf("sdk: action key %q must be 1 to 64 letters, digits, '_' or '-'", key)
		return a
	}
	var err error
	if a.input, err = jsonschema.For[In](nil); err != nil {
		a.err = fmt.Errorf("sdk: action %q: the input type has no JSON Schema: %v", key, err)
		return a
	}
	if reflect.TypeFor[In]().Kind() != reflect.Struct {
		a.err = fmt.Errorf("sdk: action %q: the input must be a struct (its fields are the parameters), got %s", key, reflect.TypeFor[In]())
		return a
	}
	if a.output, err = jsonschema.For[Out](&jsonschema.ForOptions{IgnoreInvalidTypes: true}); err != nil {
		a.output = nil // outputs are documentation; a type For cannot describe is still allowed
	}
	for _, o := range opts {
		if err := o(a); err != nil && a.err == nil {
			a.err = fmt.Errorf("sdk: action %q: %v", key, err)
		}
	}
	a.run = func(ctx context.Context, c *Call, raw json.RawMessage) (any, error) {
		var in In
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, Errorf(400, "the input does not fit %T: %v", in, err)
			}
		}
		return fn(ctx, c, in)
	}
	return a
}

// ActionOption adjusts an action; see [Title], [Describe], [Enum],
// [Default] and [EditSchema].
type ActionOption func(*ActionDef) error

// Title sets the name people and agents see; by default it is made from
// the key ("create_record" → "Create Record").
func Title(name string) ActionOption {
	return func(a *ActionDef) error { a.name = name; return nil }
}

// Describe sets the description agents read to decide when to call the
// action.
func Describe(text string) ActionOption {
	return func(a *ActionDef) error { a.description = text; return nil }
}

// Enum limits an input property to values. The property is named by its
// JSON name; nested properties by a dotted path ("address.country").
func Enum(property string, values ...any) ActionOption {
	return EditSchema(func(s *jsonschema.Schema) error {
		p, err := property1(s, property)
		if err == nil {
			p.Enum = values
		}
		return err
	})
}

// Default gives an input property a default, which the server fills in
// when a call leaves the property out (it also makes it optional).
func Default(property string, value any) ActionOption {
	return EditSchema(func(s *jsonschema.Schema) error {
		p, err := property1(s, property)
		if err != nil {
			return err
		}
		if p.Default, err = json.Marshal(value); err != nil {
			return fmt.Errorf("default of %s: %v", property, err)
		}
		parent, name := parentOf(s, property)
		parent.Required = without(parent.Required, name)
		return nil
	})
}

// EditSchema changes the input schema with fn, for keywords the Go types
// cannot express (minimum, pattern, format, examples, …).
func EditSchema(fn func(input *jsonschema.Schema) error) ActionOption {
	return func(a *ActionDef) error {
		if a.input == nil {
			return nil
		}
		return fn(a.input)
	}
}

func property1(s *jsonschema.Schema, path string) (*jsonschema.Schema, error) {
	cur := s
	for _, name := range strings.Split(path, ".") {
		next, ok := cur.Properties[name]
		if !ok {
			return nil, fmt.Errorf("the input has no property %q (in %q)", name, path)
		}
		cur = next
	}
	return cur, nil
}

func parentOf(s *jsonschema.Schema, path string) (*jsonschema.Schema, string) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return s, path
	}
	p, _ := property1(s, path[:i])
	return p, path[i+1:]
}

func without(list []string, name string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != name {
			out = append(out, v)
		}
	}
	return out
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// title turns "create_record" into "Create Record".
func title(key string) string {
	words := strings.FieldsFunc(key, func(r rune) bool { return r == '_' || r == '-' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
