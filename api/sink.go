package api

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// eventSink is where a stream's bytes go: the net/http response, or the
// connection itself once taken over.
type eventSink interface {
	write(p []byte) error  // writes and flushes p
	gone() <-chan struct{} // closed when the client has gone away
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
func (s *responseSink) close()                {}

// connSink streams on a connection taken over from net/http. It writes
// the response head itself and closes the connection at the end of the
// stream (Connection: close delimits the body). A one-byte read in a small
// goroutine notices at once when the client goes away.
type connSink struct {
	conn      net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

const streamHead = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/event-stream\r\n" +
	"Cache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\n" +
	"Connection: close\r\n" +
	"\r\n"

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
	if err := s.write([]byte(streamHead)); err != nil {
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

func (s *connSink) write(p []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := s.conn.Write(p); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	return nil
}

func (s *connSink) gone() <-chan struct{} { return s.done }

func (s *connSink) close() {
	s.closeOnce.Do(func() { s.conn.Close() })
}
