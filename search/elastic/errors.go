package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"ragchat/rag"
)

// Error is a non-2xx answer of Elasticsearch. It unwraps to the rag error
// kind that status maps to, so errors.Is(err, rag.ErrUnavailable) works.
type Error struct {
	Status int    // HTTP status
	Type   string // Elasticsearch error type, e.g. "index_not_found_exception"; "" when the body was not an Elasticsearch error
	Reason string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("status %d", e.Status)
	if e.Type != "" {
		msg += " " + e.Type
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		msg += " (check the Elasticsearch credentials: API key or username/password, and their privileges on the index)"
	}
	return msg
}

// Unwrap returns the rag error kind of the status.
func (e *Error) Unwrap() error { return statusKind(e.Status, e.Type) }

// statusKind maps an HTTP status to a rag error kind. Overload and
// unavailability are retryable; a request Elasticsearch refused is not.
func statusKind(status int, typ string) error {
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable,
		status == http.StatusBadGateway, typ == "es_rejected_execution_exception":
		return rag.ErrUnavailable
	case status == http.StatusGatewayTimeout, status == http.StatusRequestTimeout:
		return rag.ErrTimeout
	default: // 401, 403, other 4xx (a request this package built wrongly), other 5xx
		return rag.ErrUpstream
	}
}

// ItemError is one bulk action that Elasticsearch refused.
type ItemError struct {
	ChunkID string
	Status  int
	Type    string
	Reason  string
}

// BulkError reports every refused item of an Index or Reindex call. It
// unwraps to the most retryable kind among its items.
type BulkError struct {
	Total int // actions sent
	Items []ItemError
}

func (e *BulkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d chunks refused", len(e.Items), e.Total)
	for i, it := range e.Items {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Items)-i)
			break
		}
		fmt.Fprintf(&b, "; %s: status %d %s: %s", it.ChunkID, it.Status, it.Type, it.Reason)
	}
	return b.String()
}

// Unwrap returns rag.ErrUnavailable when any item was refused for overload
// (trying again may succeed), else rag.ErrUpstream.
func (e *BulkError) Unwrap() error {
	for _, it := range e.Items {
		if k := statusKind(it.Status, it.Type); k != rag.ErrUpstream {
			return k
		}
	}
	return rag.ErrUpstream
}

// classify turns a failure of the transport (no HTTP answer) into a rag
// error kind. ctx is the context the request ran with.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var es *Error
	if errors.As(err, &es) {
		return err
	}
	if ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", rag.ErrTimeout, err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return fmt.Errorf("%w: %v", rag.ErrTimeout, err)
	}
	if strings.Contains(err.Error(), "not Elasticsearch") {
		// The product check failed: something else answers at that address.
		return fmt.Errorf("%w: %v", rag.ErrUpstream, err)
	}
	// Connection refused, reset, cut mid-answer, DNS failure, no live node.
	return fmt.Errorf("%w: %v", rag.ErrUnavailable, err)
}

// errorBody reads an Elasticsearch error answer. Elasticsearch sends
// {"error":{"type":..,"reason":..},"status":N}; some answers (a missing alias)
// carry the error as a plain string, and a proxy in front may send HTML.
func errorBody(res *http.Response) *Error {
	e := &Error{Status: res.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Error) == 0 {
		e.Reason = strings.TrimSpace(string(data))
		if len(e.Reason) > 200 {
			e.Reason = e.Reason[:200] + "…"
		}
		if e.Reason == "" {
			e.Reason = http.StatusText(res.StatusCode)
		}
		return e
	}
	var cause struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body.Error, &cause) != nil {
		_ = json.Unmarshal(body.Error, &e.Reason) // the plain-string form
		return e
	}
	e.Type, e.Reason = cause.Type, cause.Reason
	return e
}
