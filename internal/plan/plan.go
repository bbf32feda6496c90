// Package plan knows what each organization plan allows.
package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Unlimited marks a limit that does not apply.
const Unlimited = -1

// Limits are what one plan allows.
type Limits struct {
	Name         string `json:"name"`
	Integrations int    `json:"integrations"` // custom integrations; Unlimited = no cap
	WhiteLabel   bool   `json:"white_label"`
	// RetentionDays is how long events (with their trigger runs) and call
	// log entries are kept; CallLogBodiesDays how long the call log keeps
	// request and response bodies and headers, the bulk of it and the part
	// most likely to hold personal data.
	RetentionDays     int `json:"retention_days"`
	CallLogBodiesDays int `json:"call_log_bodies_days"`
}

var plans = map[string]Limits{
	"free":    {Name: "free", Integrations: 2, RetentionDays: 3, CallLogBodiesDays: 1},
	"starter": {Name: "starter", Integrations: 5, RetentionDays: 7, CallLogBodiesDays: 3},
	"growth":  {Name: "growth", Integrations: 20, RetentionDays: 30, CallLogBodiesDays: 7},
	"scale":   {Name: "scale", Integrations: Unlimited, RetentionDays: 90, CallLogBodiesDays: 30},
	"agency":  {Name: "agency", Integrations: Unlimited, WhiteLabel: true, RetentionDays: 365, CallLogBodiesDays: 90},
}

// Get returns a plan's limits.
func Get(name string) (Limits, error) {
	l, ok := plans[strings.ToLower(name)]
	if !ok {
		return Limits{}, fmt.Errorf("unknown plan %q; plans are %s", name, strings.Join(Names(), ", "))
	}
	return l, nil
}

// Names lists the plans from smallest to largest.
func Names() []string {
	out := make([]string, 0, len(plans))
	for n := range plans {
		out = append(out, n)
	}
	order := map[string]int{"free": 0, "starter": 1, "growth": 2, "scale": 3, "agency": 4}
	sort.Slice(out, func(i, j int) bool { return order[out[i]] < order[out[j]] })
	return out
}

// CheckIntegrations returns an error saying what to do when an organization
// on plan with have integrations may not add another.
func CheckIntegrations(name string, have int) error {
	l, err := Get(name)
	if err != nil {
		return err
	}
	if l.Integrations == Unlimited || have < l.Integrations {
		return nil
	}
	return fmt.Errorf("the %s plan allows %d custom integrations and this organization has %d; delete one or upgrade the plan", l.Name, l.Integrations, have)
}
