package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	goopenai "github.com/sashabaranov/go-openai"

	"ragchat/rag"
)

// errIdle and errFirstToken are the causes our own timers cancel with.
var (
	errIdle       = errors.New("no data from the model within the idle timeout")
	errFirstToken = errors.New("no first token from the model within the first-token timeout")
	errEmbedSlow  = errors.New("no embeddings within the embedding timeout")
)

// maxUpstreamMessage bounds how much of an upstream error message is kept.
const maxUpstreamMessage = 300

// classify turns a go-openai or transport error into an error of one of the
// rag kinds, wrapped with op (e.g. "openai: chat stream"). parent is the
// caller's context, ctx the one with our timers; started tells whether the
// response had begun (an interrupted body is not "unreachable").
func (c Config) classify(op string, parent, ctx context.Context, err error, started bool) error {
	if err == nil {
		return nil
	}
	switch {
	case parent.Err() != nil:
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w (%w)", op, rag.ErrTimeout, parent.Err())
		}
		return fmt.Errorf("%s: %w", op, parent.Err()) // cancelled by the caller: not a failure
	case ctx.Err() != nil:
		cause := context.Cause(ctx)
		return fmt.Errorf("%s: %w: %w", op, cause, rag.ErrTimeout)
	}

	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0:
		return c.statusError(op, apiErr.HTTPStatusCode, apiErr.Message)
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode > 0:
		// A non-JSON error body (a proxy's HTML page): keep only the status.
		return c.statusError(op, reqErr.HTTPStatusCode, "")
	case errors.As(err, &apiErr):
		// A data: {"error":...} line in the stream.
		return fmt.Errorf("%s: %w: the model reported an error mid-stream: %s", op, rag.ErrUpstream, c.clean(apiErr.Message))
	case errors.Is(err, context.DeadlineExceeded), isNetTimeout(err):
		return fmt.Errorf("%s: %w: %s", op, rag.ErrTimeout, c.clean(err.Error()))
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("%s: %w: the model server sent a stream line that is not JSON: %s", op, rag.ErrUpstream, c.clean(err.Error()))
	case errors.Is(err, goopenai.ErrTooManyEmptyStreamMessages):
		return fmt.Errorf("%s: %w: too many empty stream messages", op, rag.ErrUpstream)
	case !started && isUnreachable(err):
		return fmt.Errorf("%s: %w: cannot reach %s: %s", op, rag.ErrUnavailable, c.BaseURL, c.clean(err.Error()))
	case started && (errors.Is(err, io.ErrUnexpectedEOF) || isUnreachable(err)):
		return fmt.Errorf("%s: %w: the stream broke off: %s", op, rag.ErrInterrupted, c.clean(err.Error()))
	}
	return fmt.Errorf("%s: %w: %s", op, rag.ErrUpstream, c.clean(err.Error()))
}

// statusError classifies an HTTP error status of the upstream.
func (c Config) statusError(op string, status int, msg string) error {
	kind := rag.ErrUpstream
	what := "the model server answered HTTP " + fmt.Sprint(status)
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		what = fmt.Sprintf("the model server refused the API key or its permissions (HTTP %d); check --openai-api-key", status)
	case http.StatusTooManyRequests:
		kind, what = rag.ErrUnavailable, "the model server is rate limiting (HTTP 429)"
	case http.StatusServiceUnavailable:
		kind, what = rag.ErrUnavailable, "the model server is unavailable (HTTP 503)"
	case http.StatusBadGateway:
		// A gateway in front of the model server could not reach it.
		kind, what = rag.ErrUnavailable, "a gateway could not reach the model server (HTTP 502)"
	case http.StatusRequestEntityTooLarge:
		what = "the model server refused the request as too large (HTTP 413); lower --prompt-budget"
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		kind, what = rag.ErrTimeout, fmt.Sprintf("the model server timed out (HTTP %d)", status)
	case http.StatusNotFound:
		what = "the model server answered HTTP 404; check the base URL (it usually ends in /v1) and the model name"
	}
	if msg = c.clean(msg); msg != "" {
		what += ": " + msg
	}
	return &statusErr{op: op, kind: kind, status: status, msg: what}
}

// statusErr keeps the HTTP status so retry decisions can use it.
type statusErr struct {
	op     string
	kind   error
	status int
	msg    string
}

func (e *statusErr) Error() string { return e.op + ": " + e.kind.Error() + ": " + e.msg }
func (e *statusErr) Unwrap() error { return e.kind }

// transient reports whether a failure before the first token is worth
// retrying: unreachable or overloaded servers, streams that broke off
// before their first token, and plain 500/502 answers. Timeouts are not
// retried: the wait already spent the time budget.
func transient(err error) bool {
	if errors.Is(err, rag.ErrUnavailable) || errors.Is(err, rag.ErrInterrupted) {
		return true
	}
	var se *statusErr
	return errors.As(err, &se) && (se.status == http.StatusInternalServerError || se.status == http.StatusBadGateway)
}

// clean shortens an upstream message and removes the API key in case a
// server echoed it.
func (c Config) clean(msg string) string {
	msg = strings.TrimSpace(msg)
	if c.APIKey != "" {
		msg = strings.ReplaceAll(msg, c.APIKey, "[redacted]")
	}
	if len(msg) > maxUpstreamMessage {
		cut := maxUpstreamMessage
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isUnreachable reports connection-level failures: refused, reset, DNS,
// no route.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	return errors.As(err, &dnsErr) || errors.As(err, &opErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
