package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"ragchat/rag"
)

// Errors of the service, mapped to HTTP statuses by the API.
var (
	// ErrUnauthenticated is every bad credential: unknown, wrong, expired,
	// revoked, malformed, or of a disabled user. It never says which.
	ErrUnauthenticated = errors.New("auth: not authenticated")
	// ErrForbidden is an authenticated principal without the right.
	ErrForbidden = errors.New("auth: not allowed")
	// ErrConflict is an email that is already taken, or a setup after the
	// first user exists.
	ErrConflict = errors.New("auth: conflict")
)

// ThrottledError is a login refused because of earlier failures.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed sign-ins; retry in %s", e.RetryAfter.Round(time.Second))
}

// User is a local account.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// Disabled reports whether the account was disabled.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// Session is a browser session; only the hash of its token is stored.
type Session struct {
	Hash       string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// APIKey is a key for programs; only the hash of the key is stored.
type APIKey struct {
	ID         string
	UserID     string
	Name       string
	Prefix     string // the key's first characters, to recognise it
	Hash       string
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Store persists accounts (store.DB). Lookups of unknown rows return an
// error wrapping rag.ErrNotFound.
type Store interface {
	InitSetting(ctx context.Context, key, value string) (string, error)
	HasUsers(ctx context.Context) (bool, error)
	// CreateUser adds u; when it is the first user, conversations of open
	// mode (no owner) become its own, in the same transaction. An email
	// already taken wraps ErrConflict.
	CreateUser(ctx context.Context, u User) error
	UserByEmail(ctx context.Context, email string) (User, error)
	User(ctx context.Context, id string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// UpdateUser stores u's password hash, role and disabled time; when
	// endSessions is set it deletes the user's sessions in the same
	// transaction.
	UpdateUser(ctx context.Context, u User, endSessions bool) error

	CreateSession(ctx context.Context, s Session) error
	Session(ctx context.Context, hash string) (Session, User, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error

	CreateKey(ctx context.Context, k APIKey) error
	Key(ctx context.Context, hash string) (APIKey, User, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
	// Keys lists the keys of userID, or of every user when userID is "".
	Keys(ctx context.Context, userID string) ([]APIKey, error)
	// RevokeKey revokes key id of userID (any user's when userID is "").
	RevokeKey(ctx context.Context, userID, id string, at time.Time) error
}

// Config sets the service's policy.
type Config struct {
	// Loopback is whether the server listens only on loopback addresses;
	// open mode needs it.
	Loopback bool
	// TrustProxy trusts X-Forwarded-Proto and X-Forwarded-For from the
	// peer (a reverse proxy in front).
	TrustProxy bool
	// SessionIdle ends a session unused this long; default 7 days.
	SessionIdle time.Duration
	// SessionMax ends a session this long after sign-in; default 30 days.
	SessionMax time.Duration
}

// touchEvery limits the writes that record use: a session's last-seen and
// a key's last-used time move at most this often.
const touchEvery = time.Minute

// Service authenticates requests and manages accounts, sessions and keys.
type Service struct {
	store    Store
	cfg      Config
	hash     hasher
	throttle *throttle
	now      func() time.Time
	hasUsers atomic.Bool // once true, stays true: users are disabled, never deleted

	mu    sync.Mutex
	setup string // the one-time setup token, "" when none
}

// New opens the service: it loads the server's hashing key, creating it on
// first use (stored as the setting auth.key).
func New(ctx context.Context, store Store, cfg Config) (*Service, error) {
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 7 * 24 * time.Hour
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 30 * 24 * time.Hour
	}
	key, err := store.InitSetting(ctx, "auth.key", hex.EncodeToString(randomBytes(32)))
	if err != nil {
		return nil, fmt.Errorf("auth: server key: %w", err)
	}
	k, err := hex.DecodeString(key)
	if err != nil || len(k) < 32 {
		return nil, errors.New("auth: the stored server key (setting auth.key) is malformed")
	}
	return &Service{store: store, cfg: cfg, hash: hasher{k}, throttle: newThrottle(), now: time.Now}, nil
}

// Open reports whether requests without credentials are served: on
// loopback while no user exists.
func (s *Service) Open(ctx context.Context) (bool, error) {
	if !s.cfg.Loopback {
		return false, nil
	}
	has, err := s.HasUsers(ctx)
	return !has, err
}

// HasUsers reports whether any account exists. Accounts made by another
// process (the CLI, another instance) are seen at the next call.
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	if s.hasUsers.Load() {
		return true, nil
	}
	has, err := s.store.HasUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("auth: %w", err)
	}
	if has {
		s.hasUsers.Store(true)
	}
	return has, nil
}

// SetupToken returns a new one-time token for creating the first admin,
// or "" when a user exists. It replaces any earlier token; it lives in
// memory only, so a restart ends it.
func (s *Service) SetupToken(ctx context.Context) (string, error) {
	if has, err := s.HasUsers(ctx); err != nil || has {
		return "", err
	}
	t := base64Token()
	s.mu.Lock()
	s.setup = t
	s.mu.Unlock()
	return t, nil
}

func base64Token() string { return newToken("")[:tokenLen-4] }

// Setup creates the first admin with the one-time token and signs them in,
// returning the session token. A wrong or used token is ErrUnauthenticated.
func (s *Service) Setup(ctx context.Context, token, email, password string) (User, string, error) {
	s.mu.Lock()
	ok := s.setup != "" && equal(s.setup, token)
	if ok {
		s.setup = "" // used once, even if what follows fails
	}
	s.mu.Unlock()
	if !ok {
		return User{}, "", ErrUnauthenticated
	}
	if has, err := s.HasUsers(ctx); err != nil {
		return User{}, "", err
	} else if has {
		return User{}, "", fmt.Errorf("%w: the first user exists already", ErrConflict)
	}
	u, err := s.CreateUser(ctx, email, password, RoleAdmin)
	if err != nil {
		return User{}, "", err
	}
	tok, err := s.newSession(ctx, u.ID)
	return u, tok, err
}

// CreateUser adds an account. The first account of an installation adopts
// the conversations of open mode.
func (s *Service) CreateUser(ctx context.Context, email, password string, role Role) (User, error) {
	email, err := normalEmail(email)
	if err != nil {
		return User{}, err
	}
	if err := checkPassword(password); err != nil {
		return User{}, err
	}
	if role != RoleAdmin && role != RoleMember {
		return User{}, rag.Invalid("role", "must be admin or member")
	}
	u := User{ID: rag.NewID(), Email: email, PasswordHash: HashPassword(password), Role: role, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	s.hasUsers.Store(true)
	return u, nil
}

func normalEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", rag.Invalid("email", "is not an email address")
	}
	return email, nil
}

func checkPassword(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLen:
		return rag.Invalid("password", "must be at least %d characters long", MinPasswordLen)
	case len(pw) > maxPasswordLen:
		return rag.Invalid("password", "must be at most %d bytes long", maxPasswordLen)
	}
	return nil
}

// dummyHash is checked against when the email is unknown, so that an
// unknown email costs as long as a wrong password.
var dummyHash = HashPassword("not a password of anyone")

// Login checks email and password and returns a new session token. Failures
// are ErrUnauthenticated whatever was wrong; repeated failures for one
// account or from one IP are throttled (*ThrottledError).
func (s *Service) Login(ctx context.Context, email, password, ip string) (User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{"email:" + email, "ip:" + ip}
	if wait := s.throttle.wait(s.now(), keys...); wait > 0 {
		return User{}, "", &ThrottledError{RetryAfter: wait}
	}
	u, err := s.store.UserByEmail(ctx, email)
	hash := u.PasswordHash
	if errors.Is(err, rag.ErrNotFound) || hash == "" {
		hash = dummyHash
	} else if err != nil {
		return User{}, "", fmt.Errorf("auth: login: %w", err)
	}
	match, herr := CheckPassword(hash, password)
	if len(password) > maxPasswordLen || err != nil || herr != nil || !match || u.Disabled() {
		s.throttle.fail(s.now(), keys...)
		return User{}, "", ErrUnauthenticated
	}
	s.throttle.reset(keys[0])
	tok, err := s.newSession(ctx, u.ID)
	return u, tok, err
}

func (s *Service) newSession(ctx context.Context, userID string) (string, error) {
	tok := newToken(sessionPrefix)
	t := s.now().UTC()
	if err := s.store.CreateSession(ctx, Session{Hash: s.hash.hash(tok), UserID: userID, CreatedAt: t, LastSeenAt: t}); err != nil {
		return "", fmt.Errorf("auth: new session: %w", err)
	}
	return tok, nil
}

// Logout ends the session of token (a no-op for an unknown one).
func (s *Service) Logout(ctx context.Context, token string) error {
	if _, ok := ParseSession(token); !ok {
		return nil
	}
	if err := s.store.DeleteSession(ctx, s.hash.hash(token)); err != nil && !errors.Is(err, rag.ErrNotFound) {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// SessionMaxAge is how long a session cookie may live in the browser.
func (s *Service) SessionMaxAge() time.Duration { return s.cfg.SessionMax }

// FromSession returns the principal of a session token.
func (s *Service) FromSession(ctx context.Context, token string) (Principal, error) {
	if _, ok := ParseSession(token); !ok {
		return Principal{}, ErrUnauthenticated
	}
	h := s.hash.hash(token)
	sess, u, err := s.store.Session(ctx, h)
	if errors.Is(err, rag.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	} else if err != nil {
		return Principal{}, fmt.Errorf("auth: session: %w", err)
	}
	now := s.now()
	if !equal(sess.Hash, h) || u.Disabled() || now.Sub(sess.LastSeenAt) > s.cfg.SessionIdle || now.Sub(sess.CreatedAt) > s.cfg.SessionMax {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := s.store.TouchSession(ctx, h, now.UTC()); err != nil {
			return Principal{}, fmt.Errorf("auth: session: %w", err)
		}
	}
	return Principal{ID: "user:" + u.ID, UserID: u.ID, Email: u.Email, Role: u.Role, Scopes: RoleScopes(u.Role)}, nil
}

// FromKey returns the principal of an API key.
func (s *Service) FromKey(ctx context.Context, key string) (Principal, error) {
	if !wellFormed(key, keyPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	h := s.hash.hash(key)
	k, u, err := s.store.Key(ctx, h)
	if errors.Is(err, rag.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	} else if err != nil {
		return Principal{}, fmt.Errorf("auth: key: %w", err)
	}
	now := s.now()
	if !equal(k.Hash, h) || u.Disabled() || k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return Principal{}, ErrUnauthenticated
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > touchEvery {
		if err := s.store.TouchKey(ctx, k.ID, now.UTC()); err != nil {
			return Principal{}, fmt.Errorf("auth: key: %w", err)
		}
	}
	var scopes []Scope
	for _, sc := range k.Scopes {
		if slices.Contains(RoleScopes(u.Role), sc) {
			scopes = append(scopes, sc)
		}
	}
	return Principal{ID: "key:" + k.ID, UserID: u.ID, Email: u.Email, Role: u.Role, KeyID: k.ID, Scopes: scopes}, nil
}

// RoleScopes are the scopes a role may hold (a session holds them all).
func RoleScopes(r Role) []Scope {
	if r == RoleAdmin {
		return []Scope{ScopeChat, ScopeDocumentsWrite, ScopeAdmin}
	}
	return []Scope{ScopeChat}
}

// Has reports whether p holds scope s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

// AllScopes lists every scope, for documentation and validation.
var AllScopes = []Scope{ScopeChat, ScopeDocumentsWrite, ScopeAdmin}

// CreateKey makes an API key for user u and returns it with the key text,
// which is shown once and never stored. Scopes must be within u's role;
// none given means chat.
func (s *Service) CreateKey(ctx context.Context, u Principal, name string, scopes []Scope, expires *time.Time) (APIKey, string, error) {
	if len(scopes) == 0 {
		scopes = []Scope{ScopeChat}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	for _, sc := range scopes {
		if !slices.Contains(AllScopes, sc) {
			return APIKey{}, "", rag.Invalid("scopes", "unknown scope %q (chat, documents:write, admin)", sc)
		}
		if !slices.Contains(RoleScopes(u.Role), sc) {
			return APIKey{}, "", rag.Invalid("scopes", "a %s cannot hold scope %q", u.Role, sc)
		}
	}
	if utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return APIKey{}, "", rag.Invalid("name", "must be valid text of at most 100 characters")
	}
	now := s.now().UTC()
	if expires != nil && !expires.After(now) {
		return APIKey{}, "", rag.Invalid("expires_at", "must be in the future")
	}
	tok := newToken(keyPrefix)
	k := APIKey{ID: rag.NewID(), UserID: u.UserID, Name: name, Prefix: tok[:12], Hash: s.hash.hash(tok), Scopes: scopes, CreatedAt: now, ExpiresAt: expires}
	if err := s.store.CreateKey(ctx, k); err != nil {
		return APIKey{}, "", fmt.Errorf("auth: create key: %w", err)
	}
	return k, tok, nil
}

// Keys lists the keys of userID ("" for every user's).
func (s *Service) Keys(ctx context.Context, userID string) ([]APIKey, error) {
	return s.store.Keys(ctx, userID)
}

// RevokeKey revokes key id of userID ("" for any user's); an unknown key
// (or another user's) wraps rag.ErrNotFound.
func (s *Service) RevokeKey(ctx context.Context, userID, id string) error {
	return s.store.RevokeKey(ctx, userID, id, s.now().UTC())
}

// Users lists every account.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.store.Users(ctx) }

// User returns one account; an unknown id wraps rag.ErrNotFound.
func (s *Service) User(ctx context.Context, id string) (User, error) { return s.store.User(ctx, id) }

// UserByEmail returns the account of email.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
}

// SetDisabled disables (or enables again) an account. Disabling ends its
// sessions; its keys stop working at once too (every request checks the
// user).
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (User, error) {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	switch {
	case disabled && u.DisabledAt == nil:
		t := s.now().UTC()
		u.DisabledAt = &t
	case !disabled:
		u.DisabledAt = nil
	}
	return u, s.store.UpdateUser(ctx, u, disabled)
}

// ResetPassword sets a new password and ends the account's sessions.
func (s *Service) ResetPassword(ctx context.Context, id, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	u, err := s.store.User(ctx, id)
	if err != nil {
		return err
	}
	u.PasswordHash = HashPassword(password)
	return s.store.UpdateUser(ctx, u, true)
}
