package rag

import (
	"errors"
	"fmt"
)

// Error kinds. Adapters wrap their failures with one of these (with %w) so
// that the API maps each kind to an HTTP status or an error event in one
// place. Anything else is an internal error: logged, never shown.
var (
	ErrInvalid     = errors.New("invalid input")          // 422 / 400
	ErrNotFound    = errors.New("not found")              // 404
	ErrTooLarge    = errors.New("too large")              // 413
	ErrUnsupported = errors.New("unsupported media type") // 415
	ErrUpstream    = errors.New("upstream failed")        // 502, not retryable as is
	ErrUnavailable = errors.New("upstream unavailable")   // 503, retryable (unreachable, overloaded, rate limited)
	ErrTimeout     = errors.New("upstream timed out")     // 504, retryable
	// ErrInterrupted is a stream the upstream began and then lost (the
	// connection broke, or the body ended without a finish): nothing
	// says the request was wrong, so asking again will probably work.
	ErrInterrupted = errors.New("upstream stream interrupted") // 502, retryable
)

// FieldError is invalid input in one named field. Its message is safe to
// show to users.
type FieldError struct {
	Field   string // as the API names it: "message", "conversation_id", "Last-Event-ID"
	Message string
	Kind    error // ErrInvalid unless set (ErrNotFound, ErrTooLarge, ...)
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap lets errors.Is see the kind.
func (e *FieldError) Unwrap() error {
	if e.Kind == nil {
		return ErrInvalid
	}
	return e.Kind
}

// Invalid returns a FieldError of kind ErrInvalid.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a FieldError of kind ErrNotFound.
func NotFound(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...), Kind: ErrNotFound}
}

// ErrorOf is the error event of a run that failed with err: its code, a
// message in lang ("ko" or "en") safe to show, and whether asking again
// may work. Cancellations, which only the runner can tell apart, are not
// its business.
func ErrorOf(err error, lang string) RunError {
	switch {
	case errors.Is(err, ErrTimeout):
		return RunError{Code: CodeTimeout, Message: localize(lang, msgTimeout), Retryable: true}
	case errors.Is(err, errRetrieval):
		return RunError{Code: CodeSearch, Message: localize(lang, msgSearch), Retryable: Retryable(err)}
	case errors.Is(err, ErrUnavailable):
		return RunError{Code: CodeUnavailable, Message: localize(lang, msgUnavailable), Retryable: true}
	case errors.Is(err, ErrInterrupted):
		return RunError{Code: CodeInterrupted, Message: localize(lang, msgInterrupted), Retryable: true}
	case errors.Is(err, ErrUpstream):
		return RunError{Code: CodeUpstream, Message: localize(lang, msgUpstream), Retryable: false}
	}
	return RunError{Code: CodeInternal, Message: localize(lang, msgInternal), Retryable: true}
}

// Retryable reports whether trying the same thing again later may succeed.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrInterrupted)
}
