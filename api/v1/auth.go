package v1

import "time"

// AuthStatus tells a client how to sign in.
type AuthStatus struct {
	Open          bool `json:"open" doc:"Open mode: the server listens on loopback and has no user yet, so every route works without credentials."`
	SetupRequired bool `json:"setup_required" doc:"No user exists yet: the first admin is made through POST /api/v1/auth/setup with the one-time token serve printed."`
}

// Me is the signed-in principal.
type Me struct {
	Open   bool     `json:"open" doc:"Open mode (no user; the other fields are empty)."`
	User   *User    `json:"user,omitempty"`
	KeyID  string   `json:"key_id,omitempty" doc:"Set when the request used an API key."`
	Scopes []string `json:"scopes" nullable:"false" doc:"What this credential may do: chat, documents:write, admin."`
}

// User is an account, as admins and the user see it (never its password).
type User struct {
	ID         string     `json:"id"`
	Email      string     `json:"email" format:"email"`
	Role       string     `json:"role" enum:"admin,member"`
	CreatedAt  time.Time  `json:"created_at"`
	Disabled   bool       `json:"disabled"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// LoginRequest signs in with a local account.
type LoginRequest struct {
	Email    string `json:"email" maxLength:"254" example:"ana@example.com"`
	Password string `json:"password" maxLength:"1024" example:"correct horse battery"`
}

// SetupRequest makes the first admin.
type SetupRequest struct {
	Token    string `json:"token" doc:"The one-time setup token printed by serve." example:"q3V0..."`
	Email    string `json:"email" maxLength:"254" example:"admin@example.com"`
	Password string `json:"password" minLength:"10" maxLength:"1024" example:"correct horse battery"`
}

// CreateUserRequest adds an account (admins).
type CreateUserRequest struct {
	Email    string `json:"email" maxLength:"254" example:"bo@example.com"`
	Password string `json:"password" minLength:"10" maxLength:"1024" example:"correct horse battery"`
	Role     string `json:"role,omitempty" enum:"admin,member" default:"member"`
}

// UpdateUserRequest disables or enables an account, or resets its password (admins).
type UpdateUserRequest struct {
	Disabled *bool  `json:"disabled,omitempty" doc:"true ends the user's sessions and stops their keys at once; false enables the account again."`
	Password string `json:"password,omitempty" minLength:"10" maxLength:"1024" doc:"A new password; the user's sessions end."`
}

// UserList is every account.
type UserList struct {
	Users []User `json:"users" nullable:"false"`
}

// APIKey describes an API key (never the key itself, after creation).
type APIKey struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The key's first characters, to recognise it."`
	Scopes     []string   `json:"scopes" nullable:"false"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// CreateKeyRequest makes an API key.
type CreateKeyRequest struct {
	Name      string     `json:"name,omitempty" maxLength:"100" example:"nightly eval"`
	Scopes    []string   `json:"scopes,omitempty" doc:"chat (default), documents:write, admin; only admins may hold the last two." example:"[\"chat\"]"`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the key stops working; never when omitted."`
}

// NewKey is a created key with its secret, shown this once.
type NewKey struct {
	Key    APIKey `json:"key"`
	Secret string `json:"secret" doc:"The API key: send it as Authorization: Bearer <secret>. Only its hash is stored; it cannot be shown again."`
}

// KeyList is a list of API keys.
type KeyList struct {
	Keys []APIKey `json:"keys" nullable:"false"`
}
