package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// series is one line or set of bars of a chart.
type series struct {
	Name   string
	Color  string
	Values []float64 // one per bucket; NaN = no data
	Bars   bool
}

// chartSVG draws series over time buckets as an accessible SVG: a title
// and description for screen readers, axes with a few labels, and bars or
// lines. Only numbers and fixed words reach the markup, escaped anyway.
func chartSVG(title, unit string, starts []time.Time, step time.Duration, all ...series) template.HTML {
	const w, h, left, right, top, bottom = 900.0, 230.0, 70.0, 12.0, 12.0, 28.0
	maxV := 0.0
	for _, s := range all {
		for _, v := range s.Values {
			if !math.IsNaN(v) && v > maxV {
				maxV = v
			}
		}
	}
	maxV = niceCeil(maxV)
	if unit == "%" {
		maxV = 100 // a rate reads best against the whole scale
	}
	n := len(starts)
	x := func(i int) float64 { return left + (w-left-right)*float64(i)/float64(max(n, 1)) }
	y := func(v float64) float64 { return top + (h-top-bottom)*(1-v/maxV) }
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, slug(title), slug(title))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, slug(title), esc(title), slug(title), esc(describe(all, unit)))
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e1e5ec"/>`, left, w-right, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="end" fill="#5d6678">%s</text>`, left-6, y(v)+4, esc(axisLabel(v, unit)))
	}
	for i := 0; i < n; i += max(1, n/6) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="#5d6678">%s</text>`, x(i), h-8, starts[i].UTC().Format("15:04"))
	}
	bw := (w - left - right) / float64(max(n, 1))
	for _, s := range all {
		if s.Bars {
			for i, v := range s.Values {
				if math.IsNaN(v) || v == 0 {
					continue
				}
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
					x(i)+bw*0.1, y(v), math.Max(bw*0.8, 1), y(0)-y(v), esc(s.Color), starts[i].UTC().Format("15:04"), esc(s.Name), esc(axisLabel(v, unit)))
			}
			continue
		}
		var pts []string
		for i, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i)+bw/2, y(v)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, strings.Join(pts, " "), esc(s.Color))
			if len(pts) == 1 {
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, xy[0], xy[1], esc(s.Color))
			}
		}
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#9aa3b2"/></svg>`, left, w-right, y(0), y(0))
	return template.HTML(b.String())
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return '-'
	}, s)
}

// niceCeil rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func axisLabel(v float64, unit string) string {
	n := fmt.Sprintf("%.0f", v)
	if v != math.Trunc(v) && v < 10 {
		n = fmt.Sprintf("%.2g", v)
	}
	switch unit {
	case "%":
		return n + "%"
	case "ms":
		return n + " ms"
	}
	return n
}

// describe summarizes a chart in words for screen readers.
func describe(all []series, unit string) string {
	parts := make([]string, 0, len(all))
	for _, s := range all {
		peak, last := 0.0, math.NaN()
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				peak, last = math.Max(peak, v), v
			}
		}
		if math.IsNaN(last) {
			parts = append(parts, s.Name+": no data")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: peak %s, latest %s", s.Name, axisLabel(peak, unit), axisLabel(last, unit)))
	}
	return strings.Join(parts, "; ")
}
