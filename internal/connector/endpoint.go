package connector

import (
	"fmt"
	"strings"
)

// placeholders returns the {names} in an endpoint, in order, or an error
// describing a malformed one.
func placeholders(endpoint string) ([]string, error) {
	var names []string
	rest := endpoint
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			return names, nil
		}
		if rest[open] == '}' {
			return names, fmt.Errorf("has a '}' without a matching '{'")
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return names, fmt.Errorf("has a '{' without a matching '}'")
		}
		name := rest[open+1 : open+1+end]
		if name == "" || strings.ContainsAny(name, "/?#& ") {
			return names, fmt.Errorf("has an invalid placeholder {%s}; use a parameter name like {id}", name)
		}
		names = append(names, name)
		rest = rest[open+1+end+1:]
	}
}

// placeholderSet is the set of names the action's endpoint fills in.
func (a *Action) placeholderSet() map[string]bool {
	names, _ := placeholders(a.Endpoint)
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

// location is where a parameter goes: as declared, else path when the
// endpoint names it, else query for methods without a body, else body.
func (a *Action) location(p *Param) string {
	if p.In != "" {
		return strings.ToLower(p.In)
	}
	if a.placeholderSet()[p.Name] {
		return InPath
	}
	if !methodHasBody(a.Method) {
		return InQuery
	}
	return InBody
}

// methodHasBody reports whether requests with this method carry the body
// parameters; GET, HEAD and DELETE send theirs in the query instead,
// since many servers and proxies drop or reject such bodies.
func methodHasBody(method string) bool {
	switch strings.ToUpper(method) {
	case "", "GET", "HEAD", "DELETE", "OPTIONS":
		return false
	}
	return true
}

// Param returns the parameter with the given name.
func (a *Action) Param(name string) (*Param, bool) {
	for i := range a.Parameters {
		if a.Parameters[i].Name == name {
			return &a.Parameters[i], true
		}
	}
	return nil, false
}

// paramNames lists the parameter names in order, for messages.
func (a *Action) paramNames() string {
	names := make([]string, len(a.Parameters))
	for i, p := range a.Parameters {
		names[i] = p.Name
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
