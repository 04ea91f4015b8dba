package ragtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"ragchat/rag"
)

// Share is an in-memory rag.RunShare, for runners standing in for several
// server instances in one test. Fail, when set, is returned by every call.
type Share struct {
	mu       sync.Mutex
	logs     map[string][]rag.Event
	changed  chan struct{} // closed and replaced on every publish
	stops    []chan string
	followed map[string]time.Time // run id -> until
	alive    map[string]time.Time // run id -> until
	Fail     error
	// lostReplies counts Publish calls still to apply but answer with an
	// error, as when Redis's reply is lost (SetLostReplies).
	lostReplies int
}

var _ rag.RunShare = (*Share)(nil)

func (s *Share) init() {
	if s.logs == nil {
		s.logs = map[string][]rag.Event{}
		s.followed = map[string]time.Time{}
		s.alive = map[string]time.Time{}
		s.changed = make(chan struct{})
	}
}

func (s *Share) Publish(_ context.Context, runID string, events ...rag.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.Fail != nil {
		return s.Fail
	}
	for _, e := range events {
		if want := len(s.logs[runID]) + 1; e.Seq != want {
			return fmt.Errorf("ragtest share: run %s: seq %d, want %d", runID, e.Seq, want)
		}
		s.logs[runID] = append(s.logs[runID], e)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	if s.lostReplies > 0 {
		s.lostReplies--
		return fmt.Errorf("ragtest share: reply lost: %w", rag.ErrUnavailable)
	}
	return nil
}

// SetLostReplies makes the next n Publish calls store their events but
// report an error, as a timeout after Redis applied a command would.
func (s *Share) SetLostReplies(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lostReplies = n
}

func (s *Share) Read(ctx context.Context, runID string, after int, wait time.Duration) ([]rag.Event, bool, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		s.init()
		if s.Fail != nil {
			s.mu.Unlock()
			return nil, false, s.Fail
		}
		log, found := s.logs[runID]
		ch := s.changed
		var out []rag.Event
		if after < len(log) {
			out = append(out, log[max(after, 0):]...)
		}
		s.mu.Unlock()
		if !found || len(out) > 0 || wait <= 0 {
			return out, found, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, true, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

func (s *Share) RequestStop(_ context.Context, runID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	for _, ch := range s.stops {
		select {
		case ch <- runID:
		default:
		}
	}
	return nil
}

func (s *Share) StopRequests(ctx context.Context) (<-chan string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return nil, s.Fail
	}
	in := make(chan string, 16)
	out := make(chan string)
	s.stops = append(s.stops, in)
	go func() {
		defer close(out)
		for {
			select {
			case id := <-in:
				select {
				case out <- id:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (s *Share) Follow(_ context.Context, runID string, ttl time.Duration) error {
	return s.setUntil(followedRecords, runID, ttl)
}

func (s *Share) Followed(_ context.Context, runID string) (bool, error) {
	return s.current(followedRecords, runID)
}

func (s *Share) Heartbeat(_ context.Context, runID string, ttl time.Duration) error {
	return s.setUntil(aliveRecords, runID, ttl)
}

func (s *Share) Alive(_ context.Context, runID string) (bool, error) {
	return s.current(aliveRecords, runID)
}

// records picks one of a Share's expiring records (run id -> until).
type records func(*Share) map[string]time.Time

func followedRecords(s *Share) map[string]time.Time { return s.followed }
func aliveRecords(s *Share) map[string]time.Time    { return s.alive }

// setUntil records runID in which until ttl from now.
func (s *Share) setUntil(which records, runID string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.Fail != nil {
		return s.Fail
	}
	which(s)[runID] = time.Now().Add(ttl)
	return nil
}

// current reports whether runID's record in which is current.
func (s *Share) current(which records, runID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.Fail != nil {
		return false, s.Fail
	}
	return time.Now().Before(which(s)[runID]), nil
}

// SetFail makes every later call fail with err (nil: succeed again).
func (s *Share) SetFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Fail = err
}

// ErrShareDown is a failure a test can pass to SetFail.
var ErrShareDown = fmt.Errorf("ragtest share: down: %w", rag.ErrUnavailable)
