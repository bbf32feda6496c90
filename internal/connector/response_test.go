package connector

import "testing"

func TestResponseAndPaginationProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, field, message string
	}{
		{"select syntax", def(`"actions":[{"name":"X","response":{"select":".items[] | {id"}}]`), "actions[0].response.select", "not a valid jq expression"},
		{"select unknown function", def(`"actions":[{"name":"X","response":{"select":"nosuch(.a)"}}]`), "actions[0].response.select", "not a valid jq expression"},
		{"budget negative", def(`"actions":[{"name":"X","response":{"maxBytes":-1}}]`), "actions[0].response.maxBytes", "between 1 and"},
		{"schema not schema", def(`"actions":[{"name":"X","response":{"schema":{"type":"array","minItems":"one"}}}]`), "actions[0].response.schema", "not a valid JSON Schema"},
		{"style", def(`"actions":[{"name":"X","pagination":{"style":"cursr","cursor":".next"}}]`), "actions[0].pagination.style", `did you mean "cursor"?`},
		{"cursor path required", def(`"actions":[{"name":"X","pagination":{"style":"cursor"}}]`), "actions[0].pagination.cursor", "is required for the cursor style"},
		{"items path", def(`"actions":[{"name":"X","pagination":{"style":"link","items":".data["}}]`), "actions[0].pagination.items", "not a valid jq path"},
		{"page param in path", def(`"actions":[{"name":"X","endpoint":"/x/{page}","parameters":{"page":"integer"},"pagination":"page"}]`), "actions[0].pagination.param", "must be in query or body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.json))
			assertFieldError(t, err, tt.field, tt.message)
		})
	}
}

func TestPaginationDefaultsNameTheParameters(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"actions":[
		{"name":"A","pagination":{"style":"cursor","cursor":"meta.next"}},
		{"name":"B","pagination":"offset"},
		{"name":"C","paging":{"type":"page","per_page_param":"size"}},
		{"name":"D","pagination":"link","response":{"select":"[.[] | .id]","maxBytes":100}}]`))
	want := []Pagination{
		{Style: PageCursor, Cursor: "meta.next", Param: "cursor"},
		{Style: PageOffset, Param: "offset", LimitParam: "limit"},
		{Style: PagePage, Param: "page", LimitParam: "size"},
		{Style: PageLink},
	}
	for i, w := range want {
		if got := *d.Actions[i].Pagination; got != w {
			t.Errorf("action %d: pagination = %+v, want %+v", i, got, w)
		}
	}
	if r := d.Actions[3].Response; r == nil || r.Select != "[.[] | .id]" || r.MaxBytes != 100 {
		t.Errorf("response = %+v", r)
	}
}
