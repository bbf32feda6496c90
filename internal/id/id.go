// Package id makes the identifiers Plugboard hands out: a short type prefix
// and a time-ordered random part, so ids sort by creation and reveal nothing.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford base32, lower case

var (
	mu       sync.Mutex
	lastMS   uint64
	lastRand [10]byte
)

// New returns "<prefix>_<26 chars>": 48 bits of milliseconds then 80 random
// bits, so ids made later sort after earlier ones. Within one millisecond
// the random part counts up from the previous id, so a process's ids are
// strictly ordered (lists newest-first stay in call order).
func New(prefix string) string {
	var b [16]byte
	msNow := uint64(time.Now().UnixMilli())
	mu.Lock()
	if msNow <= lastMS {
		msNow = lastMS
		increment(lastRand[:])
	} else {
		lastMS = msNow
		_, _ = rand.Read(lastRand[:])
		lastRand[0] &= 0x7f // leave room to count up without carrying into the time
	}
	binary.BigEndian.PutUint64(b[:8], msNow<<16)
	copy(b[6:], lastRand[:])
	mu.Unlock()
	return format(prefix, b)
}

// At returns an id as New would have made it at t (with a random part of
// its own), for rows that record something that happened then.
func At(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	var r [10]byte
	_, _ = rand.Read(r[:])
	r[0] &= 0x7f
	copy(b[6:], r[:])
	return format(prefix, b)
}

// Before returns the least id of prefix made at t: every id New made
// before t's millisecond sorts below it, every later one at or above it.
// Ids carry their time, so "older than t" is a range of ids.
func Before(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return format(prefix, b)
}

func format(prefix string, b [16]byte) string {
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

func increment(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
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
