//go:build !js

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "ragchat/api/v1"
	"ragchat/internal/fakellm"
)

// BenchmarkStreamOverhead measures the server's own share of a streamed
// answer: from sending the request to the first event and to the first
// token, with a fake LLM that answers at once (its own time is near zero).
// It reports p50 and p95.
//
//   - open=1: one stream at a time.
//
//   - open=100: a new stream while 99 others are open and receiving tokens
//     at an LLM's pace (20 tokens/s each, about 2,000 events/s in all).
//
//   - burst=100: 100 streams requested at the same instant; on 2 cores this
//     measures queueing as much as the server.
//
//   - shared/…: the same with --redis-url (RAGCHAT_TEST_REDIS_URL), where a
//     run's start event is published to Redis before the stream begins.
//
//     go test -run '^$' -bench StreamOverhead -benchtime 50x .
func BenchmarkStreamOverhead(b *testing.B) {
	for _, bc := range []struct {
		name       string
		background int
		burst      int
		shared     bool // with --redis-url (skipped without RAGCHAT_TEST_REDIS_URL)
	}{
		{"open=1", 0, 1, false},
		{"open=100", 99, 1, false},
		{"burst=100", 0, 100, false},
		{"shared/open=1", 0, 1, true},
		{"shared/burst=100", 0, 100, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := map[string]string{"RAGCHAT_LOG_LEVEL": "error", "RAGCHAT_LLM_IDLE_TIMEOUT": "10m"}
			if bc.shared {
				if env["RAGCHAT_REDIS_URL"] = os.Getenv(EnvRedisURL); env["RAGCHAT_REDIS_URL"] == "" {
					b.Skipf("%s is not set", EnvRedisURL)
				}
			}
			base, llm := startServer(b, env)
			addr := strings.TrimPrefix(base, "http://")
			var background []fakellm.Script
			for range bc.background {
				background = append(background, fakellm.Script{Tokens: slices.Repeat([]string{"tok "}, 2000), TokenDelay: 50 * time.Millisecond})
			}
			llm.QueueScripts(background...)
			llm.SetScript(fakellm.Script{Tokens: []string{"SSE ", "is ", "one-way [1]."}})
			for range bc.background {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				fmt.Fprintf(c, "GET /api/v1/chat/stream?message=What+is+SSE HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
				go io.Copy(io.Discard, c)
			}
			if bc.background > 0 {
				waitFor(b, func() bool { return llm.Active() >= bc.background }, "background streams did not start")
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bc.burst}}
			u := base + "/api/v1/chat/stream?" + url.Values{"message": {"What is SSE?"}}.Encode()
			var mu sync.Mutex
			var firstEvent, firstToken []time.Duration
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for range bc.burst {
					wg.Add(1)
					go func() {
						defer wg.Done()
						fe, ft, err := timeStream(client, u)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						firstEvent = append(firstEvent, fe)
						firstToken = append(firstToken, ft)
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			report(b, "first-event", firstEvent)
			report(b, "first-token", firstToken)
		})
	}
}

func timeStream(client *http.Client, u string) (firstEvent, firstToken time.Duration, err error) {
	start := time.Now()
	resp, err := client.Get(u)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		if firstEvent == 0 {
			firstEvent = time.Since(start)
		}
		if firstToken == 0 && strings.Contains(line, `"type":"token"`) {
			firstToken = time.Since(start)
		}
		if strings.Contains(line, `"type":"done"`) || strings.Contains(line, `"type":"error"`) {
			break
		}
	}
	if firstToken == 0 {
		return 0, 0, fmt.Errorf("no token in the stream")
	}
	return firstEvent, firstToken, sc.Err()
}

func report(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds())/1000, name+"-p95-ms")
}

// BenchmarkIdleStreamMemory opens many streams that follow one run whose
// LLM has stopped sending, and reports the server's heap and stack growth
// per open stream. The client side is raw TCP connections that read
// nothing, so its own cost (a few hundred bytes each) is included: the
// figure is an upper bound.
//
//	go test -run '^$' -bench IdleStreamMemory -benchtime 3x .
func BenchmarkIdleStreamMemory(b *testing.B) {
	const streams = 1000
	base, llm := startServer(b, map[string]string{"RAGCHAT_LOG_LEVEL": "error", "RAGCHAT_LLM_FIRST_TOKEN_TIMEOUT": "10m", "RAGCHAT_LLM_IDLE_TIMEOUT": "10m"})
	llm.SetScript(fakellm.Script{Tokens: []string{"x ", "y"}, Break: fakellm.BreakHang, BreakAfter: 1})
	first := streamGet(b, base, "What is SSE?", nil, nil)
	evs := readSSE(b, first.Body, func(e wireEvent) bool { return e.Type == "token" })
	runID := contentOf[v1.Start](b, evs[0]).RunID
	addr := strings.TrimPrefix(base, "http://")
	open := func(n int) []net.Conn {
		var conns []net.Conn
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /api/v1/chat/runs/%s/events HTTP/1.1\r\nHost: %s\r\n\r\n", runID, addr)
			conns = append(conns, c)
		}
		return conns
	}
	measure := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse
	}
	for range b.N {
		before := measure()
		conns := open(streams)
		time.Sleep(500 * time.Millisecond) // every request read and its stream opened
		after := measure()
		b.ReportMetric(float64(int64(after)-int64(before))/streams/1024, "KiB/stream")
		for _, c := range conns {
			c.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
}
