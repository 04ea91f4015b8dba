// Package takeback lets an http.Server take back a connection that one of
// its handlers took over (hijacked) once the handler is done with it, so
// that the client's next request on the connection is served as on any
// kept-alive connection. ragchat's event streams take their connections
// over to cost less while they wait; without this, every stream would end
// its connection, and a client that reused it would see its next request
// fail.
package takeback

import (
	"errors"
	"net"
	"sync"
)

// Listener is a net.Listener whose Accept also returns the connections
// given back with Return, in between the new ones.
type Listener struct {
	net.Listener
	returned chan net.Conn
	accepted chan accepted
	done     chan struct{}
	stop     sync.Once
	start    sync.Once
}

type accepted struct {
	conn net.Conn
	err  error
}

// Wrap returns a Listener over l.
func Wrap(l net.Listener) *Listener {
	return &Listener{
		Listener: l,
		returned: make(chan net.Conn),
		accepted: make(chan accepted),
		done:     make(chan struct{}),
	}
}

// Accept waits for a new or a returned connection.
func (l *Listener) Accept() (net.Conn, error) {
	l.start.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.returned:
		return c, nil
	case a := <-l.accepted:
		return a.conn, a.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *Listener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- accepted{c, err}:
		case <-l.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// Close stops accepting; connections returned after it are closed.
func (l *Listener) Close() error {
	l.stop.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Return gives a taken-over connection back to the server. read holds
// bytes already read from it that the server must see first (the start of
// the client's next request). The connection must have no deadlines set.
func (l *Listener) Return(c net.Conn, read []byte) {
	var prefix []byte
	if p, ok := c.(*prefixConn); ok { // given back before: wrap it once only
		prefix, c = p.prefix, p.Conn
	}
	prefix = append(prefix, read...)
	if len(prefix) > 0 {
		c = &prefixConn{Conn: c, prefix: prefix}
	}
	select {
	case l.returned <- c:
	case <-l.done:
		c.Close()
	}
}

// prefixConn reads its prefix before the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
