package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Token prefixes: a session cookie's value and an API key. The prefix tells
// the two apart (a key pasted into a cookie is refused) and lets secret
// scanners recognise leaked keys.
const (
	sessionPrefix = "rcs_"
	keyPrefix     = "rck_"
	tokenBytes    = 32
	// tokenLen is the length of a token: prefix + unpadded base64url of
	// tokenBytes.
	tokenLen = 4 + (tokenBytes*8+5)/6
)

// newToken returns prefix followed by tokenBytes random bytes in base64url.
func newToken(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randomBytes(tokenBytes))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return b
}

// wellFormed reports whether s has the shape of a token with prefix, so
// that garbage is refused before it costs a hash and a database lookup.
func wellFormed(s, prefix string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, c := range s[len(prefix):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseBearer returns the API key of an Authorization header value
// ("Bearer <key>", the scheme case-insensitive) and whether it is one.
func ParseBearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, wellFormed(token, keyPrefix)
}

// ParseSession reports whether a session cookie's value has the shape of a
// session token.
func ParseSession(value string) (string, bool) {
	return value, wellFormed(value, sessionPrefix)
}

// hasher makes the stored form of tokens: HMAC-SHA256 under the server's
// key, so a copy of the database alone cannot be used to test guesses.
type hasher struct{ key []byte }

func (h hasher) hash(token string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// equal compares two hashes in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// MinPasswordLen is the shortest password accepted (in characters).
const MinPasswordLen = 10

// maxPasswordLen bounds the work a login can ask of argon2.
const maxPasswordLen = 1024

// argon2id parameters: the OWASP recommendation's first line (19 MiB, two
// passes, one lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the argon2id PHC string of password.
func HashPassword(password string) string {
	salt := randomBytes(16)
	sum := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
}

// errBadHash is a stored password hash that cannot be read.
var errBadHash = errors.New("auth: malformed password hash")

// CheckPassword reports whether password matches the PHC string encoded.
func CheckPassword(encoded, password string) (bool, error) {
	p, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	sum := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.sum)))
	return subtle.ConstantTimeCompare(sum, p.sum) == 1, nil
}

type phc struct {
	memory, time uint32
	threads      uint8
	salt, sum    []byte
}

// parseHash reads "$argon2id$v=19$m=..,t=..,p=..$salt$sum", refusing
// parameters that would make one check cost more than a large login.
func parseHash(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, errBadHash
	}
	var p phc
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return phc{}, errBadHash
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return phc{}, errBadHash
			}
			p.threads = uint8(n)
		default:
			return phc{}, errBadHash
		}
	}
	var err1, err2 error
	p.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	p.sum, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(p.salt) < 8 || len(p.sum) < 16 || len(p.sum) > 64 ||
		p.memory < 8 || p.memory > 256*1024 || p.time < 1 || p.time > 10 || p.threads < 1 || p.threads > 16 {
		return phc{}, errBadHash
	}
	return p, nil
}
