package redisruns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"ragchat/rag"
)

// guard bounds every wait of these tests, so a bug fails them instead of
// hanging them.
const guard = 5 * time.Second

// testURL is the Redis the tests use; they skip without one.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("RAGCHAT_TEST_REDIS_URL")
	if u == "" {
		t.Skip("RAGCHAT_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0): skipping the tests that need a real Redis")
	}
	return u
}

// newTestShare returns a share on the test Redis under a fresh prefix
// (unless opts names one), and a plain client of the same Redis. Cleanup
// closes the share and deletes the prefix's keys.
func newTestShare(t *testing.T, opts Options) (*Share, *redis.Client) {
	t.Helper()
	u := testURL(t)
	if opts.Prefix == "" {
		var b [8]byte
		rand.Read(b[:])
		opts.Prefix = "test-" + hex.EncodeToString(b[:])
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	s, err := New(ctx, u, opts)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	raw := redis.NewClient(ro)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		iter := raw.Scan(ctx, 0, opts.Prefix+":*", 100).Iterator()
		for iter.Next(ctx) {
			raw.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clean up keys %s:*: %v", opts.Prefix, err)
		}
		raw.Close()
	})
	return s, raw
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

type readResult struct {
	events []rag.Event
	found  bool
	err    error
}

// readAsync runs Read in a goroutine.
func readAsync(ctx context.Context, s *Share, runID string, after int, wait time.Duration) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		events, found, err := s.Read(ctx, runID, after, wait)
		ch <- readResult{events, found, err}
	}()
	return ch
}

// within returns what ch delivers, failing the test if that takes longer
// than guard.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("%s: nothing within %s", what, guard)
		panic("unreachable")
	}
}

func publish(t *testing.T, s *Share, runID string, events ...rag.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Publish(ctxT(t), runID, e); err != nil {
			t.Fatal(err)
		}
	}
}

func token(seq int, text string) rag.Event {
	return rag.Event{Seq: seq, Type: rag.EventToken, Token: text}
}

func TestPublishRead(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	run := rag.NewID()
	events := []rag.Event{
		{Seq: 1, Type: rag.EventStart, Start: &rag.Start{RunID: run, ConversationID: "c1", MessageID: "m1"}},
		token(2, "Hel"),
		token(3, "lo"),
	}
	publish(t, s, run, events...)

	for _, tc := range []struct {
		after int
		want  []rag.Event
	}{
		{after: 0, want: events},
		{after: -1, want: events},
		{after: 2, want: events[2:]},
		{after: 3, want: nil},
	} {
		got, found, err := s.Read(ctxT(t), run, tc.after, 0)
		if err != nil || !found {
			t.Fatalf("Read(after=%d) = found %v, err %v; want found", tc.after, found, err)
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Read(after=%d) (-want +got):\n%s", tc.after, diff)
		}
	}
}

func TestReadUnknownRun(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	for _, tc := range []struct {
		name, run string
		wait      time.Duration
	}{
		{"no wait", rag.NewID(), 0},
		{"wait", rag.NewID(), time.Minute}, // not found: does not wait
		{"impossible id", "a:followed", 0},
		{"empty id", "", 0},
	} {
		r := within(t, readAsync(ctxT(t), s, tc.run, 0, tc.wait), tc.name)
		if r.err != nil || r.found || len(r.events) > 0 {
			t.Errorf("%s: Read = %v, found %v, err %v; want not found", tc.name, r.events, r.found, r.err)
		}
	}
}

func TestReadWait(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})

	t.Run("event arrives", func(t *testing.T) {
		run := rag.NewID()
		publish(t, s, run, token(1, "a"))
		res := readAsync(ctxT(t), s, run, 1, time.Minute)
		// Not needed for correctness: only makes it likely that the read
		// is already blocked in XREAD when the event comes.
		time.Sleep(100 * time.Millisecond)
		publish(t, s, run, token(2, "b"))
		r := within(t, res, "Read")
		if r.err != nil || !r.found {
			t.Fatalf("Read = found %v, err %v", r.found, r.err)
		}
		if diff := cmp.Diff([]rag.Event{token(2, "b")}, r.events); diff != "" {
			t.Errorf("Read (-want +got):\n%s", diff)
		}
	})

	t.Run("nothing arrives", func(t *testing.T) {
		run := rag.NewID()
		publish(t, s, run, token(1, "a"))
		r := within(t, readAsync(ctxT(t), s, run, 1, 200*time.Millisecond), "Read")
		if r.err != nil || !r.found || len(r.events) > 0 {
			t.Errorf("Read = %v, found %v, err %v; want no events, found", r.events, r.found, r.err)
		}
	})

	t.Run("sub-millisecond wait", func(t *testing.T) {
		// XREAD BLOCK 0 would block forever.
		run := rag.NewID()
		publish(t, s, run, token(1, "a"))
		r := within(t, readAsync(ctxT(t), s, run, 1, time.Microsecond), "Read")
		if r.err != nil || !r.found || len(r.events) > 0 {
			t.Errorf("Read = %v, found %v, err %v; want no events, found", r.events, r.found, r.err)
		}
	})
}

func TestReadCancel(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	run := rag.NewID()
	publish(t, s, run, token(1, "a"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := readAsync(ctx, s, run, 1, time.Minute)
	time.Sleep(100 * time.Millisecond) // let it block (not needed for correctness)
	cancel()
	r := within(t, res, "Read after cancel")
	if !errors.Is(r.err, context.Canceled) || r.found || len(r.events) > 0 {
		t.Errorf("Read = %v, found %v, err %v; want an error wrapping context.Canceled", r.events, r.found, r.err)
	}

	// The blocked XREAD is released (CLIENT UNBLOCK) rather than holding
	// its connection for the minute it asked to wait.
	done := make(chan struct{})
	go func() {
		s.bg.Wait()
		close(done)
	}()
	within(t, done, "release of the cancelled XREAD")
}

func TestCloseEndsBlockedRead(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	run := rag.NewID()
	publish(t, s, run, token(1, "a"))
	res := readAsync(context.Background(), s, run, 1, time.Minute)
	time.Sleep(100 * time.Millisecond) // let it block (not needed for correctness)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	if err := within(t, closed, "Close"); err != nil {
		t.Errorf("Close: %v", err)
	}
	r := within(t, res, "Read after Close")
	if !errors.Is(r.err, rag.ErrUnavailable) {
		t.Errorf("Read after Close = %v, found %v, err %v; want an error wrapping rag.ErrUnavailable", r.events, r.found, r.err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPublishRejects(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	for _, tc := range []struct {
		name        string
		run         string
		seqs        []int // all but the last succeed
		wantRedis   bool  // the error wraps Redis's answer
		wantInvalid bool
	}{
		{name: "duplicate", run: rag.NewID(), seqs: []int{1, 2, 2}, wantRedis: true},
		{name: "older", run: rag.NewID(), seqs: []int{1, 3, 2}, wantRedis: true},
		{name: "zero", run: rag.NewID(), seqs: []int{0}, wantInvalid: true},
		{name: "bad run id", run: "a:b", seqs: []int{1}, wantInvalid: true},
	} {
		last := len(tc.seqs) - 1
		for _, seq := range tc.seqs[:last] {
			publish(t, s, tc.run, token(seq, "x"))
		}
		err := s.Publish(ctxT(t), tc.run, token(tc.seqs[last], "x"))
		if err == nil {
			t.Errorf("%s: Publish of seq %d succeeded", tc.name, tc.seqs[last])
			continue
		}
		if !strings.Contains(err.Error(), "redisruns: publish run") {
			t.Errorf("%s: error %q lacks its context", tc.name, err)
		}
		var rerr redis.Error
		if tc.wantRedis && (!errors.As(err, &rerr) || !strings.Contains(rerr.Error(), "equal or smaller")) {
			t.Errorf("%s: error %q does not wrap Redis's", tc.name, err)
		}
		if tc.wantInvalid != errors.Is(err, rag.ErrInvalid) {
			t.Errorf("%s: error %q: wraps rag.ErrInvalid = %v, want %v", tc.name, err, !tc.wantInvalid, tc.wantInvalid)
		}
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	const retention = 30 * time.Second
	s, raw := newTestShare(t, Options{Retention: retention})
	run := rag.NewID()
	publish(t, s, run, token(1, "a"))
	ttl, err := raw.PTTL(ctxT(t), s.runKey(run)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > retention {
		t.Errorf("PTTL of the run's stream = %s, want in (0, %s]", ttl, retention)
	}
}

func TestStopRequests(t *testing.T) {
	t.Parallel()
	// Two instances sharing one Redis and prefix.
	a, _ := newTestShare(t, Options{})
	b, _ := newTestShare(t, Options{Prefix: a.prefix})

	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var subs []<-chan string
	for _, s := range []*Share{a, b} {
		ch, err := s.StopRequests(ctx)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, ch)
	}

	run := rag.NewID()
	if err := a.RequestStop(ctxT(t), run); err != nil {
		t.Fatal(err)
	}
	for i, ch := range subs {
		if got := within(t, ch, "stop request"); got != run {
			t.Errorf("subscriber %d got %q, want %q", i, got, run)
		}
	}

	cancel()
	for i, ch := range subs {
		closed := make(chan struct{})
		go func() {
			for range ch {
			}
			close(closed)
		}()
		within(t, closed, "close of stop channel "+string(rune('0'+i)))
	}
}

// TestTTLRecords covers the two records that expire: a follower elsewhere
// (Follow, Followed) and the owner's heartbeat (Heartbeat, Alive).
func TestTTLRecords(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	for _, rec := range []struct {
		name  string
		set   func(ctx context.Context, runID string, ttl time.Duration) error
		check func(ctx context.Context, runID string) (bool, error)
	}{
		{"follow", s.Follow, s.Followed},
		{"heartbeat", s.Heartbeat, s.Alive},
	} {
		t.Run(rec.name, func(t *testing.T) {
			t.Parallel()
			run := rag.NewID()
			current := func() bool {
				t.Helper()
				ok, err := rec.check(ctxT(t), run)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if current() {
				t.Fatal("current before it was set")
			}
			if err := rec.set(ctxT(t), run, time.Minute); err != nil {
				t.Fatal(err)
			}
			if !current() {
				t.Fatal("not current after it was set")
			}
			// A short ttl replaces the long one and runs out.
			if err := rec.set(ctxT(t), run, 200*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(guard); current(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("still current %s after a ttl of 200ms", guard)
				}
			}
			if err := rec.set(ctxT(t), run, 0); !errors.Is(err, rag.ErrInvalid) {
				t.Errorf("ttl 0 = %v, want rag.ErrInvalid", err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	run := rag.NewID()
	events := []rag.Event{
		{Seq: 1, Type: rag.EventStart, Start: &rag.Start{RunID: run, ConversationID: "conv", MessageID: "msg"}},
		{Seq: 2, Type: rag.EventStatus, Status: &rag.Status{Stage: rag.StageRetrieving, Text: "문서를 찾는 중…"}},
		{Seq: 3, Type: rag.EventSources, Sources: []rag.Source{
			{N: 1, DocumentID: "d1", ChunkID: "c1", Title: "One", URL: "https://example.com/1?a=b&c=d", Snippet: "first \"quoted\"\nline", Score: 0.875},
			{N: 2, DocumentID: "d2", ChunkID: "c2", Title: "Two", Snippet: "second", Score: 0.5},
		}},
		{Seq: 4, Type: rag.EventToken, Token: "Hello <b>&</b> 世界\t\n"},
		{Seq: 5, Type: rag.EventDone, Done: &rag.Done{
			FinishReason: rag.FinishStop, Cited: []int{1, 2}, Model: "m",
			Usage:       rag.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
			Timings:     rag.Timings{FirstEventMS: 1.5, RetrievalMS: 20.25, FirstTokenMS: 30, TotalMS: 99.125},
			SearchQuery: "rewritten query",
		}},
		{Seq: 6, Type: rag.EventError, Error: &rag.RunError{Code: rag.CodeUpstream, Message: "the model failed", Retryable: true}},
	}
	publish(t, s, run, events...)
	got, found, err := s.Read(ctxT(t), run, 0, 0)
	if err != nil || !found {
		t.Fatalf("Read = found %v, err %v", found, err)
	}
	if diff := cmp.Diff(events, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

func TestReadBadEntry(t *testing.T) {
	t.Parallel()
	s, raw := newTestShare(t, Options{})
	for _, tc := range []struct {
		name   string
		values []any
	}{
		{"bad json", []any{"e", "{not json"}},
		{"no event field", []any{"x", "y"}},
	} {
		run := rag.NewID()
		if err := raw.XAdd(ctxT(t), &redis.XAddArgs{Stream: s.runKey(run), ID: "0-1", Values: tc.values}).Err(); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Read(ctxT(t), run, 0, 0)
		if err == nil || !strings.Contains(err.Error(), run) || !strings.Contains(err.Error(), "0-1") {
			t.Errorf("%s: Read error = %v, want one naming run %s and entry 0-1", tc.name, err, run)
		}
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	s, _ := newTestShare(t, Options{})
	if err := s.Ping(ctxT(t)); err != nil {
		t.Error(err)
	}
}

// TestNewErrors needs no Redis.
func TestNewErrors(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw"
	for _, tc := range []struct {
		name, url       string
		wantUnavailable bool
		wantInMessage   string
	}{
		{name: "bad port", url: "redis://user:" + password + "@127.0.0.1:notaport/0"},
		{name: "bad scheme", url: "http://user:" + password + "@127.0.0.1:6379/0"},
		{name: "bad db", url: "redis://user:" + password + "@127.0.0.1:6379/notadb"},
		{name: "bad character", url: "redis://user:" + password + "@127.0.0.1:6379/0\x7f"},
		{name: "password only", url: "redis://:" + password + "@127.0.0.1:notaport"},
		{name: "unreachable", url: "redis://user:" + password + "@127.0.0.1:1/0", wantUnavailable: true, wantInMessage: "127.0.0.1:1"},
	} {
		s, err := New(ctxT(t), tc.url, Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: New succeeded", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		if strings.Contains(err.Error(), password) {
			t.Errorf("%s: error %q shows the password", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.wantInMessage) {
			t.Errorf("%s: error %q does not name %q", tc.name, err, tc.wantInMessage)
		}
		if errors.Is(err, rag.ErrUnavailable) != tc.wantUnavailable {
			t.Errorf("%s: error %q: wraps rag.ErrUnavailable = %v, want %v", tc.name, err, !tc.wantUnavailable, tc.wantUnavailable)
		}
	}
}
