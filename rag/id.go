package rag

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random identifier of 24 hex digits (96 bits): unguessable,
// so a run or conversation id is also its capability.
func NewID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	return hex.EncodeToString(b[:])
}
