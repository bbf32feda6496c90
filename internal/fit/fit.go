// Package fit makes action results fit a caller's context: it applies an
// action's response selection (a jq expression, run by gojq) to a JSON
// body, cuts a body to a byte budget (whole items of a list, or the first
// bytes of anything else), and reads a stored result in parts, by byte
// range or by item range. It holds no state; the executor stores what
// does not fit and the caller's surface says how to read it.
package fit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/plugboard/plugboard/internal/connector"
)

// DefaultBudget is an agent's budget for a result returned inline when
// it sets none: about 4,000 tokens of a model's context.
const DefaultBudget = 16 << 10

// Stored describes a result kept because it was over budget: what was
// shown inline is its start.
type Stored struct {
	ID        string    `json:"id"`
	Bytes     int       `json:"bytes"`           // the whole body's size
	Items     int       `json:"items,omitempty"` // the number of items of a list body
	Shown     int       `json:"shown"`           // items (of a list) or bytes shown inline
	Budget    int       `json:"budget"`          // the budget it was over
	ExpiresAt time.Time `json:"expires_at"`
}

// SelectTimeout bounds the time one selection or path may run: jq can
// loop ("def f: f; f") or build without end ("[range(1e9)]"), and a
// caller may send its own selection.
const SelectTimeout = 500 * time.Millisecond

// Select runs the jq expression expr on a JSON body. One output is the
// new body; several are gathered into a list; none is null.
func Select(ctx context.Context, body json.RawMessage, expr string) (json.RawMessage, error) {
	code, err := connector.Query(expr)
	if err != nil {
		return nil, err
	}
	v, err := decode(body)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, SelectTimeout)
	defer cancel()
	var out []any
	iter := code.RunWithContext(ctx, v)
	for {
		x, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := x.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("the selection %q took longer than %v on this body and was stopped", expr, SelectTimeout)
			}
			return nil, fmt.Errorf("the selection %q failed on this body: %w", expr, err)
		}
		out = append(out, x)
	}
	var res any
	switch len(out) {
	case 0:
	case 1:
		res = out[0]
	default:
		res = out
	}
	return json.Marshal(res)
}

// Path reads the value at a jq path (see connector.PathExpr) of a JSON
// body: its first output, or nil.
func Path(ctx context.Context, body json.RawMessage, path string) (any, error) {
	code, err := connector.Query(connector.PathExpr(path))
	if err != nil {
		return nil, err
	}
	v, err := decode(body)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, SelectTimeout)
	defer cancel()
	x, ok := code.RunWithContext(ctx, v).Next()
	if !ok {
		return nil, nil
	}
	if err, ok := x.(error); ok {
		return nil, err
	}
	return x, nil
}

// decode reads JSON into the values gojq takes: integers stay exact
// (int, or *big.Int beyond it) instead of passing through a float64.
func decode(body json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the body is not JSON: %w", err)
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		if b, ok := new(big.Int).SetString(string(t), 10); ok {
			return b
		}
		f, _ := t.Float64()
		return f
	case []any:
		for i := range t {
			t[i] = numbers(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = numbers(t[k])
		}
	}
	return v
}

// Cut fits a JSON body into budget bytes. A list keeps the whole items
// that fit, in order; anything else becomes a string of its first bytes
// (cut between characters). shown counts the items or bytes kept; items
// is the list's length, or -1 for a body that is not a list.
func Cut(body json.RawMessage, budget int) (part json.RawMessage, shown, items int) {
	var list []json.RawMessage
	if json.Unmarshal(body, &list) == nil && bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		part, shown = ItemsWithin(list, budget)
		return part, shown, len(list)
	}
	// The start is shown as a JSON string, whose escapes take room too.
	limit := budget
	for {
		text := Prefix(string(body), limit)
		part, _ = json.Marshal(text)
		if len(part) <= budget || limit <= 0 {
			return part, len(text), -1
		}
		// Shrink in proportion to the escapes seen, by at least a byte.
		limit = min(limit-1, limit*budget/len(part))
	}
}

// ItemsWithin returns as many of items, from the first, as fit in budget
// bytes written as a JSON list, and how many that is.
func ItemsWithin(items []json.RawMessage, budget int) (json.RawMessage, int) {
	var b bytes.Buffer
	b.WriteByte('[')
	n := 0
	for _, it := range items {
		var compact bytes.Buffer
		if json.Compact(&compact, it) != nil {
			compact.Write(it)
		}
		extra := compact.Len() + 1 // a comma or the closing bracket
		if b.Len()+extra > budget {
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(compact.Bytes())
		n++
	}
	b.WriteByte(']')
	return b.Bytes(), n
}

// Prefix is the longest start of s within max bytes that ends between
// characters.
func Prefix(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Compact returns body as compact JSON (unchanged when it is not JSON).
func Compact(body []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, body) != nil {
		return body
	}
	return b.Bytes()
}

// Part is a piece of a stored result.
type Part struct {
	// Bytes is a byte range of the stored JSON text, as text.
	Bytes string `json:"bytes,omitempty"`
	// Items are the items of a list, as a JSON list.
	Items json.RawMessage `json:"items,omitempty"`
	// Offset/End bound a byte range; Start/End an item range (End is
	// exclusive). Next is where the next part starts, or -1 at the end.
	Offset int `json:"offset,omitempty"`
	Start  int `json:"start,omitempty"`
	End    int `json:"end"`
	Next   int `json:"next"`
	Total  int `json:"total"` // bytes, or items of a list
}

// ReadBytes returns the bytes of body from offset, at most length of them,
// ending between characters so that consecutive parts join into the body.
func ReadBytes(body []byte, offset, length int) (Part, error) {
	if offset < 0 || offset > len(body) {
		return Part{}, fmt.Errorf("offset %d is outside the result, which has %d bytes", offset, len(body))
	}
	if length <= 0 {
		return Part{}, fmt.Errorf("length must be at least 1")
	}
	s := Prefix(string(body[offset:]), length)
	if s == "" && offset < len(body) {
		// A budget smaller than one character still makes progress.
		_, size := utf8.DecodeRune(body[offset:])
		s = string(body[offset : offset+size])
	}
	end := offset + len(s)
	next := end
	if end >= len(body) {
		next = -1
	}
	return Part{Bytes: s, Offset: offset, End: end, Next: next, Total: len(body)}, nil
}

// ReadItems returns up to count items of a list body from start, as many
// as fit in budget bytes (at least one, so a reader always makes
// progress).
func ReadItems(body []byte, start, count, budget int) (Part, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return Part{}, errors.New("this result is not a list; read it by byte range (offset and length) instead")
	}
	if start < 0 || start > len(list) {
		return Part{}, fmt.Errorf("start %d is outside the result, which has %d items (0 to %d)", start, len(list), max(len(list)-1, 0))
	}
	if count <= 0 {
		count = len(list)
	}
	end := min(start+count, len(list))
	items, n := ItemsWithin(list[start:end], budget)
	if n == 0 && end > start {
		items, n = ItemsWithin(list[start:start+1], math.MaxInt)
	}
	end = start + n
	next := end
	if end >= len(list) {
		next = -1
	}
	return Part{Items: items, Start: start, End: end, Next: next, Total: len(list)}, nil
}

// Describe says, in words for a model, how large a stored result is and
// how to read the rest of it with the tool called readTool.
func Describe(s *Stored, readTool string) string {
	budget := s.Budget
	var b strings.Builder
	fmt.Fprintf(&b, "This result is %d bytes, more than the budget of %d bytes, so only its start is shown", s.Bytes, budget)
	if s.Items > 0 {
		fmt.Fprintf(&b, " (the first %d of its %d items)", s.Shown, s.Items)
	} else {
		fmt.Fprintf(&b, " (its first %d bytes, as text)", s.Shown)
	}
	fmt.Fprintf(&b, ". The whole result is stored as %s until %s. ", s.ID, s.ExpiresAt.UTC().Format(time.RFC3339))
	if s.Items > 0 {
		fmt.Fprintf(&b, `To read more items, call %s with {"result_id": %q, "start": %d, "count": %d}; `, readTool, s.ID, s.Shown, max(s.Shown, 1))
	}
	fmt.Fprintf(&b, `to read it by bytes, call %s with {"result_id": %q, "offset": 0, "length": %d}.`, readTool, s.ID, budget)
	return b.String()
}
