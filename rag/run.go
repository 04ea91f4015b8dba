package rag

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Run is one answer being generated, detached from the HTTP request that
// started it. Its events form an append-only log numbered from 1, so any
// number of subscribers can follow it and a reconnect can resume after the
// last event it saw without asking the generator again.
type Run struct {
	ID             string
	ConversationID string
	MessageID      string
	Lang           string
	Received       time.Time // when the request reached the server; timings count from here

	cancel context.CancelCauseFunc
	runner *Runner
	remote bool // a mirror of a run on another instance (RunnerConfig.Share)

	mu          sync.Mutex
	events      []Event
	changed     chan struct{} // closed and replaced on every append
	finished    bool
	startedAt   time.Time // when the start event was appended
	finishedAt  time.Time
	subscribers int
	idle        *time.Timer // cancels the run when nobody listens for the grace period
}

// Causes of a run's cancellation.
var (
	errStopped   = errors.New("stopped by the user")
	errAbandoned = errors.New("no subscriber for the grace period")
	errShutdown  = errors.New("server shutting down")
)

func (r *Run) append(e Event) Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return e // nothing may follow done or error
	}
	e.Seq = len(r.events) + 1
	if e.Seq == 1 {
		r.startedAt = time.Now()
	}
	r.events = append(r.events, e)
	if e.Final() {
		r.finished = true
		r.finishedAt = time.Now()
		if r.idle != nil {
			r.idle.Stop()
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
	return e
}

// Next returns the events after seq after. When there are none yet it
// returns a channel that is closed when more arrive. When the run has
// finished and every event was returned, both results are nil.
func (r *Run) Next(after int) ([]Event, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if after < 0 {
		after = 0
	}
	if after < len(r.events) {
		return r.events[after:len(r.events):len(r.events)], nil
	}
	if r.finished {
		return nil, nil
	}
	return nil, r.changed
}

// Finished reports whether the run has ended (done or error) and how many events it has.
func (r *Run) Finished() (finished bool, events int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished, len(r.events)
}

// Wait blocks until the run has finished or ctx ends.
func (r *Run) Wait(ctx context.Context) error {
	for {
		r.mu.Lock()
		fin, ch := r.finished, r.changed
		r.mu.Unlock()
		if fin {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Events returns a copy of the whole log so far.
func (r *Run) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Subscribe registers a listener; call the returned func when it leaves.
// While a run has no listener, a grace timer runs; when it fires the run is
// cancelled (and the upstream LLM request with it).
func (r *Run) Subscribe() (unsubscribe func()) {
	r.mu.Lock()
	r.subscribers++
	if r.idle != nil {
		r.idle.Stop()
	}
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.subscribers--
			if r.subscribers == 0 && !r.finished {
				r.startIdleLocked()
			}
		})
	}
}

func (r *Run) startIdleLocked() {
	if r.idle != nil {
		r.idle.Reset(r.runner.cfg.Grace)
		return
	}
	r.idle = time.AfterFunc(r.runner.cfg.Grace, func() {
		r.mu.Lock()
		abandoned := r.subscribers == 0 && !r.finished
		r.mu.Unlock()
		if abandoned && r.runner.followedElsewhere(r) {
			// A client follows it through another instance: wait again.
			r.mu.Lock()
			if r.subscribers == 0 && !r.finished {
				r.idle.Reset(r.runner.cfg.Grace)
			}
			r.mu.Unlock()
			return
		}
		if abandoned {
			r.cancel(errAbandoned)
		}
	})
}

// Stop cancels the run; its partial answer is kept and it ends with done,
// finish_reason "stopped". Stopping a finished run changes nothing. A
// mirror of another instance's run asks that instance to stop it.
func (r *Run) Stop() { r.cancel(errStopped) }

// Remote reports whether the run is another instance's, followed here
// through the RunShare.
func (r *Run) Remote() bool { return r.remote }

// subscribed reports whether anyone follows the run here.
func (r *Run) subscribed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.subscribers > 0
}
