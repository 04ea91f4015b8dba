package takeback

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServerTakesBack serves a handler that hijacks the connection, writes
// a whole response itself and gives the connection back with the bytes it
// read ahead: the next requests on the connection, the first of them partly
// read by the handler, are served by the http.Server as usual.
func TestServerTakesBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(ln)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		// Read the start of the next request from the connection, as a
		// stream's watcher would (brw read nothing ahead: the client sends
		// it only after this response).
		if brw.Reader.Buffered() != 0 {
			t.Error("net/http read ahead")
		}
		start := make([]byte, 4)
		if _, err := io.ReadFull(conn, start); err != nil {
			t.Error(err)
			return
		}
		l.Return(conn, start)
	})
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	defer srv.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i, path := range []string{"/hijack", "/hijack", "/plain"} {
		if i == 0 {
			io.WriteString(conn, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d (%s): %v", i, path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{"/hijack": "hi", "/plain": "plain"}[path]
		if string(body) != want {
			t.Errorf("response %d (%s): %q, want %q", i, path, body, want)
		}
		if i+1 < 3 {
			// The next request goes out only after the response: the
			// handler reads its first 4 bytes before giving the
			// connection back.
			next := []string{"/hijack", "/plain"}[i]
			io.WriteString(conn, "GET "+next+" HTTP/1.1\r\nHost: x\r\n\r\n")
		}
	}
}

// TestReturnAfterClose closes connections returned once the listener is
// closed, instead of blocking.
func TestReturnAfterClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(ln)
	l.Close()
	server, client := net.Pipe()
	defer client.Close()
	done := make(chan struct{})
	go func() { l.Return(server, []byte("GET")); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Return blocked after Close")
	}
	if _, err := server.Write([]byte("x")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("returned connection still open after Close: %v", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("Accept after Close succeeded")
	}
}
