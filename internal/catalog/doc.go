// Package catalog is the public catalog of reviewed integrations: the
// automated security audit an integration must pass before a platform
// reviewer sees it, the documentation generated for approved entries, and
// the operations of the catalog's application layer (submitting a
// deployed version, reviewing submissions, installing a published entry
// into another organization), each audited in its own transaction.
package catalog
