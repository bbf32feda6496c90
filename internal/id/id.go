// Package id makes the identifiers Plugboard hands out: a short type prefix
// and a time-ordered random part, so ids sort by creation and reveal nothing.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case

// New returns "<prefix>_<26 chars>": 48 bits of milliseconds then 80 random
// bits, so ids made later sort after earlier ones.
func New(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	var sb strings.Builder
	sb.Grow(len(prefix) + 27)
	sb.WriteString(prefix)
	sb.WriteByte('_')
	encode(&sb, b[:])
	return sb.String()
}

// Random returns n bytes of crypto randomness encoded in base32: used where
// the whole value must be unguessable (webhook URLs carry 160 bits).
func Random(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	var sb strings.Builder
	sb.WriteString(prefix)
	if prefix != "" {
		sb.WriteByte('_')
	}
	encode(&sb, b)
	return sb.String()
}

func encode(sb *strings.Builder, b []byte) {
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(alphabet[(acc>>bits)&31])
		}
	}
	if bits > 0 {
		sb.WriteByte(alphabet[(acc<<(5-bits))&31])
	}
}
