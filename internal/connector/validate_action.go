package connector

import (
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/naming"
)

func (p *problems) checkAction(at string, a *Action) {
	if a.Name == "" {
		p.add(join(at, "name"), `required; like "Create Contact"`)
	} else {
		p.checkText(join(at, "name"), a.Name, naming.Name)
	}
	p.checkText(join(at, "description"), a.Description, naming.Description)
	switch {
	case a.Key == "" && a.Name != "":
		p.add(join(at, "key"), "cannot be derived from the name %q; set a key of letters, digits and underscores", a.Name)
	case a.Key != "" && !validKey(a.Key):
		p.add(join(at, "key"), "%q must be at most %d letters, digits, '_' or '-'; try %q", a.Key, MaxKeyLength, Slug(a.Key))
	}
	if !slices.Contains(methods, a.Method) {
		p.add(join(at, "method"), "%q is not supported; use one of %s%s", a.Method, strings.Join(methods, ", "), didYouMean(a.Method, methods))
	}
	if !slices.Contains(bodyTypes, a.EffectiveBodyType()) {
		p.add(join(at, "body_type"), "is %q; use one of %s%s", a.BodyType, strings.Join(bodyTypes, ", "), didYouMean(a.BodyType, bodyTypes))
	}
	p.checkEndpoint(at, a)
	p.checkHeaders(join(at, "headers"), a.Headers)
	p.checkResponse(join(at, "response"), a.Response)
	p.checkPagination(join(at, "pagination"), a)
	p.checkApproval(at, a)

	names := map[string]bool{}
	for i := range a.Parameters {
		prm := &a.Parameters[i]
		pat := join(join(at, "parameters"), prm.Name)
		if prm.Name == "" {
			p.add(index(join(at, "parameters"), i), "a parameter needs a name")
			continue
		}
		if names[prm.Name] {
			p.add(pat, "declared twice; keep one")
			continue
		}
		names[prm.Name] = true
		p.checkText(pat, prm.Name, naming.Name)
		p.checkText(join(pat, "description"), prm.Description, naming.Description)
		p.checkParam(pat, a, prm)
	}
}

func (p *problems) checkEndpoint(at string, a *Action) {
	field := join(at, "endpoint")
	switch {
	case a.Endpoint == "":
		return
	case strings.Contains(a.Endpoint, "://"):
		p.add(field, "%q must be a path relative to baseUrl, like /contacts/{id}", a.Endpoint)
		return
	case !strings.HasPrefix(a.Endpoint, "/"):
		p.add(field, "must start with '/', like /%s", a.Endpoint)
	}
	if strings.Contains(a.Endpoint, "#") {
		p.add(field, "must not have a #fragment")
	}
	names, err := placeholders(a.Endpoint)
	if err != nil {
		p.add(field, "%s", err)
	}
	for _, n := range names {
		prm, ok := a.Param(n)
		switch {
		case !ok:
			p.add(field, `uses {%s} but no parameter %q is declared; add "%s": "string" to parameters`, n, n, n)
		case a.location(prm) != InPath:
			p.add(field, `uses {%s} but parameter %q is in %s; make it "in": "path" or remove {%s}`, n, n, a.location(prm), n)
		}
	}
}

func (p *problems) checkParam(at string, a *Action, prm *Param) {
	in := a.location(prm)
	switch {
	case !slices.Contains(locations, in):
		p.add(join(at, "in"), "is %q; use one of %s%s", prm.In, strings.Join(locations, ", "), didYouMean(prm.In, locations))
	case in == InPath && !a.placeholderSet()[prm.Name]:
		p.add(join(at, "in"), "is path but the endpoint %q has no {%s}; add it to the endpoint or put the parameter in query", a.Endpoint, prm.Name)
	case in == InBody && !methodHasBody(a.Method):
		p.add(join(at, "in"), "is body but %s requests carry no body; use query", a.Method)
	case in == InHeader && !validHeaderName(prm.Name):
		p.add(at, "%q is not a valid header name", prm.Name)
	}
	if !p.checkTypes(join(at, "type"), prm.Schema["type"]) {
		return
	}
	p.checkStyle(at, a, prm, in)
	resolved, err := prm.resolve(false)
	if err != nil {
		p.add(at, "is not a valid JSON Schema: %s", schemaMessage(err))
		return
	}
	if prm.Default != nil {
		if msg := valueProblem(prm, resolved, prm.Default); msg != "" {
			p.add(join(at, "default"), "%s", msg)
		}
	}
}

// checkTypes accepts a JSON Schema "type": one name or a list of names.
func (p *problems) checkTypes(at string, t any) bool {
	one := func(s any) bool {
		name, _ := s.(string)
		if slices.Contains(schemaTypes, name) {
			return true
		}
		p.add(at, "unknown type %q; use one of %s%s", name, strings.Join(schemaTypes[:6], ", "), didYouMean(name, schemaTypes))
		return false
	}
	switch t := t.(type) {
	case nil:
		return true
	case []any:
		ok := len(t) > 0
		for _, s := range t {
			ok = one(s) && ok
		}
		return ok
	default:
		return one(t)
	}
}

// checkStyle accepts a style that applies where the parameter goes: the
// body takes styles only when it is a form.
func (p *problems) checkStyle(at string, a *Action, prm *Param, in string) {
	if prm.Style == "" && prm.Explode == nil {
		return
	}
	if in == InBody && a.EffectiveBodyType() != BodyForm {
		p.add(join(at, "style"), "style and explode apply to form bodies; this action's body_type is %s", a.EffectiveBodyType())
		return
	}
	if allowed := stylesFor[in]; prm.Style != "" && !slices.Contains(allowed, prm.Style) {
		p.add(join(at, "style"), "is %q, which a %s parameter cannot have; use one of %s%s", prm.Style, in, strings.Join(allowed, ", "), didYouMean(prm.Style, allowed))
	}
}
