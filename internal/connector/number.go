package connector

import "strings"

// numberKind classifies the text of a JSON number exactly, as JSON Schema
// does: "integer" when it has no fractional part (1e2 and 100e-2 are
// integers, 9007199254740993.5 is not, whatever a float64 would round it
// to), "number" otherwise, and "" when s is not a JSON number at all. It
// reads s once, so a long number costs no more than its length.
func numberKind(s string) string {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	whole := digitsAt(s, &i)
	if whole == "" || len(whole) > 1 && whole[0] == '0' {
		return ""
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		if frac = digitsAt(s, &i); frac == "" {
			return ""
		}
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negative := i < len(s) && s[i] == '-'
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		digits := digitsAt(s, &i)
		if digits == "" {
			return ""
		}
		for _, d := range digits {
			// Past a quadrillion the exponent's size no longer matters:
			// no body is long enough to hold that many digits.
			if exp < 1e15 {
				exp = exp*10 + int64(d-'0')
			}
		}
		if negative {
			exp = -exp
		}
	}
	if i != len(s) {
		return ""
	}
	// The value is mantissa × 10^(exp - len(frac)); trailing zeros of the
	// mantissa raise the power, and a non-negative power is whole.
	all := whole + frac
	mantissa := strings.TrimRight(all, "0")
	if strings.Trim(mantissa, "0") == "" || exp-int64(len(frac))+int64(len(all)-len(mantissa)) >= 0 {
		return "integer"
	}
	return "number"
}

// digitsAt returns the run of ASCII digits at s[*i:] and moves *i past it.
func digitsAt(s string, i *int) string {
	start := *i
	for *i < len(s) && '0' <= s[*i] && s[*i] <= '9' {
		*i++
	}
	return s[start:*i]
}
