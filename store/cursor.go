package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ragchat/rag"
)

// Page sizes of the List methods: limit <= 0 means DefaultLimit, and a
// larger limit than MaxLimit is cut to MaxLimit.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// cursor is a keyset position: the sort time and id of the last row of a
// page. kind keeps a document cursor from being used on conversations.
type cursor struct {
	kind string // "d" documents, "c" conversations
	at   time.Time
	id   string
}

// encode returns the opaque form: base64url of "kind:unixmicro:id".
func (c cursor) encode() string {
	raw := c.kind + ":" + strconv.FormatInt(c.at.UnixMicro(), 10) + ":" + c.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// maxMicros is the end of year 9999, the last time both dialects store.
const maxMicros = 253402300799999999

// decodeCursor parses s as a cursor of kind; "" is the first page (ok false).
func decodeCursor(s, kind string) (c cursor, ok bool, err error) {
	if s == "" {
		return cursor{}, false, nil
	}
	bad := rag.Invalid("cursor", "is not a cursor returned by this list")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false, bad
	}
	k, rest, ok1 := strings.Cut(string(raw), ":")
	micros, id, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || k != kind || id == "" || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		return cursor{}, false, bad
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || n < 0 || n > maxMicros || micros != strconv.FormatInt(n, 10) {
		return cursor{}, false, bad
	}
	return cursor{kind: kind, at: time.UnixMicro(n).UTC(), id: id}, true, nil
}
