package config

import (
	"math"
	"regexp"
	"strings"
)

// generatedKey is the form of the API keys Plugboard makes (org.NewAPIKey):
// "pb_" and 33 base62 characters, 192 random bits.
var generatedKey = regexp.MustCompile(`^pb_[0-9A-Za-z]{33}$`)

// minSecretBits is the least estimated randomness of a secret chosen by
// the operator: 128 bits, beyond online guessing.
const minSecretBits = 128

// strongSecret reports whether s can stand as a bearer secret: a key in the
// generated format, or at least 32 characters that look random. Looking
// random is estimated, never proven: the token characters' alphabet gives
// the bits per character, repetitive text (low symbol entropy) and runs of
// counting or repeated characters ("0123456", "aaaaaa") disqualify.
func strongSecret(s string) bool {
	if generatedKey.MatchString(s) {
		return true
	}
	if len(s) < 32 || strings.IndexFunc(s, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
		return false
	}
	if symbolEntropy(s) < 3 || longestRun(s) >= 6 {
		return false
	}
	return float64(len(s))*math.Log2(float64(alphabetSize(s))) >= minSecretBits
}

func isTokenChar(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-_.~+/=", r)
}

// alphabetSize is the size of the smallest usual alphabet holding every
// character of s: hexadecimal, or the union of digits, lower and upper case
// letters and symbols.
func alphabetSize(s string) int {
	if strings.Trim(s, "0123456789abcdef") == "" || strings.Trim(s, "0123456789ABCDEF") == "" {
		return 16
	}
	size := 0
	for _, class := range []string{"0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "-_.~+/="} {
		if strings.ContainsAny(s, class) {
			size += len(class)
		}
	}
	return size
}

// symbolEntropy is the Shannon entropy of s's characters, in bits per
// character.
func symbolEntropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	h := 0.0
	for _, n := range counts {
		p := float64(n) / float64(len(s))
		h -= p * math.Log2(p)
	}
	return h
}

// longestRun is the length of the longest stretch of characters that
// repeat or count up or down by one ("aaaa", "3456", "fedc").
func longestRun(s string) int {
	longest, run, step := 1, 1, 0
	for i := 1; i < len(s); i++ {
		d := int(s[i]) - int(s[i-1])
		switch {
		case d >= -1 && d <= 1 && (run == 1 || d == step):
			run++
		case d >= -1 && d <= 1:
			run = 2
		default:
			run = 1
		}
		step = d
		longest = max(longest, run)
	}
	return longest
}
