//go:build !js

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStreamFraming reads the stream as a client that knows only HTTP/1.1
// framing would (fetch-based SSE clients): a finished stream ends cleanly,
// one cut before its last event ends with an error, so the client knows to
// resume with Last-Event-ID instead of taking the partial answer as whole.
func TestStreamFraming(t *testing.T) {
	base, _ := startServer(t, map[string]string{"RAGCHAT_GENERATOR": "extractive"})
	addr := strings.TrimPrefix(base, "http://")
	request := fmt.Sprintf("GET /api/v1/chat/stream?message=What+is+SSE HTTP/1.1\r\nHost: %s\r\n\r\n", addr)

	t.Run("finished", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, request)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("Transfer-Encoding %q, want chunked", resp.TransferEncoding)
		}
		date, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil || time.Since(date).Abs() > time.Minute {
			t.Errorf("Date %q (%v), want the current time", resp.Header.Get("Date"), err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("a finished stream must end cleanly: %v", err)
		}
		if !bytes.HasPrefix(body, []byte("retry: ")) || !bytes.Contains(body, []byte(`"type":"done"`)) {
			t.Errorf("body does not look like a whole stream:\n%s", body)
		}
		// The connection stays open for the next request, as after any
		// response: a client that reuses it must not fail.
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		next, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("the next request on the stream's connection: %v", err)
		}
		next.Body.Close()
		if next.StatusCode != http.StatusOK {
			t.Errorf("the next request on the stream's connection: %d", next.StatusCode)
		}
	})

	t.Run("cut", func(t *testing.T) {
		// A proxy that passes the head and the first events, then drops
		// the connection, as a flaky network would.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			defer client.Close()
			server, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer server.Close()
			go io.Copy(server, client)
			io.CopyN(client, server, 400)
		}()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, request)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("reading a cut stream: %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
