package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// eventSink is where a stream's bytes go: the net/http response, or the
// connection itself once taken over.
type eventSink interface {
	write(p []byte) error  // writes and flushes p
	gone() <-chan struct{} // closed when the client has gone away
	end()                  // marks the body complete: every event was delivered
	close()                // ends the stream
}

// writeTimeout bounds one write to a client: a client that stops reading
// must not hold a stream open forever. (It is per write, never per stream.)
const writeTimeout = 30 * time.Second

// responseSink streams through net/http (HTTP/2, or when the connection
// cannot be taken over).
type responseSink struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	done <-chan struct{}
}

func newResponseSink(w http.ResponseWriter, r *http.Request) *responseSink {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &responseSink{w: w, rc: http.NewResponseController(w), done: r.Context().Done()}
}

func (s *responseSink) write(p []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every writer supports it
	if _, err := s.w.Write(p); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("sse: flush: %w", err)
	}
	return nil
}

func (s *responseSink) gone() <-chan struct{} { return s.done }
func (s *responseSink) end()                  {} // net/http ends the body when the handler returns
func (s *responseSink) close()                {}

// connSink streams on a connection taken over from net/http. It writes
// the response head itself and frames the body in chunks, as net/http
// would: the terminating chunk goes out only when every event was
// delivered, so a client can tell a cut stream (to resume with
// Last-Event-ID) from a finished one. The connection closes at the end of
// the stream. A one-byte read in a small goroutine notices at once when the
// client goes away.
type connSink struct {
	conn      net.Conn
	done      chan struct{}
	closeOnce sync.Once
	size      [16]byte // scratch for a chunk's size line
}

// streamHead is the response head; it ends with the Date header's name.
const streamHead = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/event-stream\r\n" +
	"Cache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\n" +
	"Transfer-Encoding: chunked\r\n" +
	"Connection: close\r\n" +
	"Date: "

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)

// hijackSink takes the connection over; ok is false when net/http cannot
// hand it over (then the stream stays in net/http). net/http's buffers are
// dropped: nothing of the request is left to read, and events go straight
// to the socket, one write each. The caller's pump ends at once when the
// client is already gone.
func hijackSink(w http.ResponseWriter) (sink *connSink, ok bool) {
	// A pipelined request left in the returned reader is never served:
	// the response says Connection: close.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	s := &connSink{conn: conn, done: make(chan struct{})}
	head := time.Now().UTC().AppendFormat([]byte(streamHead), http.TimeFormat)
	head = append(head, "\r\n\r\n"...)
	if err := s.writeRaw(head); err != nil {
		// The connection is ours but dead: writes will fail and end the stream.
		close(s.done)
		return s, true
	}
	go s.watch()
	return s, true
}

// watch waits for the client to close its side.
func (s *connSink) watch() {
	var b [1]byte
	for {
		if _, err := s.conn.Read(b[:]); err != nil {
			close(s.done)
			return
		}
	}
}

// write sends p as one chunk, in one system call on a TCP connection.
func (s *connSink) write(p []byte) error {
	if len(p) == 0 {
		return nil // an empty chunk would end the body
	}
	size := strconv.AppendInt(s.size[:0], int64(len(p)), 16)
	size = append(size, crlf...)
	bufs := net.Buffers{size, p, crlf}
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := bufs.WriteTo(s.conn); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	return nil
}

func (s *connSink) writeRaw(p []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := s.conn.Write(p); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	return nil
}

func (s *connSink) end() { _ = s.writeRaw(lastChunk) }

func (s *connSink) gone() <-chan struct{} { return s.done }

func (s *connSink) close() {
	s.closeOnce.Do(func() { s.conn.Close() })
}
