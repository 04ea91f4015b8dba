package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ragchat/auth"
	"ragchat/rag"
)

// problem maps a domain error to an RFC 9457 problem. It is the one place
// where errors become HTTP statuses. Field errors name their location
// (loc + field, e.g. "query.message"); internal errors are logged with
// their cause and shown as a bare 500.
func (s *server) problem(ctx context.Context, err error, loc string) error {
	status := statusOf(err)
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		secs := int(te.RetryAfter.Seconds()) + 1
		return huma.ErrorWithHeaders(huma.NewError(status, "too many failed sign-ins; try again later"),
			http.Header{"Retry-After": {strconv.Itoa(secs)}})
	}
	if status == http.StatusUnauthorized {
		return huma.ErrorWithHeaders(huma.NewError(status, auth.UnauthorizedDetail),
			http.Header{"Www-Authenticate": {`Bearer realm="ragchat"`}})
	}
	var fe *rag.FieldError
	if errors.As(err, &fe) {
		location := fe.Field
		if loc != "" && fe.Field != "" && !hasLocation(fe.Field) {
			location = loc + fe.Field
		}
		return huma.NewError(status, fe.Field+" "+fe.Message, &huma.ErrorDetail{Message: fe.Message, Location: location})
	}
	switch status {
	case http.StatusInternalServerError:
		s.log.ErrorContext(ctx, "internal error", "err", err)
		return huma.NewError(status, "internal server error")
	case http.StatusBadGateway:
		if errors.Is(err, rag.ErrInterrupted) {
			s.log.WarnContext(ctx, "upstream interrupted", "err", err)
			return huma.NewError(status, "the language model's answer broke off midway; try again")
		}
		s.log.WarnContext(ctx, "upstream error", "err", err)
		return huma.NewError(status, "an upstream service (language model, embedder or search) failed")
	case http.StatusServiceUnavailable:
		s.log.WarnContext(ctx, "upstream unavailable", "err", err)
		return huma.NewError(status, "an upstream service is unavailable; try again shortly")
	case http.StatusGatewayTimeout:
		s.log.WarnContext(ctx, "upstream timeout", "err", err)
		return huma.NewError(status, "an upstream service timed out; try again")
	}
	// Only field errors carry text meant for users; anything else may hold
	// internal context, so it is logged, not shown.
	s.log.DebugContext(ctx, "request failed", "status", status, "err", err)
	return huma.NewError(status, http.StatusText(status))
}

// statusOf classifies an error by its kind.
func statusOf(err error) int {
	var te *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, auth.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, auth.ErrConflict):
		return http.StatusConflict
	case errors.As(err, &te):
		return http.StatusTooManyRequests
	case errors.Is(err, rag.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, rag.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, rag.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, rag.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, rag.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, rag.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, rag.ErrUpstream), errors.Is(err, rag.ErrInterrupted):
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// hasLocation reports whether a field name already says where it is.
func hasLocation(field string) bool {
	for _, p := range []string{"query.", "body.", "header.", "path."} {
		if strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}
