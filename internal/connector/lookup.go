package connector

import (
	"strings"
	"time"
)

// Action finds an action by its key, else by its name ignoring case, else
// by the slug of the input, so "create_contact", "Create Contact" and
// "create contact" all find the same action. The pointer refers into
// d.Actions.
func (d *Definition) Action(keyOrName string) (*Action, bool) {
	for i := range d.Actions {
		if d.Actions[i].Key == keyOrName {
			return &d.Actions[i], true
		}
	}
	for i := range d.Actions {
		if strings.EqualFold(d.Actions[i].Name, keyOrName) {
			return &d.Actions[i], true
		}
	}
	if slug := Slug(keyOrName); slug != "" {
		for i := range d.Actions {
			if d.Actions[i].Key == slug {
				return &d.Actions[i], true
			}
		}
	}
	return nil, false
}

// BaseURLFor returns the base URL for an environment: its override when
// one is declared, else the definition's base URL.
func (d *Definition) BaseURLFor(env string) string {
	if e, ok := d.Environments[env]; ok && e.BaseURL != "" {
		return e.BaseURL
	}
	return d.BaseURL
}

// TestActionFor returns the action that "test connection" runs: the
// declared test action, else the first GET action, which is the likeliest
// to be harmless. It reports false when there is neither.
func (d *Definition) TestActionFor() (*Action, bool) {
	if d.TestAction != "" {
		return d.Action(d.TestAction)
	}
	for i := range d.Actions {
		if strings.EqualFold(d.Actions[i].Method, "GET") || d.Actions[i].Method == "" {
			return &d.Actions[i], true
		}
	}
	return nil, false
}

// Timeout is how long one call to the API may take: the declared
// timeoutSeconds, else the 30 second limit every call has.
func (d *Definition) Timeout() time.Duration {
	if d.TimeoutSeconds >= 1 && d.TimeoutSeconds <= MaxTimeoutSeconds {
		return time.Duration(d.TimeoutSeconds) * time.Second
	}
	return MaxTimeoutSeconds * time.Second
}
