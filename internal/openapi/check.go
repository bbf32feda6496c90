package openapi

import (
	"errors"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
)

// conform holds the imported definition to the connector's own rules, so
// that what Import returns is always accepted when it is saved. The import
// avoids what it knows the rules refuse; this catches the rest of what a
// document can say (a pattern that is not valid, a type the connector does
// not know) and leaves out only what is at fault: an action, reported with
// the connector's message, or the auth, which falls back to none.
func conform(def *connector.Definition, ids []string, report *Report) error {
	probe := *def
	probe.Actions = nil
	var fatal []string
	for _, fe := range fieldErrors(probe.Validate()) {
		switch {
		case strings.HasPrefix(fe.Field, "actions"):
		case strings.HasPrefix(fe.Field, "auth"):
			report.skip("auth", "the %s auth the document describes was not usable (%s); set the auth by hand", def.Auth.Type, fe.Error())
			def.Auth = connector.Auth{Type: connector.AuthNone}
		default:
			fatal = append(fatal, fe.Error())
		}
	}
	if len(fatal) > 0 {
		return errors.New(strings.Join(fatal, "; "))
	}

	kept := def.Actions[:0]
	for i, a := range def.Actions {
		probe.Actions = []connector.Action{a}
		problems := actionProblems(&probe)
		if len(problems) > 0 {
			var msgs []string
			for _, fe := range problems {
				msgs = append(msgs, fe.Error())
			}
			report.skip(ids[i], "not imported: the action it makes is not valid: %s", strings.Join(msgs, "; "))
			continue
		}
		kept = append(kept, a)
	}
	def.Actions = kept
	return nil
}

// actionProblems validates a definition of one action and returns the
// action's problems, their fields relative to the action.
func actionProblems(probe *connector.Definition) []connector.FieldError {
	var out []connector.FieldError
	for _, fe := range fieldErrors(probe.Validate()) {
		if field, ok := strings.CutPrefix(fe.Field, "actions[0]"); ok {
			fe.Field = strings.TrimPrefix(field, ".")
			out = append(out, fe)
		}
	}
	return out
}

func fieldErrors(err error) []connector.FieldError {
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	if err != nil {
		return []connector.FieldError{{Message: err.Error()}}
	}
	return nil
}

// resolveAuthURLs makes OAuth 2.0 URLs absolute: OpenAPI 3 lets them be
// relative to the server.
func resolveAuthURLs(auth *connector.Auth, base string) {
	b, err := url.Parse(base + "/")
	if err != nil {
		return
	}
	for _, u := range []*string{&auth.AuthorizeURL, &auth.TokenURL, &auth.RevokeURL} {
		if *u == "" {
			continue
		}
		if ref, err := url.Parse(*u); err == nil && !ref.IsAbs() {
			*u = b.ResolveReference(ref).String()
		}
	}
}
