//go:build !js

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTypeScriptClient runs openapi/check/client.test.ts: a TypeScript
// client generated from the served document, compiled with tsc --strict,
// against the real server, its streams through a proxy that cuts them.
// The npm packages come from openapi/check/package-lock.json (make
// lint-openapi installs them; CI requires them).
func TestTypeScriptClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Node.js client")
	}
	dir := filepath.Join("openapi", "check")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the npm packages of %s are not installed (make lint-openapi installs them): %v", dir, err)
		}
		t.Skipf("run `make lint-openapi` first to install the npm packages of %s", dir)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node: %v", err)
	}
	base, _ := startServer(t, map[string]string{"RAGCHAT_GENERATOR": "extractive"})
	proxy := newCuttingProxy(t, strings.TrimPrefix(base, "http://"), 1500)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	npm := func(script string) {
		cmd := exec.CommandContext(ctx, "npm", "run", "--silent", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"RAGCHAT_SPEC="+base+"/openapi.json",
			"RAGCHAT_BASE="+base,
			"RAGCHAT_PROXY=http://"+proxy.addr,
			"REDOCLY_TELEMETRY=off",
			"REDOCLY_SUPPRESS_UPDATE_NOTICE=true",
			"NO_UPDATE_NOTIFIER=1",
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("npm run %s: %v\n%s", script, err, out)
		}
		t.Logf("npm run %s:\n%s", script, out)
	}
	npm("build")
	npm("client-test")
	// Both streams were cut at least once and resumed.
	if n := proxy.conns.Load(); n < 4 {
		t.Errorf("the proxy saw %d stream connections, want at least 4 (two streams, each cut)", n)
	}
}

// cuttingProxy forwards TCP connections to a server and drops each one
// after a budget of response bytes: a flaky network, below HTTP. A new
// stream gets the base budget; each resume of it (a request with
// Last-Event-ID) one more, so that every resume gets further.
type cuttingProxy struct {
	addr    string
	conns   atomic.Int64
	resumes atomic.Int64 // since the last new stream
}

func newCuttingProxy(t testing.TB, target string, budget int64) *cuttingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer client.Close()
				p.forward(client, target, budget)
			}()
		}
	}()
	return p
}

func (p *cuttingProxy) forward(client net.Conn, target string, budget int64) {
	br := bufio.NewReader(client)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	n := int64(1)
	if strings.Contains(strings.ToLower(head.String()), "\r\nlast-event-id:") {
		n += p.resumes.Add(1)
	} else {
		p.resumes.Store(0)
	}
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	io.WriteString(server, head.String())
	go io.Copy(server, br)
	from := bufio.NewReader(server)
	if _, err := io.CopyN(client, from, budget*n); err != nil {
		return
	}
	// Cut inside the next event's data, as a dropped connection mostly
	// would (data is most of the bytes). (A cut in the one byte between an
	// event's id line and its end would lose the event in
	// fetch-event-source, which takes an id before its event is whole.)
	const mark = "data: {"
	var window []byte
	for {
		c, err := from.ReadByte()
		if err != nil {
			return
		}
		client.Write([]byte{c})
		window = append(window, c)
		if len(window) > len(mark) {
			window = window[1:]
		}
		if string(window) == mark {
			if c, err := from.ReadByte(); err == nil {
				client.Write([]byte{c})
			}
			return
		}
	}
}
