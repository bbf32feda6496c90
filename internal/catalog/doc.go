// Package catalog is the public catalog of reviewed integrations: the
// automated security audit an integration must pass before a platform
// reviewer sees it, and the documentation generated for approved entries.
package catalog
