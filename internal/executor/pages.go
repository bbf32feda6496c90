package executor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// MaxPagesPerCall bounds the pages one call gathers, whatever it asks.
const MaxPagesPerCall = 100

// maxCombinedBytes bounds the list one call gathers: the payload limit of
// a call. A list that would grow past it stops there, with a cursor.
var maxCombinedBytes = connector.MaxResponseBytes

// Pages is how much of a paginated list a call gathers: one page unless
// it asks for more. The result's body is the list of the items gathered
// (the selection, if any, applies to that list), whatever the style puts
// around them in a page.
type Pages struct {
	MaxPages int    // fetch at most this many pages
	MaxItems int    // return exactly this many items, or all there are
	Cursor   string // continue where an earlier result's next_cursor left off
}

func (p Pages) combined() bool { return p.MaxPages > 0 || p.MaxItems > 0 || p.Cursor != "" }

// PageInfo is what a paginated call gathered, and where to continue.
type PageInfo struct {
	Pages      int    `json:"pages"`
	Items      int    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageState is where a page starts: the value of the page parameter (a
// cursor, an offset, a page number) or the next Link URL, and the items
// of that page already returned. Callers see it as an opaque cursor.
type pageState struct {
	Action string `json:"a"`
	Value  any    `json:"v,omitempty"`
	Skip   int    `json:"s,omitempty"`
}

func (s pageState) token() string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(token, action string) (pageState, error) {
	var s pageState
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil || s.Action != action || s.Skip < 0 {
		return pageState{}, problem.BadRequest("cursor is not one this action returned; pass the next_cursor of an earlier result of %s, or leave it out to start from the first page", action)
	}
	return s, nil
}

// pager walks a paginated list one page at a time.
type pager struct {
	e      *Executor
	t      *Target
	def    *connector.Definition
	a      *connector.Action
	pg     *connector.Pagination
	conn   store.Connection
	creds  connector.Credentials
	c      Call
	params map[string]any
	first  *connector.PreparedRequest
}

// pages runs a call of a paginated action: one page, or as many as the
// call asks for, each through send (the same outbound path, limits and
// call log as any call). A cursor or next link seen before stops the walk
// with an error: following it would loop.
func (p *pager) run(ctx context.Context) (*Result, error) {
	state := pageState{Action: p.a.Key, Value: p.start()}
	if p.c.Pages.Cursor != "" {
		var err error
		if state, err = parseCursor(p.c.Pages.Cursor, p.a.Key); err != nil {
			return nil, err
		}
	}
	want := p.c.Pages
	maxPages := want.MaxPages
	if maxPages <= 0 || maxPages > MaxPagesPerCall {
		maxPages = MaxPagesPerCall
	}
	if !want.combined() {
		maxPages = 1
	}
	seen := map[string]bool{}
	var items []json.RawMessage
	size := 0
	var last *Result
	info := &PageInfo{}
	for {
		res, err := p.fetch(ctx, state)
		if err != nil {
			return nil, err
		}
		if last != nil {
			res.DurationMS += last.DurationMS
			res.Attempts += last.Attempts
		}
		last = res
		info.Pages++
		if res.Status < 200 || res.Status > 299 {
			// The API's refusal is the answer; where it happened is kept.
			info.NextCursor = state.token()
			res.Pagination = info
			return res, nil
		}
		raw, _ := res.Body.(json.RawMessage)
		page, err := p.items(ctx, raw)
		if err != nil {
			return nil, err
		}
		next, more, err := p.next(ctx, state, res, raw, len(page))
		if err != nil {
			return nil, err
		}
		if more && p.pg.Style == connector.PageLink {
			if err := p.underBase(next.Value.(string)); err != nil {
				return nil, err
			}
		}
		if more {
			key := fmt.Sprint(next.Value)
			if seen[key] || key == fmt.Sprint(state.Value) {
				return nil, problem.New(http.StatusBadGateway, "%s returned the same next page (%s) twice after %d pages, so the list would loop; stopped. Check the action's pagination (%s) or ask for fewer pages (max_pages).",
					p.t.Integration.Name, key, info.Pages, p.pg.Style)
			}
			seen[fmt.Sprint(state.Value)] = true
		}
		page = page[min(state.Skip, len(page)):]
		var limit int
		limit, size = fitting(page, len(items), size, want.MaxItems, maxCombinedBytes)
		if limit < len(page) || want.MaxItems > 0 && len(items)+limit >= want.MaxItems {
			take := limit
			items = append(items, page[:take]...)
			switch {
			case take < len(page):
				info.NextCursor = pageState{Action: p.a.Key, Value: state.Value, Skip: state.Skip + take}.token()
			case more:
				info.NextCursor = next.token()
			}
			break
		}
		items = append(items, page...)
		if !more {
			break
		}
		state = next
		if info.Pages >= maxPages {
			info.NextCursor = next.token()
			break
		}
	}
	info.Items = len(items)
	last.Pagination = info
	last.Body = listOf(items)
	return last, nil
}

// fitting is how many items of page join a list of have items and size
// bytes: up to maxItems in all (0: any number), and within maxBytes,
// though the list's first item always joins. It returns the list's new
// size too.
func fitting(page []json.RawMessage, have, size, maxItems, maxBytes int) (int, int) {
	limit := len(page)
	if maxItems > 0 {
		limit = max(min(limit, maxItems-have), 0)
	}
	for i, it := range page[:limit] {
		if size+len(it)+1 > maxBytes && have+i > 0 {
			return i, size
		}
		size += len(it) + 1
	}
	return limit, size
}

func listOf(items []json.RawMessage) json.RawMessage {
	if items == nil {
		items = []json.RawMessage{}
	}
	b, _ := json.Marshal(items)
	return b
}

// start is the page parameter of the first page: the caller's own value,
// else the style's first.
func (p *pager) start() any {
	if v, ok := p.params[p.pg.Param]; ok && p.pg.Style != connector.PageLink {
		return v
	}
	switch p.pg.Style {
	case connector.PageOffset:
		return 0
	case connector.PagePage:
		return 1
	}
	return nil
}

// fetch sends the page that state names.
func (p *pager) fetch(ctx context.Context, state pageState) (*Result, error) {
	prep := *p.first
	switch {
	case state.Value == nil:
	case p.pg.Style == connector.PageLink:
		next, _ := state.Value.(string)
		if err := p.underBase(next); err != nil {
			return nil, err
		}
		prep.URL = next
	default:
		if prm, ok := p.a.Param(p.pg.Param); ok && prm.In == connector.InBody {
			values := make(map[string]any, len(p.params)+1)
			for k, v := range p.params {
				values[k] = v
			}
			values[p.pg.Param] = state.Value
			built, err := p.def.BuildChecked(p.a, p.c.Environment, values)
			if err != nil {
				return nil, problem.BadRequest("build request for %s: %v", p.a.Key, err)
			}
			prep = *built
			break
		}
		u, err := url.Parse(prep.URL)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set(p.pg.Param, scalar(state.Value))
		u.RawQuery = q.Encode()
		prep.URL = u.String()
	}
	return p.e.send(ctx, p.t, p.conn, p.creds, sendSpec{
		action: p.a.Key, env: p.c.Environment, source: p.c.Source, actor: p.c.Actor,
		method: prep.Method, url: prep.URL, header: prep.Header, body: prep.Body,
		idempotencyKey: p.c.IdempotencyKey,
	})
}

// items finds the list in a page.
func (p *pager) items(ctx context.Context, raw json.RawMessage) ([]json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	list := any(raw)
	if p.pg.Items != "" {
		v, err := fit.Path(ctx, raw, p.pg.Items)
		if err != nil {
			return nil, problem.New(http.StatusBadGateway, "the items of %s's page could not be read at %q: %v", p.t.Integration.Name, p.pg.Items, err)
		}
		if v == nil {
			return nil, nil
		}
		b, _ := json.Marshal(v)
		list = json.RawMessage(b)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(list.(json.RawMessage), &out); err != nil {
		where := "the body"
		if p.pg.Items != "" {
			where = p.pg.Items
		}
		return nil, problem.New(http.StatusBadGateway, "%s's page has no list at %s; set the action's pagination.items to the path of its items, like \".data\"", p.t.Integration.Name, where)
	}
	return out, nil
}

// next is where the page after this one starts, and whether there is one.
func (p *pager) next(ctx context.Context, state pageState, res *Result, raw json.RawMessage, n int) (pageState, bool, error) {
	next := pageState{Action: p.a.Key}
	switch p.pg.Style {
	case connector.PageCursor:
		v, err := fit.Path(ctx, raw, p.pg.Cursor)
		if err != nil {
			return next, false, problem.New(http.StatusBadGateway, "the next cursor of %s's page could not be read at %q: %v", p.t.Integration.Name, p.pg.Cursor, err)
		}
		if v == nil || v == "" || v == false {
			return next, false, nil
		}
		next.Value = scalar(v)
	case connector.PageLink:
		link := nextLink(res.raw.Header, res.url)
		if link == "" {
			return next, false, nil
		}
		next.Value = link
	case connector.PageOffset, connector.PagePage:
		if n == 0 || n < p.pageSize() {
			return next, false, nil
		}
		at, err := strconv.Atoi(scalar(state.Value))
		if err != nil {
			return next, false, problem.BadRequest("the %s parameter %s must be a whole number, got %v", p.pg.Style, p.pg.Param, state.Value)
		}
		if p.pg.Style == connector.PageOffset {
			next.Value = at + n
		} else {
			next.Value = at + 1
		}
	}
	return next, true, nil
}

// pageSize is the page size the call asked for, or 0 when unknown (then
// only an empty page ends the list).
func (p *pager) pageSize() int {
	v, ok := p.params[p.pg.LimitParam]
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(scalar(v))
	return n
}

func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var linkNext = regexp.MustCompile(`<([^>]*)>\s*((?:;[^,;]*)*)`)

// nextLink finds rel="next" in Link headers (RFC 8288), resolved against
// the URL of the request that received them.
func nextLink(h http.Header, requestURL string) string {
	for _, value := range h.Values("Link") {
		for _, m := range linkNext.FindAllStringSubmatch(value, -1) {
			for _, param := range strings.Split(m[2], ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
				if !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(rel, "next") {
						return resolve(requestURL, m[1])
					}
				}
			}
		}
	}
	return ""
}

func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	return b.ResolveReference(r).String()
}

// underBase keeps next links under the API's base URL: the connection's
// credentials go with every page, and a link (or a cursor a caller made
// up) must not take them elsewhere on the host, let alone off it.
func (p *pager) underBase(next string) error {
	base, err1 := url.Parse(p.def.BaseURLFor(p.c.Environment))
	u, err2 := url.Parse(next)
	refuse := func(why string) error {
		return problem.New(http.StatusBadGateway, "%s's next page link %q %s; it is not followed", p.t.Integration.Name, next, why)
	}
	switch {
	case err1 != nil || err2 != nil || next == "" || !u.IsAbs():
		return refuse("is not an absolute URL")
	case !strings.EqualFold(base.Scheme, u.Scheme) || !strings.EqualFold(base.Host, u.Host):
		return refuse(fmt.Sprintf("points to another origin than %s://%s", base.Scheme, base.Host))
	case !strings.HasPrefix(u.EscapedPath(), strings.TrimSuffix(base.EscapedPath(), "/")+"/") && u.EscapedPath() != base.EscapedPath():
		return refuse("is outside the base URL " + base.String())
	case slices.Contains(strings.Split(u.EscapedPath(), "/"), ".."):
		return refuse("has a .. segment")
	}
	return nil
}
