package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
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
// Last-Event-ID) from a finished one. A one-byte read in a small goroutine
// notices at once when the client goes away. After a finished stream the
// connection goes back to the server (Conns), kept alive for the client's
// next request; without Conns it closes, and the head says Connection:
// close. (Node's fetch takes a dropped Connection: close response for a
// complete one, chunked or not: that is why it is not always said.)
type connSink struct {
	conn     net.Conn
	back     Conns  // nil: close the connection at the end
	buffered []byte // read by net/http beyond the request (pipelined)
	done     chan struct{}
	watching chan struct{} // closed when watch has returned
	ended    bool          // the terminating chunk was written

	mu       sync.Mutex
	early    []byte // read by watch: the start of the next request
	overflow bool   // more than maxEarly bytes arrived during the stream

	closeOnce sync.Once
	size      [16]byte // scratch for a chunk's size line
}

// Conns takes back connections that streams took over, once they end
// (takeback.Listener).
type Conns interface {
	Return(c net.Conn, read []byte)
}

// maxEarly bounds what a client may send during its stream and still get
// its connection kept (a pipelined request).
const maxEarly = 16 << 10

// streamHead is the response head up to the Date header's value.
const streamHead = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/event-stream\r\n" +
	"Cache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\n" +
	"Transfer-Encoding: chunked\r\n" +
	"Date: "

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)

// hijackSink takes the connection over; ok is false when net/http cannot
// hand it over (then the stream stays in net/http). net/http's buffers are
// dropped (what it read ahead is kept for the connection's next request),
// and events go straight to the socket, one write each. The caller's pump
// ends at once when the client is already gone.
func hijackSink(w http.ResponseWriter, back Conns) (sink *connSink, ok bool) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	s := &connSink{conn: conn, back: back, done: make(chan struct{}), watching: make(chan struct{})}
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		s.buffered = append([]byte(nil), b...)
	}
	head := time.Now().UTC().AppendFormat([]byte(streamHead), http.TimeFormat)
	if back == nil {
		head = append(head, "\r\nConnection: close"...)
	}
	head = append(head, "\r\n\r\n"...)
	if err := s.writeRaw(head); err != nil {
		// The connection is ours but dead: writes will fail and end the stream.
		close(s.done)
		close(s.watching)
		return s, true
	}
	go s.watch()
	return s, true
}

// watch waits for the client to close its side, keeping what it sends
// meanwhile (the start of its next request, once it has read the end of
// the stream). close stops it with a read deadline.
func (s *connSink) watch() {
	defer close(s.watching)
	var b [1]byte
	for {
		n, err := s.conn.Read(b[:])
		if n > 0 {
			s.mu.Lock()
			if len(s.early) < maxEarly {
				s.early = append(s.early, b[0])
			} else {
				s.overflow = true
			}
			s.mu.Unlock()
		}
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				close(s.done)
			}
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

func (s *connSink) end() { s.ended = s.writeRaw(lastChunk) == nil }

func (s *connSink) gone() <-chan struct{} { return s.done }

// close ends the stream: a finished one gives its connection back to the
// server, any other closes it.
func (s *connSink) close() {
	s.closeOnce.Do(func() {
		if !s.ended || s.back == nil {
			s.conn.Close()
			return
		}
		_ = s.conn.SetReadDeadline(time.Unix(1, 0)) // ends watch's read
		<-s.watching
		select {
		case <-s.done: // the client went away
			s.conn.Close()
			return
		default:
		}
		s.mu.Lock()
		read, overflow := append(s.buffered, s.early...), s.overflow
		s.mu.Unlock()
		if overflow || s.conn.SetDeadline(time.Time{}) != nil {
			s.conn.Close()
			return
		}
		s.back.Return(s.conn, read)
	})
}
