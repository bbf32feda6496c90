package action

import "testing"

func TestUnder(t *testing.T) {
	t.Parallel()
	const base = "https://api.example.com/v1"
	ok := map[string][2]string{
		"/users/1?x=1":                           {"/users/1", "x=1"},
		"users/1":                                {"/users/1", ""},
		"https://api.example.com/v1/users/a%2Fb": {"/users/a%2Fb", ""},
		"https://API.example.com/v1":             {"/", ""},
		"https://api.example.com/v1/?page=2":     {"/", "page=2"},
		"https://api.example.com/v1/records/x/y": {"/records/x/y", ""},
	}
	for raw, want := range ok {
		path, query, err := under(base, raw)
		if err != nil || path != want[0] || query != want[1] {
			t.Errorf("under(%q) = %q %q %v, want %q %q", raw, path, query, err, want[0], want[1])
		}
	}
	for _, raw := range []string{
		"https://api.example.com/v10/users", "https://api.example.com/", "http://api.example.com/v1/users",
		"https://other.example.com/v1/users", "//other.example.com/v1", "https://user:pw@api.example.com/v1/x", "https://api.example.com:8443/v1/x",
	} {
		if _, _, err := under(base, raw); err == nil {
			t.Errorf("under(%q) was allowed", raw)
		}
	}
}
