package store

import (
	"strings"
	"testing"
	"time"
)

// A page of the call log reads its own entries, newest first, from the
// index by organization and id: a plan that sorts reads every entry the
// organization kept for every page (435 ms a page at 200,000 entries).
func TestACallLogPageReadsTheIndexNewestFirst(t *testing.T) {
	s := sqliteStore(t)
	for name, f := range map[string]CallLogFilter{
		"newest":              {},
		"below a cursor":      {Before: "log_06gs0c1905xe8cnsy5qa98xxr0"},
		"a member's, hidden":  {Member: "usr_1", Hidden: []string{"int_2"}, Before: "log_06gs0c1905xe8cnsy5qa98xxr0"},
		"by integration":      {IntegrationID: "int_1"},
		"failed, in a window": {Status: "error", Since: time.Now().Add(-time.Hour), Until: time.Now()},
	} {
		query, args, err := listCallLogsQuery("org_1", f)
		if err != nil {
			t.Fatal(err)
		}
		text := queryPlan(t, s, query, args...)
		if !strings.Contains(text, "call_logs_org_newest") || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s: the page is not read newest first from the index by organization and id:\n%s", name, text)
		}
	}
}
