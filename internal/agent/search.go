package agent

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/plugboard/plugboard/internal/store"
)

// An agent granted hundreds of tools cannot be shown them all: their
// definitions would fill a model's context before the conversation starts.
// Above a threshold such an agent is shown three tools instead (search,
// describe and call; the MCP server names them) and finds the others by
// searching an index of its own tools. The index holds exactly the tools
// the agent may call now: it is brought up to date from the catalog before
// every search, and whenever the MCP server syncs the agent's tool list
// (its clients list tools, or hear that integrations, grants or teams
// changed), so that a search never reveals a tool the agent may not use.

// DefaultSearchThreshold is the number of tools above which an agent in
// the auto tool mode gets the search tools, unless the server or the agent
// sets another.
const DefaultSearchThreshold = 40

// ToolModes are the tool modes an agent may have.
var ToolModes = []string{store.ToolModeAuto, store.ToolModeAll, store.ToolModeSearch}

// Search finds an agent's tools for a request in words, through the
// database's full-text search. It is safe for concurrent use.
type Search struct {
	store     *store.Store
	catalog   *Catalog
	threshold int
}

// NewSearch returns the search of the catalog's tools; threshold is the
// server's default (0 takes DefaultSearchThreshold).
func NewSearch(st *store.Store, catalog *Catalog, threshold int) *Search {
	if threshold <= 0 {
		threshold = DefaultSearchThreshold
	}
	return &Search{store: st, catalog: catalog, threshold: threshold}
}

// Threshold is the number of tools above which ag, in the auto mode, gets
// the search tools.
func (s *Search) Threshold(ag store.Agent) int {
	if ag.ToolSearchThreshold > 0 {
		return ag.ToolSearchThreshold
	}
	return s.threshold
}

// Searching reports whether ag, granted tools tools, is shown the search
// tools rather than every tool. A nil Search never searches.
func (s *Search) Searching(ag store.Agent, tools int) bool {
	if s == nil {
		return false
	}
	switch ag.ToolMode {
	case store.ToolModeAll:
		return false
	case store.ToolModeSearch:
		return true
	}
	return tools > s.Threshold(ag)
}

// Index makes ag's search index hold tools, ag's tools now, and nothing
// else. Entries whose tool did not change are left as they are.
func (s *Search) Index(ctx context.Context, ag store.Agent, tools []Tool) error {
	have, err := s.store.ToolIndexRevisions(ctx, ag.ID)
	if err != nil {
		return err
	}
	var put []store.ToolIndexEntry
	want := make(map[string]bool, len(tools))
	for i := range tools {
		t := &tools[i]
		want[t.Name] = true
		if have[t.Name] != indexRevision(t) {
			put = append(put, t.indexEntry())
		}
	}
	var drop []string
	for name := range have {
		if !want[name] {
			drop = append(drop, name)
		}
	}
	return s.store.UpdateToolIndex(ctx, ag.ID, put, drop)
}

// Hit is a tool a search found.
type Hit struct {
	Tool  *Tool
	Score float64
}

// MaxSearchResults bounds the tools one search returns.
const MaxSearchResults = 50

// Find returns ag's tools that best match query, at most limit of them,
// best first. It reads ag's tools afresh and indexes them first, so that
// what it finds is what ag may call now.
//
// The database ranks the candidates (FTS5's bm25 on SQLite, ts_rank on
// PostgreSQL); Find then prefers, among them, the tools whose title the
// request covers best: of "Create an issue" and "Create an issue type
// scheme", "create a jira issue" means the first.
func (s *Search) Find(ctx context.Context, ag store.Agent, query string, limit int) ([]Hit, error) {
	limit = min(max(limit, 1), MaxSearchResults)
	tools, err := s.catalog.Tools(ctx, ag)
	if err != nil {
		return nil, err
	}
	if err := s.Index(ctx, ag, tools); err != nil {
		return nil, err
	}
	asked := QueryWords(query)
	found, err := s.store.SearchToolIndex(ctx, ag.ID, asked, candidates)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Tool, len(tools))
	for i := range tools {
		byName[tools[i].Name] = &tools[i]
	}
	stems := map[string]bool{}
	for _, w := range asked {
		stems[stem(w)] = true
	}
	hits := make([]Hit, 0, len(found))
	for _, f := range found {
		// The index was written from these tools; a concurrent change
		// may have added one since, which the agent may not call yet.
		t := byName[f.Name]
		if t == nil {
			continue
		}
		hits = append(hits, Hit{Tool: t, Score: f.Score/found[0].Score + coverWeight*cover(t, stems)})
	}
	slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
	return hits[:min(limit, len(hits))], nil
}

// candidates is how many of the database's best matches Find reranks.
const candidates = 100

// coverWeight is what a title wholly covered by the request adds to the
// database's rank (the best of which counts 1).
const coverWeight = 1.0

// cover is the share of the words of t's title that the request has.
func cover(t *Tool, asked map[string]bool) float64 {
	title := strings.Fields(words(t.Action.Name))
	n, covered := 0, 0
	for _, w := range title {
		if stopWords[w] {
			continue
		}
		n++
		if asked[stem(w)] {
			covered++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(covered) / float64(n)
}

// stem folds the plural of a word, which is enough to compare titles with
// requests ("issues", "repositories").
func stem(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ss"):
		return w
	case strings.HasSuffix(w, "s") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}

// maxIndexedDescription bounds the description text one tool adds to the
// index.
const maxIndexedDescription = 4096

// indexFormat changes when indexEntry makes other text of the same tool,
// so that entries written before are rewritten.
const indexFormat = "1"

// indexRevision says what t's index entry is built from.
func indexRevision(t *Tool) string { return indexFormat + ":" + t.Revision() }

// indexEntry is the text the index holds of t.
func (t *Tool) indexEntry() store.ToolIndexEntry {
	a := t.Action
	params := make([]string, 0, len(a.Parameters)+2)
	for _, p := range a.Parameters {
		params = append(params, words(p.Name))
	}
	params = append(params, strings.ToLower(a.Method), words(a.Endpoint))
	desc := a.Description
	if len(desc) > maxIndexedDescription {
		desc = strings.ToValidUTF8(desc[:maxIndexedDescription], "")
	}
	return store.ToolIndexEntry{
		Name: t.Name, Revision: indexRevision(t),
		Heading:     words(t.Name) + " " + words(a.Name),
		Description: words(desc),
		Params:      strings.Join(params, " "),
	}
}

// words splits s into lower-case words: at anything but a letter or a
// digit, and where camelCase changes case ("createIssue", "PostCharges").
func words(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		switch {
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			b.WriteByte(' ')
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			r = ' '
		}
		b.WriteRune(unicode.ToLower(r))
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// QueryWords turns a request in words into the words to search for: lower
// case, without the words every request has ("a", "the", "in"), with the
// synonyms API descriptions use instead of the words people say ("repo":
// "repository", "ticket": "issue").
func QueryWords(query string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, w := range strings.Fields(words(query)) {
		if stopWords[w] || !plainWord(w) {
			continue
		}
		add(w)
		for _, syn := range synonyms[w] {
			add(syn)
		}
	}
	return out
}

func plainWord(w string) bool {
	for _, r := range w {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the of in on at to for from by with into onto about and or
		my our your their its me us i we you it this that these those is are be been was were
		please can could would should will do does did some any new`) {
		stopWords[w] = true
	}
}

// synonyms are the words API descriptions use for what people say.
var synonyms = map[string][]string{
	"repo": {"repository"}, "repos": {"repository"},
	"ticket": {"issue"}, "tickets": {"issue"},
	"pr": {"pull"}, "prs": {"pull"},
	"delete": {"remove"}, "remove": {"delete"},
	"fetch": {"get"}, "show": {"get"}, "read": {"get"},
	"create": {"post"}, "make": {"create", "post"}, "open": {"create", "post"}, "add": {"create", "post"},
	"find": {"search"}, "lookup": {"search"},
	"modify": {"update"}, "edit": {"update"}, "change": {"update"},
	"org": {"organization"}, "orgs": {"organization"},
	"person": {"user"}, "subscribe": {"subscription"}, "bill": {"invoice"},
	"list": {"get"}, "publish": {"create"}, "ask": {"request"}, "set": {"update"},
	"move": {"transition"},
}
