package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes rows aligned in columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, h := range header {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// printJSONLine writes v as one line, for streams of JSON values.
func printJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// controlEscaper shows the control characters a terminal acts on as text
// (`\x1b`, `\r`, `\u009b`) instead of passing them on. What the CLI prints
// includes text made by others: an API's answer in a call log, a webhook
// sender's headers, an error an API returned. An escape sequence in it
// could clear the screen, hide a line behind a carriage return, set the
// window title or, in some terminals, the clipboard. Tabs and newlines
// pass; JSON output never holds a raw control character.
type controlEscaper struct{ w io.Writer }

func (c controlEscaper) Write(p []byte) (int, error) {
	clean := true
	for _, b := range p {
		if isControl(b) || b == 0xc2 {
			clean = false
			break
		}
	}
	if clean {
		return c.w.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch {
		case b == '\r':
			out = append(out, `\r`...)
		case isControl(b):
			out = fmt.Appendf(out, `\x%02x`, b)
		case b == 0xc2 && i+1 < len(p) && p[i+1] >= 0x80 && p[i+1] <= 0x9f:
			// A C1 control (U+0080–U+009F) in UTF-8; U+009B is a CSI.
			out = fmt.Appendf(out, `\u%04x`, p[i+1])
			i++
		default:
			out = append(out, b)
		}
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func isControl(b byte) bool {
	return (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f
}
