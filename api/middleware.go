package api

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// LogRequests logs each request's method, path (never the query: it holds
// questions), status and duration.
func LogRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
	})
}

// statusRecorder remembers the status. Unwrap lets http.ResponseController
// (and so SSE flushing) reach the real writer.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// AcceptCurlJSON lets `curl -d '{"message":...}'` work: curl labels a -d
// body application/x-www-form-urlencoded, which the API would refuse with
// 415. A body so labelled that starts with '{' is JSON in all but name, so
// it is relabelled; a real form body still gets the 415 naming the type.
//
// The body is looked at only when the handler first reads it (Huma reads
// the body before it looks at Content-Type): reading it here, before
// Huma sets its body read deadline, let net/http start its background
// read of the connection early, which that deadline then broke 5 s later,
// cancelling the request (a 500 "context canceled" on slow answers).
func AcceptCurlJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Body != nil && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			r.Body = &relabel{header: r.Header, br: bufio.NewReader(r.Body), Closer: r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// relabel peeks at the body on its first read and marks it JSON when it
// starts with '{'.
type relabel struct {
	header http.Header
	br     *bufio.Reader
	peeked bool
	io.Closer
}

func (r *relabel) Read(p []byte) (int, error) {
	if !r.peeked {
		r.peeked = true
		if b, err := r.br.Peek(1); err == nil && b[0] == '{' {
			r.header.Set("Content-Type", "application/json")
		}
	}
	return r.br.Read(p)
}
