package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ragchat/auth"
)

// access is what an operation requires of the request's principal. Every
// operation declares one (register); the same declaration sets its
// OpenAPI security requirement, so the document and the checks agree.
type access int

const (
	accessPublic    access = iota // anyone: health, sign-in
	accessSignedIn                // any credential
	accessChat                    // scope chat: ask, runs, own conversations, search, read documents
	accessDocsWrite               // scope documents:write (admins)
	accessAccount                 // a session, or a key with scope admin: the caller's own keys
	accessAdmin                   // scope admin: users, everyone's keys
)

// Security scheme names of the OpenAPI document.
const (
	schemeCookie = "session"
	schemeBearer = "apiKey"
)

// anonymousAllowed says which operations open mode (loopback, no user)
// serves without credentials: everything that worked before accounts.
func (a access) anonymousAllowed() bool {
	return a == accessChat || a == accessDocsWrite || a == accessSignedIn
}

// scope is the key scope an access needs (none for public and signed-in).
func (a access) scope() auth.Scope {
	switch a {
	case accessChat:
		return auth.ScopeChat
	case accessDocsWrite:
		return auth.ScopeDocumentsWrite
	case accessAdmin, accessAccount:
		return auth.ScopeAdmin
	}
	return ""
}

// register adds op to api with its access rule, checked before the
// handler runs, and documented as the operation's security.
func register[I, O any](s *server, api huma.API, a access, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	if a == accessPublic {
		op.Security = []map[string][]string{} // explicitly none
	} else {
		op.Security = []map[string][]string{{schemeCookie: {}}, {schemeBearer: {}}}
		op.Errors = append(op.Errors, http.StatusUnauthorized)
		if a != accessSignedIn && a != accessChat {
			op.Errors = append(op.Errors, http.StatusForbidden)
		}
		if sc := a.scope(); sc != "" {
			op.Description += " Needs scope `" + string(sc) + "`"
			if a == accessAccount {
				op.Description += " when called with an API key (sessions may)"
			}
			op.Description += "."
		}
		op.Middlewares = append(op.Middlewares, func(ctx huma.Context, next func(huma.Context)) {
			if status, msg := s.check(ctx.Context(), a); status != 0 {
				if status == http.StatusUnauthorized {
					ctx.SetHeader("WWW-Authenticate", `Bearer realm="ragchat"`)
				}
				huma.WriteErr(api, ctx, status, msg)
				return
			}
			next(ctx)
		})
	}
	huma.Register(api, op, handler)
}

// check returns the refusal (status and detail) of a request to an
// operation with access a, or 0.
func (s *server) check(ctx context.Context, a access) (int, string) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		if a.anonymousAllowed() && !auth.BadCookie(ctx) {
			open, err := s.open(ctx)
			if err != nil {
				s.log.WarnContext(ctx, "cannot tell whether open mode applies", "err", err)
				return http.StatusServiceUnavailable, "credentials cannot be checked right now; try again shortly"
			}
			if open {
				return 0, ""
			}
		}
		return http.StatusUnauthorized, auth.UnauthorizedDetail
	}
	switch a {
	case accessSignedIn:
		return 0, ""
	case accessAccount:
		if p.KeyID == "" || p.Has(auth.ScopeAdmin) {
			return 0, ""
		}
	default:
		if p.Has(a.scope()) {
			return 0, ""
		}
	}
	return http.StatusForbidden, "this credential lacks scope " + string(a.scope())
}

// open reports whether requests without credentials are served. Without
// an account service (tests, the OpenAPI document) they always are.
func (s *server) open(ctx context.Context) (bool, error) {
	if s.deps.Accounts == nil {
		return true, nil
	}
	return s.deps.Accounts.Open(ctx)
}

// owner is the user id that what the request creates belongs to ("" in
// open mode).
func owner(ctx context.Context) string {
	p, _ := auth.PrincipalFrom(ctx)
	return p.UserID
}

// mayRead reports whether the request may read what ownerID owns: its
// owner, or an admin when --admin-read-conversations is set.
func (s *server) mayRead(ctx context.Context, ownerID string) bool {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return ownerID == "" // open mode
	}
	return p.UserID == ownerID || (s.cfg.AdminReadConversations && p.Role == auth.RoleAdmin)
}

// mayModify reports whether the request may delete or stop what ownerID
// owns: its owner or an admin.
func (s *server) mayModify(ctx context.Context, ownerID string) bool {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return ownerID == ""
	}
	return p.UserID == ownerID || p.Role == auth.RoleAdmin
}

// securitySchemes documents the two ways to authenticate.
func securitySchemes(oapi *huma.OpenAPI) {
	if oapi.Components.SecuritySchemes == nil {
		oapi.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oapi.Components.SecuritySchemes[schemeCookie] = &huma.SecurityScheme{
		Type: "apiKey", In: "cookie", Name: auth.CookieName,
		Description: "The browser session, set by POST /api/v1/auth/login (HttpOnly, SameSite=Strict).",
	}
	oapi.Components.SecuritySchemes[schemeBearer] = &huma.SecurityScheme{
		Type: "http", Scheme: "bearer",
		Description: "An API key (POST /api/v1/keys) as Authorization: Bearer <key>.",
	}
}
