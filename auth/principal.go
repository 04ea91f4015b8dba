package auth

import "context"

// Role is what an account may do.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"  // users, keys, documents, everything
	RoleMember Role = "member" // chat and their own conversations
)

// Scope limits what an API key may do (on top of its user's role).
type Scope string

// Scopes of API keys.
const (
	ScopeChat           Scope = "chat"            // ask, follow runs, own conversations, search, read documents
	ScopeDocumentsWrite Scope = "documents:write" // add and delete documents
	ScopeAdmin          Scope = "admin"           // manage users and keys
)

// Principal is who a request acts for: a signed-in user (by session) or an
// API key of a user.
type Principal struct {
	// ID is stable for the same credential holder: "user:<user id>" for a
	// session, "key:<key id>" for an API key. Rate limits key on it.
	ID     string
	UserID string
	Email  string
	Role   Role
	// KeyID is the API key's id when the request used one; Scopes are
	// then the key's scopes. A session has every scope its role allows.
	KeyID  string
	Scopes []Scope
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the request was authenticated as. It
// reports false for a request without credentials in open mode (loopback,
// no user yet): such requests are anonymous and should be keyed by IP.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
