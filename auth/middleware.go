package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// CookieName is the session cookie.
const CookieName = "ragchat_session"

type requestInfoKey struct{}

// requestInfo is what the middleware learnt about the request's transport.
type requestInfo struct {
	secure bool
	ip     string
	// badCookie: the request sent a session cookie that is not (or no
	// longer) valid. Public routes (sign-in) still work; others are 401.
	badCookie bool
}

// Middleware authenticates the requests that carry credentials and puts
// their Principal in the context. A bad API key under /api/ is answered
// 401 at once; a bad session cookie is ignored, so that a stale cookie
// cannot keep anyone from signing in again. Whether a route needs a
// principal is decided per route (api).
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestInfo{secure: s.secure(r), ip: s.clientIP(r)}
		ctx := r.Context()
		var (
			p   Principal
			err error
			has bool
		)
		if h := r.Header.Get("Authorization"); h != "" {
			key, ok := ParseBearer(h)
			if !ok {
				err = ErrUnauthenticated
			} else {
				p, err = s.FromKey(ctx, key)
			}
			if err != nil {
				if strings.HasPrefix(r.URL.Path, "/api/") {
					WriteUnauthorized(w, err)
					return
				}
			} else {
				has = true
			}
		} else if c, cerr := r.Cookie(CookieName); cerr == nil {
			p, err = s.FromSession(ctx, c.Value)
			switch {
			case err == nil:
				has = true
			case errors.Is(err, ErrUnauthenticated):
				info.badCookie = true
			default:
				if strings.HasPrefix(r.URL.Path, "/api/") {
					WriteUnauthorized(w, err)
					return
				}
			}
		}
		ctx = context.WithValue(ctx, requestInfoKey{}, info)
		if has {
			ctx = WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WriteUnauthorized answers 401 problem+json, the same for every bad
// credential. A failure to check the credential (database down) is 503.
func WriteUnauthorized(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/problem+json")
	if err != nil && !errors.Is(err, ErrUnauthenticated) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"title":"Service Unavailable","status":503,"detail":"credentials cannot be checked right now; try again shortly"}` + "\n"))
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ragchat"`)
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"` + UnauthorizedDetail + `"}` + "\n"))
}

// UnauthorizedDetail is the one explanation every 401 gives.
const UnauthorizedDetail = "sign in, or send a valid API key as Authorization: Bearer <key>"

func (s *Service) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// clientIP is the peer's address, or with TrustProxy the last address of
// X-Forwarded-For (the one the proxy itself added).
func (s *Service) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func infoFrom(ctx context.Context) requestInfo {
	i, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	return i
}

// ClientIP returns the client address the middleware found ("" without it).
func ClientIP(ctx context.Context) string { return infoFrom(ctx).ip }

// BadCookie reports whether the request sent an invalid session cookie.
func BadCookie(ctx context.Context) bool { return infoFrom(ctx).badCookie }

// SessionCookie returns the cookie that holds token (an empty token clears
// it): HttpOnly, SameSite=Strict, Secure over TLS or behind a trusted
// https proxy.
func (s *Service) SessionCookie(ctx context.Context, token string) http.Cookie {
	c := http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   infoFrom(ctx).secure,
		MaxAge:   int(s.cfg.SessionMax / time.Second),
	}
	if token == "" {
		c.MaxAge = -1
	}
	return c
}

// Loopback reports whether addr (host:port as given to net.Listen, or a
// listener's address) only accepts connections from this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
