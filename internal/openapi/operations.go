package openapi

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
)

// Limits the connector package puts on action names and keys.
const (
	maxNameLength = naming.MaxName
	maxKeyLength  = connector.MaxKeyLength
)

// methodOrder is the order actions of one path are listed in: the order
// the OpenAPI specification lists a path item's fields.
var methodOrder = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch,
}

// importer carries what building the actions of one document shares: the
// options, the report, the schema cache, and the keys and names taken.
type importer struct {
	spec   *openapi3.T
	opts   Options
	report *Report
	conv   *schemaConverter
	keys   map[string]bool
	names  map[string]bool
	base   string // the integration's base URL
}

func newImporter(spec *openapi3.T, opts Options, report *Report, base string) *importer {
	return &importer{
		spec:   spec,
		base:   base,
		opts:   opts,
		report: report,
		conv:   newSchemaConverter(opts.MaxSchemaDepth),
		keys:   map[string]bool{},
		names:  map[string]bool{},
	}
}

// operation is one method on one path, with the path item it belongs to
// for the parameters declared on the path.
type operation struct {
	method string
	path   string
	item   *openapi3.PathItem
	op     *openapi3.Operation
}

// id names the operation in reports.
func (o operation) id() string { return o.method + " " + o.path }

// operations lists every operation, paths sorted and methods in
// methodOrder, so that keys and reports never depend on map order.
func (imp *importer) operations() []operation {
	var out []operation
	if imp.spec.Paths == nil {
		return nil
	}
	paths := imp.spec.Paths.Map()
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item := paths[path]
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, method := range slices.SortedFunc(maps.Keys(ops), compareMethods) {
			out = append(out, operation{method: strings.ToUpper(method), path: path, item: item, op: ops[method]})
		}
	}
	return out
}

func compareMethods(a, b string) int {
	ia, ib := methodRank(a), methodRank(b)
	if ia != ib {
		return cmp.Compare(ia, ib)
	}
	return strings.Compare(a, b)
}

func methodRank(m string) int {
	if i := slices.Index(methodOrder, strings.ToUpper(m)); i >= 0 {
		return i
	}
	return len(methodOrder)
}

// actions builds the actions of every selected operation, reporting the
// others. ids names the operation each action comes from, for reports.
func (imp *importer) actions(ctx context.Context) (actions []connector.Action, ids []string, err error) {
	ops := imp.operations()
	if err := imp.checkOperationFilter(ops); err != nil {
		return nil, nil, err
	}
	actions = []connector.Action{}
	for _, o := range ops {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		imp.report.Operations++
		if reason := imp.filteredOut(o); reason != "" {
			imp.report.skip(o.id(), "%s", reason)
			continue
		}
		if methodRank(o.method) == len(methodOrder) {
			imp.report.skip(o.id(), "the %s method is not supported", o.method)
			continue
		}
		if imp.opts.MaxActions > 0 && len(actions) >= imp.opts.MaxActions {
			imp.report.skip(o.id(), "over the limit of %d actions (MaxActions)", imp.opts.MaxActions)
			continue
		}
		mark := len(imp.report.Skipped)
		a, ok := imp.action(o)
		if !ok {
			// Parts left out of an operation that is left out whole are
			// noise next to the reason it was.
			kept := slices.DeleteFunc(imp.report.Skipped[mark:], func(s Skip) bool { return s.Partial })
			imp.report.Skipped = imp.report.Skipped[:mark+len(kept)]
			continue
		}
		actions = append(actions, a)
		ids = append(ids, o.id())
	}
	return actions, ids, nil
}

// checkOperationFilter refuses an operationId the document does not have:
// a typo would otherwise import nothing, or less than asked, silently.
func (imp *importer) checkOperationFilter(ops []operation) error {
	have := map[string]bool{}
	for _, o := range ops {
		if o.op != nil && o.op.OperationID != "" {
			have[o.op.OperationID] = true
		}
	}
	for _, id := range imp.opts.Operations {
		if !have[id] {
			return fmt.Errorf("the document has no operation with operationId %q", id)
		}
	}
	return nil
}

// filteredOut says why the options leave an operation out, or "" when it is
// selected. An operation must pass every filter that is set.
func (imp *importer) filteredOut(o operation) string {
	if len(imp.opts.Tags) > 0 && !slices.ContainsFunc(o.op.Tags, func(t string) bool { return slices.Contains(imp.opts.Tags, t) }) {
		return "not selected: has none of the tags " + strings.Join(imp.opts.Tags, ", ")
	}
	if len(imp.opts.PathPrefixes) > 0 && !slices.ContainsFunc(imp.opts.PathPrefixes, func(p string) bool { return strings.HasPrefix(o.path, p) }) {
		return "not selected: the path starts with none of " + strings.Join(imp.opts.PathPrefixes, ", ")
	}
	if len(imp.opts.Operations) > 0 && !slices.Contains(imp.opts.Operations, o.op.OperationID) {
		return "not selected: operationId is not in the list of operations"
	}
	return ""
}

// action builds one action, or reports why the operation cannot be one.
func (imp *importer) action(o operation) (connector.Action, bool) {
	params, bodyType, ok := imp.params(o)
	if !ok {
		return connector.Action{}, false
	}
	if bodyType == connector.BodyJSON {
		bodyType = "" // the default, left unsaid
	}
	imp.reportOwnServers(o)
	key := imp.uniqueKey(o)
	description := describe(o.op.Summary, o.op.Description)
	if o.op.Deprecated {
		description = strings.TrimSpace("Deprecated. " + description)
	}
	return connector.Action{
		Key:         key,
		Name:        imp.uniqueName(o, key),
		Description: description,
		Method:      o.method,
		Endpoint:    endpoint(o.path),
		Parameters:  params,
		Idempotent:  idempotent(o.method),
		Response:    imp.response(o),
		Pagination:  imp.pagination(o, params),
		BodyType:    bodyType,
	}, true
}

// reportOwnServers notes an operation or path that names servers of its
// own: an integration has one base URL, which its calls go to instead.
// Naming the base URL again, or any server when Options.ServerURL chose
// where calls go, is nothing left out.
func (imp *importer) reportOwnServers(o operation) {
	servers := o.item.Servers
	if o.op.Servers != nil && len(*o.op.Servers) > 0 {
		servers = *o.op.Servers
	}
	if len(servers) == 0 || servers[0] == nil || imp.opts.ServerURL != "" {
		return
	}
	for _, s := range servers {
		if s == nil {
			continue
		}
		if raw, err := expandServerURL(s); err == nil {
			if u, err := absoluteURL(raw); err == nil && strings.TrimRight(u, "/") == strings.TrimRight(imp.base, "/") {
				return
			}
		}
	}
	imp.report.partial(o.id(), "it names its own server %q; calls go to the integration's base URL instead", servers[0].URL)
}

// uniqueKey slugs the operationId, or the method and path without one, and
// numbers repeats in document order: keys name actions in URLs and tools.
func (imp *importer) uniqueKey(o operation) string {
	base := slug(o.op.OperationID)
	if base == "" {
		base = slug(o.method + " " + o.path)
	}
	key := truncateKey(base, "")
	for n := 2; imp.keys[key]; n++ {
		key = truncateKey(base, "_"+strconv.Itoa(n))
	}
	imp.keys[key] = true
	return key
}

// uniqueName uses the summary, and adds the key when another action has the
// same summary, since actions can be called by name as well as by key.
func (imp *importer) uniqueName(o operation, key string) string {
	name := strings.Join(strings.Fields(o.op.Summary), " ")
	if name == "" {
		name = firstNonEmpty(o.op.OperationID, o.id())
	}
	name = nameText(name, maxNameLength)
	if imp.names[name] {
		suffix := " (" + key + ")"
		name = nameText(name, maxNameLength-utf8.RuneCountInString(suffix)) + suffix
	}
	imp.names[name] = true
	return name
}

// truncateKey fits base and suffix into maxKeyLength, cutting the
// base: some documents have operationIds longer than a tool name may be.
func truncateKey(base, suffix string) string {
	if room := maxKeyLength - len(suffix); len(base) > room {
		base = strings.TrimRight(base[:room], "_")
	}
	return base + suffix
}

// endpoint drops a #fragment from a path: some documents use one to tell
// apart operations on the same path, and it is never sent.
func endpoint(path string) string {
	p, _, _ := strings.Cut(path, "#")
	return p
}

// idempotent tells whether repeating the call has the same effect as making
// it once, as RFC 9110 defines the methods.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}
