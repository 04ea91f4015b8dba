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

// Retryable reports whether trying the same thing again later may succeed.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout)
}
