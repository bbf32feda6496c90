package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ToolIndexEntry is one tool of an agent as its search index holds it.
type ToolIndexEntry struct {
	Name string
	// Revision says what the entry was built from; an entry whose tool has
	// another revision now is rewritten.
	Revision string
	// Heading, Description and Params are the searched text, weighted in
	// that order: the tool's name and title in words, its description, and
	// its parameter names, method and path.
	Heading, Description, Params string
}

// ToolHit is a tool a search found, with its rank (higher is better).
type ToolHit struct {
	Name  string
	Score float64
}

// Search weights of the index's columns: a word in a tool's name or title
// counts most, one in its parameters least.
const (
	weightHeading     = 10.0
	weightDescription = 3.0
	weightParams      = 1.0
)

// ToolIndexRevisions returns the revision of each tool in an agent's
// search index, by name.
func (s *Store) ToolIndexRevisions(ctx context.Context, agentID string) (map[string]string, error) {
	type row struct{ name, revision string }
	rows, err := queryAll(ctx, s.r, s.q(`SELECT name, revision FROM agent_tool_index WHERE agent_id = ?`), func(r rowScanner) (row, error) {
		var v row
		return v, r.Scan(&v.name, &v.revision)
	}, agentID)
	if err != nil {
		return nil, fmt.Errorf("tool index of agent %s: %w", agentID, mapErr(err))
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.name] = r.revision
	}
	return out, nil
}

// UpdateToolIndex writes put into an agent's search index (adding or
// replacing entries by name) and removes the entries named in drop, in one
// transaction. The index is derived from the agent's grants and the
// deployed versions, which are audited where they change; rebuilding it is
// not.
//
// Two nodes or sessions may bring the same agent's index up to date at
// once. The rows are written in the order of their names, whatever the
// order of put and drop, so that on PostgreSQL two such transactions wait
// for each other's rows in the same order instead of deadlocking.
func (s *Store) UpdateToolIndex(ctx context.Context, agentID string, put []ToolIndexEntry, drop []string) error {
	if len(put) == 0 && len(drop) == 0 {
		return nil
	}
	type op struct {
		name  string
		entry *ToolIndexEntry // nil: drop
	}
	ops := make([]op, 0, len(put)+len(drop))
	for _, name := range drop {
		ops = append(ops, op{name: name})
	}
	for i := range put {
		ops = append(ops, op{name: put[i].Name, entry: &put[i]})
	}
	// Stable: a name both dropped and put keeps its drop first, so it ends
	// up put, as if every drop came first.
	slices.SortStableFunc(ops, func(a, b op) int { return strings.Compare(a.name, b.name) })
	return s.InTx(ctx, func(tx *Tx) error {
		for _, o := range ops {
			if o.entry == nil {
				if _, err := tx.tx.ExecContext(ctx, s.q(`DELETE FROM agent_tool_index WHERE agent_id = ? AND name = ?`), agentID, o.name); err != nil {
					return fmt.Errorf("tool index of agent %s: drop %s: %w", agentID, o.name, mapErr(err))
				}
				continue
			}
			e := o.entry
			if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO agent_tool_index (agent_id, name, revision, heading, description, params) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (agent_id, name) DO UPDATE SET revision = excluded.revision, heading = excluded.heading, description = excluded.description, params = excluded.params`),
				agentID, e.Name, e.Revision, e.Heading, e.Description, e.Params); err != nil {
				return fmt.Errorf("tool index of agent %s: put %s: %w", agentID, e.Name, mapErr(err))
			}
		}
		return nil
	})
}

// SearchToolIndex ranks an agent's indexed tools against the words of a
// query (synonyms included). A tool matches when it holds any of them; it ranks higher the more of them it holds, the
// rarer they are among the agent's tools, and the more weighty the column
// they are in. Words must be lower-case letters and digits only. At most
// limit hits are returned, best first.
func (s *Store) SearchToolIndex(ctx context.Context, agentID string, query []string, limit int) ([]ToolHit, error) {
	var words []string
	for _, w := range query {
		if w != "" && strings.IndexFunc(w, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) < 0 {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return []ToolHit{}, nil
	}
	scan := func(r rowScanner) (ToolHit, error) {
		var h ToolHit
		return h, r.Scan(&h.Name, &h.Score)
	}
	var hits []ToolHit
	var err error
	if s.engine == Postgres {
		// ts_rank knows nothing of how rare a word is among the agent's
		// tools, which bm25 does; each word's rank is weighted by its
		// inverse document frequency, as bm25's is.
		hits, err = queryAll(ctx, s.r, s.q(fmt.Sprintf(`WITH n AS MATERIALIZED (SELECT count(*) + 1.0 AS docs FROM agent_tool_index WHERE agent_id = ?),
			terms AS MATERIALIZED (SELECT q, ln((SELECT docs FROM n) / (1 + (SELECT count(*) FROM agent_tool_index WHERE agent_id = ? AND search @@ q))) AS idf
				FROM unnest(string_to_array(?, ' ')) AS w, to_tsquery('english', w) AS q WHERE numnode(q) > 0)
			SELECT d.name, (SELECT sum(t.idf * ts_rank('{0, %g, %g, %g}', d.search, t.q)) FROM terms t) AS score
			FROM agent_tool_index d WHERE d.agent_id = ? AND d.search @@ to_tsquery('english', ?)
			ORDER BY score DESC, d.name LIMIT ?`, weightParams/weightHeading, weightDescription/weightHeading, 1.0)),
			scan, agentID, agentID, strings.Join(words, " "), agentID, strings.Join(words, " | "), limit)
	} else {
		// bm25 is lower for a better match; its weights follow the
		// columns: agent_id (only a filter), heading, description, params.
		match := fmt.Sprintf(`agent_id : "%s" AND ("%s")`, strings.ReplaceAll(agentID, `"`, `""`), strings.Join(words, `" OR "`))
		hits, err = queryAll(ctx, s.r, fmt.Sprintf(`SELECT i.name, -bm25(agent_tool_fts, 0, %g, %g, %g) AS score
			FROM agent_tool_fts JOIN agent_tool_index i ON i.id = agent_tool_fts.rowid
			WHERE agent_tool_fts MATCH ? ORDER BY score DESC, i.name LIMIT ?`, weightHeading, weightDescription, weightParams),
			scan, match, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("search the tools of agent %s: %w", agentID, mapErr(err))
	}
	return hits, nil
}
