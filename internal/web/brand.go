package web

import (
	"net/url"

	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/store"
)

// brand is the product name and logo the dashboard shows.
type brand struct {
	Name    string
	LogoURL string
}

// brandFor shows an organization's own product name and logo when its
// plan includes white-labelling, and Plugboard otherwise.
func brandFor(org store.Org) brand {
	b := brand{Name: "Plugboard"}
	limits, err := plan.Get(org.Plan)
	if err != nil || !limits.WhiteLabel {
		return b
	}
	if org.ProductName != "" {
		b.Name = org.ProductName
	}
	if u, err := url.Parse(org.LogoURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		b.LogoURL = org.LogoURL
	}
	return b
}
