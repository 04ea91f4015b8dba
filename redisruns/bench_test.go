package redisruns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"ragchat/rag"
)

// benchShare opens a share on the Redis at RAGCHAT_TEST_REDIS_URL with a
// fresh prefix and a short retention, so the benchmark's keys expire.
func benchShare(b *testing.B) *Share {
	b.Helper()
	url := os.Getenv("RAGCHAT_TEST_REDIS_URL")
	if url == "" {
		b.Skip("RAGCHAT_TEST_REDIS_URL is not set")
	}
	var p [6]byte
	rand.Read(p[:])
	s, err := New(context.Background(), url, Options{Prefix: "bench-" + hex.EncodeToString(p[:]), Retention: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkPublish is the cost of sharing one token event, what a run pays
// per event with --redis-url (off the streaming path, but the start event
// is published before the run starts):
//
//	RAGCHAT_TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench . -benchtime 2000x ./redisruns/
func BenchmarkPublish(b *testing.B) {
	s := benchShare(b)
	ctx := context.Background()
	seq := 0
	for b.Loop() {
		seq++
		if err := s.Publish(ctx, "run", rag.Event{Seq: seq, Type: rag.EventToken, Token: "word "}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFollow is the delay from one instance publishing an event to
// another instance's blocked Read returning it: what a client following a
// run through another instance waits on top of the owner's stream.
func BenchmarkFollow(b *testing.B) {
	s := benchShare(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	// The run exists (a Read of an unknown run does not wait).
	if err := s.Publish(ctx, "run", rag.Event{Seq: 1, Type: rag.EventStart, Start: &rag.Start{RunID: "run"}}); err != nil {
		b.Fatal(err)
	}
	seq := 1
	for b.Loop() {
		seq++
		got := make(chan time.Time, 1)
		after := seq - 1
		go func() {
			evs, _, err := s.Read(ctx, "run", after, 5*time.Second)
			if err != nil || len(evs) == 0 {
				got <- time.Time{}
				return
			}
			got <- time.Now()
		}()
		time.Sleep(200 * time.Microsecond) // let the Read block first
		start := time.Now()
		if err := s.Publish(ctx, "run", rag.Event{Seq: seq, Type: rag.EventToken, Token: "word "}); err != nil {
			b.Fatal(err)
		}
		end := <-got
		if end.IsZero() {
			b.Fatal("the blocked Read returned nothing")
		}
		lat = append(lat, end.Sub(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}
