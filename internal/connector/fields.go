package connector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// field is one key a JSON object accepts, under every spelling authors
// reach for: camelCase, snake_case and an upper-case acronym ("baseUrl",
// "base_url", "baseURL"), plus any synonyms.
type field struct {
	name      string // canonical spelling, as Plugboard writes it
	spellings []string
}

// newField accepts canonical and each synonym in all their spellings.
func newField(canonical string, synonyms ...string) field {
	f := field{name: canonical}
	seen := map[string]bool{}
	for _, s := range append([]string{canonical}, synonyms...) {
		for _, v := range variants(s) {
			if !seen[v] {
				seen[v] = true
				f.spellings = append(f.spellings, v)
			}
		}
	}
	return f
}

// variants returns s as written, then its camelCase, snake_case and
// acronym forms.
func variants(s string) []string {
	words := splitWords(s)
	if len(words) < 2 {
		return []string{s}
	}
	var camel, acronym strings.Builder
	for i, w := range words {
		if i == 0 {
			camel.WriteString(w)
			acronym.WriteString(w)
			continue
		}
		camel.WriteString(strings.ToUpper(w[:1]) + w[1:])
		if w == "url" || w == "id" {
			acronym.WriteString(strings.ToUpper(w))
		} else {
			acronym.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return []string{s, camel.String(), strings.Join(words, "_"), acronym.String()}
}

// splitWords splits camelCase or snake_case into lower-case words.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	runes := []rune(s)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range runes {
		switch {
		case r == '_' || r == '-':
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(runes[i-1]) || i+1 < len(runes) && unicode.IsLower(runes[i+1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// member is one key and value of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

var errNotObject = errors.New("not an object")

// members decodes a JSON object keeping its members in order, which a Go
// map would lose.
func members(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errNotObject
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, value: v})
	}
	return out, nil
}

// isNull reports whether raw is absent or JSON null, which authors use to
// mean "not set".
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// object decodes the JSON object at path into canonical key → value,
// reporting unknown keys (with the nearest known spelling), keys given
// twice, and credentials placed where they do not belong. It returns nil
// when raw is not an object.
func (p *problems) object(raw json.RawMessage, path string, known []field) map[string]json.RawMessage {
	ms, err := members(raw)
	if err != nil {
		p.add(path, "must be a JSON object")
		return nil
	}
	lookup := map[string]string{}
	var all []string
	for _, f := range known {
		for _, s := range f.spellings {
			lookup[s] = f.name
			all = append(all, s)
		}
	}
	out := map[string]json.RawMessage{}
	given := map[string]string{}
	for _, m := range ms {
		name, ok := lookup[m.key]
		if !ok {
			if guess := p.unknown(path, m.key, all); guess != "" {
				p.misspelled = append(p.misspelled, join(path, lookup[guess]))
			}
			continue
		}
		if prev, dup := given[name]; dup {
			if prev == m.key {
				p.add(join(path, m.key), "given twice; keep one")
			} else {
				p.add(join(path, m.key), "given twice, as %q and %q; keep one", prev, m.key)
			}
			continue
		}
		given[name] = m.key
		if !isNull(m.value) {
			out[name] = m.value
		}
	}
	return out
}

// secretKeys are credential fields authors sometimes paste into a
// definition; they belong to a connection, which stores them encrypted.
var secretKeys = map[string]bool{
	"apikey": true, "token": true, "password": true, "username": true,
	"clientid": true, "clientsecret": true, "secret": true,
	"accesstoken": true, "refreshtoken": true, "bearertoken": true,
}

// unknown reports a key that is not accepted here, and returns the
// spelling it suggested instead, if any.
func (p *problems) unknown(path, key string, candidates []string) string {
	where := ""
	if path != "" {
		where = " at " + path
	}
	norm := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(key))
	if secretKeys[norm] {
		p.add(join(path, key), "credentials do not belong in a definition, which is shared and versioned; set %q on a connection instead", key)
		return ""
	}
	guess := closest(key, candidates)
	hint := ""
	if guess != "" {
		hint = fmt.Sprintf("; did you mean %q?", guess)
	}
	p.add(join(path, key), "unknown field %q%s%s", key, where, hint)
	return guess
}

// str decodes a string member; a wrong type is reported, not fatal.
func (p *problems) str(m map[string]json.RawMessage, key, path string) string {
	var s string
	if raw, ok := m[key]; ok {
		if err := json.Unmarshal(raw, &s); err != nil {
			p.add(join(path, key), "must be a string")
		}
	}
	return s
}

func (p *problems) boolean(m map[string]json.RawMessage, key, path string) bool {
	var b bool
	if raw, ok := m[key]; ok {
		if err := json.Unmarshal(raw, &b); err != nil {
			p.add(join(path, key), "must be true or false")
		}
	}
	return b
}

func (p *problems) number(m map[string]json.RawMessage, key, path string) float64 {
	var f float64
	if raw, ok := m[key]; ok {
		if err := json.Unmarshal(raw, &f); err != nil {
			p.add(join(path, key), "must be a number")
		}
	}
	return f
}

func (p *problems) integer(m map[string]json.RawMessage, key, path string) int {
	f := p.number(m, key, path)
	if f != float64(int(f)) {
		p.add(join(path, key), "must be a whole number, got %v", f)
		return 0
	}
	return int(f)
}

// stringMap decodes an object of strings, like a headers block.
func (p *problems) stringMap(m map[string]json.RawMessage, key, path string) map[string]string {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	var out map[string]string
	if err := json.Unmarshal(raw, &out); err != nil {
		p.add(join(path, key), "must be an object of string values, like {\"X-Name\": \"value\"}")
		return nil
	}
	return out
}

// syntaxError locates a JSON syntax error by line and column, which is
// what an author editing a file needs.
func syntaxError(raw []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Errorf("parse definition: %w", err)
	}
	off := min(int(se.Offset), len(raw))
	line := 1 + bytes.Count(raw[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(raw[:off], '\n')
	return fmt.Errorf("parse definition: invalid JSON at line %d, column %d: %w", line, col, err)
}
