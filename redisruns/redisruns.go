// Package redisruns implements rag.RunShare on Redis, so that several server
// instances behind one load balancer can follow, resume and stop each
// other's runs.
//
// Key layout (prefix defaults to "ragchat"):
//
//	<prefix>:run:<runID>            stream: the run's events, one entry each, field "e" = event JSON
//	<prefix>:run:<runID>:followed   string "1" with a TTL: a client follows the run elsewhere
//	<prefix>:run:<runID>:owner      string "1" with a TTL: the run's owner is alive
//	<prefix>:run-stops              pub/sub channel: payload = id of a run to stop
//
// Every publish renews the stream's expiry, so a run's log stays for the
// retention after its last event and then disappears on its own.
//
// Entries get the explicit id 0-<seq> rather than a time-based one. The
// stream id then is the event's Seq, so "events after n" is the exclusive
// start "(0-n" of XRANGE and the start id "0-n" of XREAD, with no lookup
// from seq to id; and Redis itself rejects a seq that is not above the last
// one, which catches a duplicate or out-of-order publish. A blocking read that
// starts at 0-n also cannot miss an event published between the range
// query and the XREAD, as a read from "$" could.
package redisruns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"ragchat/rag"
)

// Options tunes a Share; the zero value is usable.
type Options struct {
	// Prefix namespaces the keys; "ragchat" when empty.
	Prefix string
	// Retention is how long a run's log stays after its last event; 10
	// minutes when zero.
	Retention time.Duration
}

const (
	defaultPrefix    = "ragchat"
	defaultRetention = 10 * time.Minute

	field     = "e"  // the stream entry field holding the event JSON
	readBatch = 1000 // most events one Read returns; the caller resumes after the last

	stopBuffer = 64
	// defaultPoolSize is the connection pool unless the URL sets
	// pool_size: room for this many followed runs' blocking reads besides
	// publishing.
	defaultPoolSize = 256
	// confirmTimeout bounds the wait for Redis to confirm a SUBSCRIBE.
	confirmTimeout = 5 * time.Second
	// unblockTimeout bounds the attempts to release a cancelled blocking read.
	unblockTimeout = 2 * time.Second
	// unsubscribeTimeout bounds the UNSUBSCRIBE when StopRequests ends, so
	// a dead Redis does not delay closing its channel.
	unsubscribeTimeout = time.Second
)

// errClosed is returned by calls on a closed Share.
var errClosed = fmt.Errorf("redisruns: share is closed: %w", rag.ErrUnavailable)

// Share is a rag.RunShare on one Redis. It is safe for concurrent use.
type Share struct {
	rdb       *redis.Client
	addr      string
	prefix    string
	retention time.Duration

	// ctx ends at Close, ending the goroutines below.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed against bg.Add racing bg.Wait
	closed bool
	bg     sync.WaitGroup // StopRequests forwarders, blocking reads, unblockers

	closeOnce sync.Once
	closeErr  error
}

var _ rag.RunShare = (*Share)(nil)

// New connects to the Redis at url (redis://[user:pass@]host:port/db, as
// redis.ParseURL accepts), checks it with PING and returns the share. Its
// errors name the address, never the password; an unreachable Redis gives
// an error wrapping rag.ErrUnavailable.
func New(ctx context.Context, url string, opts Options) (*Share, error) {
	if opts.Prefix == "" {
		opts.Prefix = defaultPrefix
	}
	if opts.Retention == 0 {
		opts.Retention = defaultRetention
	}
	if opts.Retention < time.Millisecond {
		return nil, fmt.Errorf("redisruns: retention %s: %w", opts.Retention, rag.ErrInvalid)
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisruns: Redis URL: %w", redactURLError(err, url))
	}
	// Honour callers' deadlines on the socket too, not only while waiting
	// for a pooled connection.
	ro.ContextTimeoutEnabled = true
	if !strings.Contains(url, "pool_size=") {
		// Every mirrored run holds a connection in a blocking read for up
		// to its wait; go-redis's default pool (10 per CPU) would make
		// publishing queue behind a few dozen followers.
		ro.PoolSize = max(ro.PoolSize, defaultPoolSize)
	}
	rdb := redis.NewClient(ro)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, wrap(err, "connect to Redis at %s", ro.Addr)
	}
	s := &Share{rdb: rdb, addr: ro.Addr, prefix: opts.Prefix, retention: opts.Retention}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close ends the share's subscriptions and blocking reads and closes its
// connections. Later calls return nil.
func (s *Share) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		// Closing the client closes connections in use too, which ends
		// blocked XREADs; only then can the goroutines be waited for.
		if err := s.rdb.Close(); err != nil {
			s.closeErr = fmt.Errorf("redisruns: close: %w", err)
		}
		s.bg.Wait()
	})
	return s.closeErr
}

// Ping checks that Redis answers, for readiness probes.
func (s *Share) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return wrap(err, "ping Redis at %s", s.addr)
	}
	return nil
}

// Publish appends events to the run's stream as entries 0-<Seq> and
// renews the stream's expiry, in one round trip. A Seq not above the last
// published one is an error wrapping Redis's; the events before it are
// published.
func (s *Share) Publish(ctx context.Context, runID string, events ...rag.Event) error {
	if err := checkRunID(runID); err != nil {
		return fmt.Errorf("redisruns: publish run %q: %w", runID, err)
	}
	if len(events) == 0 {
		return nil
	}
	data := make([][]byte, len(events))
	for i, e := range events {
		if e.Seq < 1 {
			// 0-0 is not a valid stream id; Seq counts from 1.
			return fmt.Errorf("redisruns: publish run %s: seq %d: %w", runID, e.Seq, rag.ErrInvalid)
		}
		var err error
		if data[i], err = json.Marshal(e); err != nil {
			return fmt.Errorf("redisruns: publish run %s seq %d: %w", runID, e.Seq, err)
		}
	}
	key := s.runKey(runID)
	adds := make([]*redis.StringCmd, len(events))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range events {
			adds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: entryID(e.Seq), Values: []any{field, data[i]}})
		}
		p.PExpire(ctx, key, s.retention)
		return nil
	})
	for i, add := range adds {
		if add.Err() != nil {
			return wrapCtx(ctx, add.Err(), "publish run %s seq %d", runID, events[i].Seq)
		}
	}
	if err != nil {
		return wrapCtx(ctx, err, "publish run %s", runID)
	}
	return nil
}

// Read returns the run's events after Seq after. When there are none yet
// and wait > 0 it blocks in XREAD for up to wait; cancelling ctx ends that
// wait at once.
func (s *Share) Read(ctx context.Context, runID string, after int, wait time.Duration) ([]rag.Event, bool, error) {
	if checkRunID(runID) != nil {
		return nil, false, nil // no run has such an id
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("redisruns: read run %s: %w", runID, err)
	}
	after = max(after, 0)
	key := s.runKey(runID)

	if wait <= 0 {
		msgs, found, _, err := s.head(ctx, s.rdb, key, after, false)
		if err != nil || !found {
			return nil, false, wrapCtx(ctx, err, "read run %s", runID)
		}
		return decode(runID, msgs)
	}

	// A blocking read needs a connection of its own whose client id is
	// known, so that a cancelled read can be released with CLIENT UNBLOCK:
	// go-redis does not interrupt a blocked command when ctx is cancelled,
	// it only applies deadlines.
	conn := s.rdb.Conn()
	msgs, found, clientID, err := s.head(ctx, conn, key, after, true)
	if err != nil || !found || len(msgs) > 0 {
		_ = conn.Close()
		if err != nil || !found {
			return nil, false, wrapCtx(ctx, err, "read run %s", runID)
		}
		return decode(runID, msgs)
	}

	type result struct {
		streams []redis.XStream
		err     error
	}
	done := make(chan result, 1)
	finished := make(chan struct{})
	started := s.goBG(func() {
		defer close(finished)
		defer conn.Close()
		streams, err := conn.XRead(ctx, &redis.XReadArgs{
			Streams: []string{key, entryID(after)},
			Count:   readBatch,
			Block:   blockFor(wait),
		}).Result()
		done <- result{streams, err}
	})
	if !started {
		_ = conn.Close()
		return nil, false, errClosed
	}
	select {
	case r := <-done:
		switch {
		case errors.Is(r.err, redis.Nil):
			return nil, true, nil // the wait ended without events
		case r.err != nil:
			return nil, false, wrapCtx(ctx, r.err, "read run %s", runID)
		}
		var msgs []redis.XMessage
		for _, st := range r.streams {
			msgs = append(msgs, st.Messages...)
		}
		return decode(runID, msgs)
	case <-ctx.Done():
		s.unblock(clientID, finished)
		return nil, false, fmt.Errorf("redisruns: read run %s: %w", runID, ctx.Err())
	}
}

type pipeliner interface {
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
}

// head asks, in one round trip, whether the run's stream exists and for
// the events after after (and, for a blocking read, the connection's
// client id).
func (s *Share) head(ctx context.Context, c pipeliner, key string, after int, withID bool) (msgs []redis.XMessage, found bool, clientID int64, err error) {
	var exists, id *redis.IntCmd
	var rng *redis.XMessageSliceCmd
	_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, key)
		rng = p.XRangeN(ctx, key, "("+entryID(after), "+", readBatch)
		if withID {
			id = p.ClientID(ctx)
		}
		return nil
	})
	if err != nil {
		if withID && id.Err() != nil && isRedisError(id.Err()) && exists.Err() == nil && rng.Err() == nil {
			// CLIENT ID is denied (ACL): the read still works, but a
			// cancelled one holds its connection until its wait ends.
			err = nil
		} else {
			return nil, false, 0, err
		}
	}
	if exists.Val() == 0 {
		return nil, false, 0, nil
	}
	if withID {
		clientID = id.Val()
	}
	return rng.Val(), true, clientID, nil
}

// unblock releases the blocking read of connection id after its caller
// gave up, so that the connection returns to the pool now rather than when
// the wait ends.
func (s *Share) unblock(id int64, finished <-chan struct{}) {
	if id == 0 {
		return
	}
	s.goBG(func() {
		ctx, cancel := context.WithTimeout(s.ctx, unblockTimeout)
		defer cancel()
		retry := time.NewTicker(20 * time.Millisecond)
		defer retry.Stop()
		for {
			// Sent on another connection, CLIENT UNBLOCK may overtake the
			// XREAD and find nothing to unblock (0): try again until the
			// read ends.
			n, err := s.rdb.ClientUnblock(ctx, id).Result()
			if n == 1 || (err != nil && isRedisError(err)) {
				return // unblocked, or not allowed (ACL): the read ends at its timeout
			}
			select {
			case <-finished:
				return
			case <-ctx.Done():
				return
			case <-retry.C:
			}
		}
	})
}

// RequestStop publishes runID on the stop channel, which every instance's
// StopRequests listens to.
func (s *Share) RequestStop(ctx context.Context, runID string) error {
	if err := s.rdb.Publish(ctx, s.stopChannel(), runID).Err(); err != nil {
		return wrapCtx(ctx, err, "request stop of run %s", runID)
	}
	return nil
}

// StopRequests subscribes to the stop channel and returns once Redis has
// confirmed the subscription, so no request published after it returns is
// missed. The channel is closed when ctx ends or the share closes.
func (s *Share) StopRequests(ctx context.Context) (<-chan string, error) {
	// Subscribe sends SUBSCRIBE but does not wait for the answer (nor
	// report its error); the first message received is the confirmation.
	ps := s.rdb.Subscribe(ctx, s.stopChannel())
	if err := confirm(ctx, ps); err != nil {
		_ = ps.Close()
		return nil, wrapCtx(ctx, err, "subscribe to stop requests")
	}
	// go-redis drops a message its channel cannot take within the send
	// timeout (a minute by default); a stop must not be lost, so it waits
	// for the forwarder instead.
	msgs := ps.Channel(redis.WithChannelSendTimeout(time.Duration(math.MaxInt64)))
	out := make(chan string, stopBuffer)
	started := s.goBG(func() {
		defer close(out)
		defer func() {
			uctx, cancel := context.WithTimeout(context.Background(), unsubscribeTimeout)
			_ = ps.Unsubscribe(uctx, s.stopChannel())
			cancel()
			_ = ps.Close()
			// Let go-redis's receiver finish a send it blocked in, so it
			// sees the close and exits.
			for range msgs {
			}
		}()
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return
				}
				select {
				case out <- m.Payload:
				case <-ctx.Done():
					return
				case <-s.ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			case <-s.ctx.Done():
				return
			}
		}
	})
	if !started {
		_ = ps.Close()
		return nil, errClosed
	}
	return out, nil
}

// confirm waits for Redis to confirm the subscription.
func confirm(ctx context.Context, ps *redis.PubSub) error {
	for {
		m, err := ps.ReceiveTimeout(ctx, confirmTimeout)
		if err != nil {
			return err
		}
		if sub, ok := m.(*redis.Subscription); ok && sub.Kind == "subscribe" {
			return nil
		}
	}
}

// Follow records for ttl that a client follows runID on another instance.
func (s *Share) Follow(ctx context.Context, runID string, ttl time.Duration) error {
	return s.setRecord(ctx, "follow", runID, s.followedKey, ttl)
}

// Followed reports whether a Follow of runID is current.
func (s *Share) Followed(ctx context.Context, runID string) (bool, error) {
	return s.record(ctx, "followed", runID, s.followedKey)
}

// Heartbeat records for ttl that runID's owner is alive.
func (s *Share) Heartbeat(ctx context.Context, runID string, ttl time.Duration) error {
	return s.setRecord(ctx, "heartbeat", runID, s.ownerKey, ttl)
}

// Alive reports whether a Heartbeat of runID is current.
func (s *Share) Alive(ctx context.Context, runID string) (bool, error) {
	return s.record(ctx, "alive", runID, s.ownerKey)
}

// setRecord sets a run's record (key) that expires after ttl.
func (s *Share) setRecord(ctx context.Context, what, runID string, key func(string) string, ttl time.Duration) error {
	if err := checkRunID(runID); err != nil {
		return fmt.Errorf("redisruns: %s of run %q: %w", what, runID, err)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("redisruns: %s of run %s: ttl %s: %w", what, runID, ttl, rag.ErrInvalid)
	}
	if err := s.rdb.Set(ctx, key(runID), "1", ttl).Err(); err != nil {
		return wrapCtx(ctx, err, "%s of run %s", what, runID)
	}
	return nil
}

// record reports whether a run's record (key) is current; an invalid run
// id has none.
func (s *Share) record(ctx context.Context, what, runID string, key func(string) string) (bool, error) {
	if checkRunID(runID) != nil {
		return false, nil
	}
	n, err := s.rdb.Exists(ctx, key(runID)).Result()
	if err != nil {
		return false, wrapCtx(ctx, err, "check %s of run %s", what, runID)
	}
	return n > 0, nil
}

// goBG runs f in a goroutine that Close waits for; false if the share is
// closed.
func (s *Share) goBG(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f()
	}()
	return true
}

func (s *Share) runKey(runID string) string      { return s.prefix + ":run:" + runID }
func (s *Share) followedKey(runID string) string { return s.runKey(runID) + ":followed" }
func (s *Share) ownerKey(runID string) string    { return s.runKey(runID) + ":owner" }
func (s *Share) stopChannel() string             { return s.prefix + ":run-stops" }

// checkRunID rejects ids that would make a key ambiguous: run "x:followed"
// would be the follow record of run "x".
func checkRunID(runID string) error {
	if runID == "" || strings.Contains(runID, ":") {
		return fmt.Errorf("run id must be non-empty without ':': %w", rag.ErrInvalid)
	}
	return nil
}

func entryID(seq int) string { return "0-" + strconv.Itoa(seq) }

// blockFor converts a wait to XREAD's BLOCK, which counts milliseconds and
// where 0 means forever: round up so a sub-millisecond wait stays finite.
func blockFor(wait time.Duration) time.Duration {
	return (wait + time.Millisecond - 1).Truncate(time.Millisecond)
}

func decode(runID string, msgs []redis.XMessage) ([]rag.Event, bool, error) {
	events := make([]rag.Event, 0, len(msgs))
	for _, m := range msgs {
		raw, ok := m.Values[field].(string)
		if !ok {
			return nil, false, fmt.Errorf("redisruns: read run %s: entry %s has no field %q", runID, m.ID, field)
		}
		var e rag.Event
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, false, fmt.Errorf("redisruns: read run %s: entry %s: %w", runID, m.ID, err)
		}
		events = append(events, e)
	}
	return events, true, nil
}

// wrapCtx is wrap, except that when ctx has ended the error is about that
// (the socket error it caused is incidental). nil stays nil.
func wrapCtx(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("redisruns: %s: %w", fmt.Sprintf(format, args...), cerr)
	}
	return wrap(err, format, args...)
}

// wrap adds context to err and marks failures to reach Redis (or a Redis
// that cannot serve now) with rag.ErrUnavailable.
func wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if unavailable(err) {
		return fmt.Errorf("redisruns: %s: %w: %w", what, rag.ErrUnavailable, err)
	}
	return fmt.Errorf("redisruns: %s: %w", what, err)
}

// unavailable reports whether err means Redis could not be reached or
// cannot serve for now, as opposed to rejecting the command.
func unavailable(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted):
		return true
	case isRedisError(err):
		return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsMasterDownError(err) ||
			redis.IsTryAgainError(err) || redis.IsClusterDownError(err) || redis.IsMaxClientsError(err) ||
			redis.IsOOMError(err) || redis.HasErrorPrefix(err, "BUSY")
	}
	// Everything else comes from dialling, the socket or the protocol.
	return true
}

// isRedisError reports whether err is an error reply of Redis (redis.Nil
// included) rather than a failure to talk to it.
func isRedisError(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

// redactURLError keeps the password of rawURL out of err: url.Parse's
// errors quote the whole URL.
func redactURLError(err error, rawURL string) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if pw := urlPassword(rawURL); pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

// urlPassword finds the password in a URL that may not parse.
func urlPassword(rawURL string) string {
	rest := rawURL
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	userinfo := rest[:at]
	if i := strings.Index(userinfo, "/"); i >= 0 {
		return "" // the @ is in the path, not in the authority
	}
	if _, pw, ok := strings.Cut(userinfo, ":"); ok {
		return pw
	}
	return ""
}
