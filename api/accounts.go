package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	v1 "ragchat/api/v1"
	"ragchat/auth"
)

// Accounts signs people in and manages users and API keys (auth.Service).
type Accounts interface {
	Open(ctx context.Context) (bool, error)
	HasUsers(ctx context.Context) (bool, error)
	Setup(ctx context.Context, token, email, password string) (auth.User, string, error)
	Login(ctx context.Context, email, password, ip string) (auth.User, string, error)
	Logout(ctx context.Context, token string) error
	SessionCookie(ctx context.Context, token string) http.Cookie

	CreateKey(ctx context.Context, p auth.Principal, name string, scopes []auth.Scope, expires *time.Time) (auth.APIKey, string, error)
	Keys(ctx context.Context, userID string) ([]auth.APIKey, error)
	RevokeKey(ctx context.Context, userID, id string) error

	Users(ctx context.Context) ([]auth.User, error)
	User(ctx context.Context, id string) (auth.User, error)
	CreateUser(ctx context.Context, email, password string, role auth.Role) (auth.User, error)
	SetDisabled(ctx context.Context, id string, disabled bool) (auth.User, error)
	ResetPassword(ctx context.Context, id, password string) error
}

// AuthStatusOutput tells how to sign in.
type AuthStatusOutput struct{ Body v1.AuthStatus }

// SessionOutput signs a browser in: the session cookie and who it is.
type SessionOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie" doc:"The session cookie (HttpOnly, SameSite=Strict; Secure over TLS)."`
	Body      v1.Me
}

// MeOutput is the signed-in principal.
type MeOutput struct{ Body v1.Me }

// LogoutInput carries the session cookie to end.
type LogoutInput struct {
	Session string `cookie:"ragchat_session" doc:"The session to end."`
}

// LogoutOutput clears the cookie.
type LogoutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (s *server) registerAuth(api huma.API) {
	tags := []string{"auth"}
	register(s, api, accessPublic, huma.Operation{
		OperationID: "auth-status",
		Method:      http.MethodGet,
		Path:        "/api/v1/auth/status",
		Summary:     "How to sign in",
		Description: "Whether the server is in open mode (loopback, no user: no credentials needed) and whether the first admin still has to be made.",
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*AuthStatusOutput, error) {
		out := &AuthStatusOutput{}
		if s.deps.Accounts == nil {
			out.Body.Open = true
			return out, nil
		}
		has, err := s.deps.Accounts.HasUsers(ctx)
		if err != nil {
			return nil, s.problem(ctx, err, "")
		}
		open, err := s.deps.Accounts.Open(ctx)
		if err != nil {
			return nil, s.problem(ctx, err, "")
		}
		out.Body.Open, out.Body.SetupRequired = open, !has
		return out, nil
	})
	register(s, api, accessPublic, huma.Operation{
		OperationID:   "auth-setup",
		Method:        http.MethodPost,
		Path:          "/api/v1/auth/setup",
		Summary:       "Make the first admin",
		Description:   "With the one-time token `ragchat serve` printed while no user exists: creates the first account, an admin, and signs it in. Conversations made in open mode become theirs. The token works once; a wrong or used one is 401.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  16 << 10,
		Errors:        []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct{ Body v1.SetupRequest }) (*SessionOutput, error) {
		if s.deps.Accounts == nil {
			return nil, s.problem(ctx, auth.ErrUnauthenticated, "")
		}
		u, tok, err := s.deps.Accounts.Setup(ctx, in.Body.Token, in.Body.Email, in.Body.Password)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		return s.session(ctx, u, tok), nil
	})
	register(s, api, accessPublic, huma.Operation{
		OperationID:  "auth-login",
		Method:       http.MethodPost,
		Path:         "/api/v1/auth/login",
		Summary:      "Sign in",
		Description:  "Checks email and password and sets the session cookie. Any failure is the same 401; repeated failures for an account or from an address are refused for a while with 429 and Retry-After.",
		Tags:         tags,
		MaxBodyBytes: 16 << 10,
		Errors:       []int{http.StatusUnauthorized, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *struct{ Body v1.LoginRequest }) (*SessionOutput, error) {
		if s.deps.Accounts == nil {
			return nil, s.problem(ctx, auth.ErrUnauthenticated, "")
		}
		u, tok, err := s.deps.Accounts.Login(ctx, in.Body.Email, in.Body.Password, auth.ClientIP(ctx))
		if err != nil {
			if _, ok := err.(*auth.ThrottledError); !ok {
				s.deps.Metrics.FailedLogins.Inc()
			}
			return nil, s.problem(ctx, err, "body.")
		}
		return s.session(ctx, u, tok), nil
	})
	register(s, api, accessPublic, huma.Operation{
		OperationID:   "auth-logout",
		Method:        http.MethodPost,
		Path:          "/api/v1/auth/logout",
		Summary:       "Sign out",
		Description:   "Ends the session of the cookie (in the database, at once) and clears the cookie. Always 204.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *LogoutInput) (*LogoutOutput, error) {
		if s.deps.Accounts == nil {
			return &LogoutOutput{}, nil
		}
		if err := s.deps.Accounts.Logout(ctx, in.Session); err != nil {
			return nil, s.problem(ctx, err, "")
		}
		return &LogoutOutput{SetCookie: s.deps.Accounts.SessionCookie(ctx, "")}, nil
	})
	register(s, api, accessSignedIn, huma.Operation{
		OperationID: "auth-me",
		Method:      http.MethodGet,
		Path:        "/api/v1/auth/me",
		Summary:     "Who am I",
		Description: "The account and scopes of the request's credential; in open mode, `open` and no user.",
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*MeOutput, error) {
		p, ok := auth.PrincipalFrom(ctx)
		if !ok {
			return &MeOutput{Body: v1.Me{Open: true, Scopes: scopeNames(auth.AllScopes)}}, nil
		}
		u, err := s.deps.Accounts.User(ctx, p.UserID)
		if err != nil {
			return nil, s.problem(ctx, err, "")
		}
		wu := wireUser(u)
		return &MeOutput{Body: v1.Me{User: &wu, KeyID: p.KeyID, Scopes: scopeNames(p.Scopes)}}, nil
	})
}

func (s *server) session(ctx context.Context, u auth.User, token string) *SessionOutput {
	wu := wireUser(u)
	return &SessionOutput{
		SetCookie: s.deps.Accounts.SessionCookie(ctx, token),
		Body:      v1.Me{User: &wu, Scopes: scopeNames(auth.RoleScopes(u.Role))},
	}
}

func scopeNames(sc []auth.Scope) []string {
	out := make([]string, len(sc))
	for i, x := range sc {
		out[i] = string(x)
	}
	return out
}

func wireUser(u auth.User) v1.User {
	return v1.User{ID: u.ID, Email: u.Email, Role: string(u.Role), CreatedAt: u.CreatedAt, Disabled: u.Disabled(), DisabledAt: u.DisabledAt}
}

func wireKey(k auth.APIKey) v1.APIKey {
	return v1.APIKey{ID: k.ID, UserID: k.UserID, Name: k.Name, Prefix: k.Prefix, Scopes: scopeNames(k.Scopes),
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// KeyListInput selects whose keys to list.
type KeyListInput struct {
	All bool `query:"all" doc:"Every user's keys (admins only)."`
}

// KeyIDInput names a key.
type KeyIDInput struct {
	ID string `path:"id"`
}

func (s *server) registerKeys(api huma.API) {
	tags := []string{"keys"}
	register(s, api, accessAccount, huma.Operation{
		OperationID:   "create-key",
		Method:        http.MethodPost,
		Path:          "/api/v1/keys",
		Summary:       "Make an API key",
		Description:   "Makes a key for the caller. The key (`secret`) is in this answer only; the server keeps a keyed hash. Members may hold scope chat only.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  16 << 10,
		Errors:        []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct{ Body v1.CreateKeyRequest }) (*struct{ Body v1.NewKey }, error) {
		p, _ := auth.PrincipalFrom(ctx)
		scopes := make([]auth.Scope, len(in.Body.Scopes))
		for i, sc := range in.Body.Scopes {
			scopes[i] = auth.Scope(sc)
		}
		k, secret, err := s.deps.Accounts.CreateKey(ctx, p, in.Body.Name, scopes, in.Body.ExpiresAt)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		return &struct{ Body v1.NewKey }{Body: v1.NewKey{Key: wireKey(k), Secret: secret}}, nil
	})
	register(s, api, accessAccount, huma.Operation{
		OperationID: "list-keys",
		Method:      http.MethodGet,
		Path:        "/api/v1/keys",
		Summary:     "List API keys",
		Description: "The caller's keys, newest first (never the keys themselves); `all=true` lists every user's (admins).",
		Tags:        tags,
	}, func(ctx context.Context, in *KeyListInput) (*struct{ Body v1.KeyList }, error) {
		p, _ := auth.PrincipalFrom(ctx)
		who := p.UserID
		if in.All {
			if !p.Has(auth.ScopeAdmin) {
				return nil, huma.Error403Forbidden("all=true needs scope admin")
			}
			who = ""
		}
		keys, err := s.deps.Accounts.Keys(ctx, who)
		if err != nil {
			return nil, s.problem(ctx, err, "")
		}
		out := &struct{ Body v1.KeyList }{Body: v1.KeyList{Keys: make([]v1.APIKey, len(keys))}}
		for i, k := range keys {
			out.Body.Keys[i] = wireKey(k)
		}
		return out, nil
	})
	register(s, api, accessAccount, huma.Operation{
		OperationID:   "revoke-key",
		Method:        http.MethodDelete,
		Path:          "/api/v1/keys/{id}",
		Summary:       "Revoke an API key",
		Description:   "The key stops working at once. Admins may revoke anyone's key; another user's key is 404 for members.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *KeyIDInput) (*struct{}, error) {
		p, _ := auth.PrincipalFrom(ctx)
		who := p.UserID
		if p.Has(auth.ScopeAdmin) {
			who = ""
		}
		if err := s.deps.Accounts.RevokeKey(ctx, who, in.ID); err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return nil, nil
	})
}

// UserIDInput names an account.
type UserIDInput struct {
	ID string `path:"id"`
}

func (s *server) registerUsers(api huma.API) {
	tags := []string{"users"}
	register(s, api, accessAdmin, huma.Operation{
		OperationID: "list-users",
		Method:      http.MethodGet,
		Path:        "/api/v1/users",
		Summary:     "List accounts",
		Description: "Every account, oldest first.",
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body v1.UserList }, error) {
		users, err := s.deps.Accounts.Users(ctx)
		if err != nil {
			return nil, s.problem(ctx, err, "")
		}
		out := &struct{ Body v1.UserList }{Body: v1.UserList{Users: make([]v1.User, len(users))}}
		for i, u := range users {
			out.Body.Users[i] = wireUser(u)
		}
		return out, nil
	})
	register(s, api, accessAdmin, huma.Operation{
		OperationID:   "create-user",
		Method:        http.MethodPost,
		Path:          "/api/v1/users",
		Summary:       "Add an account",
		Description:   "Adds a local account (role member unless given). An email already taken is 409.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  16 << 10,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct{ Body v1.CreateUserRequest }) (*struct{ Body v1.User }, error) {
		role := auth.Role(in.Body.Role)
		if role == "" {
			role = auth.RoleMember
		}
		u, err := s.deps.Accounts.CreateUser(ctx, in.Body.Email, in.Body.Password, role)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		return &struct{ Body v1.User }{Body: wireUser(u)}, nil
	})
	register(s, api, accessAdmin, huma.Operation{
		OperationID:  "update-user",
		Method:       http.MethodPatch,
		Path:         "/api/v1/users/{id}",
		Summary:      "Disable, enable or reset an account",
		Description:  "Disabling ends the user's sessions and stops their API keys at once; a new password ends their sessions.",
		Tags:         tags,
		MaxBodyBytes: 16 << 10,
		Errors:       []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		UserIDInput
		Body v1.UpdateUserRequest
	}) (*struct{ Body v1.User }, error) {
		if in.Body.Password != "" {
			if err := s.deps.Accounts.ResetPassword(ctx, in.ID, in.Body.Password); err != nil {
				return nil, s.problem(ctx, err, "body.")
			}
		}
		var u auth.User
		var err error
		if in.Body.Disabled != nil {
			u, err = s.deps.Accounts.SetDisabled(ctx, in.ID, *in.Body.Disabled)
		} else {
			u, err = s.deps.Accounts.User(ctx, in.ID)
		}
		if err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return &struct{ Body v1.User }{Body: wireUser(u)}, nil
	})
}
