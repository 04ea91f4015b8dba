package rag

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file connects a Runner to a RunShare: publishing this instance's
// runs, mirroring other instances' runs, and passing stops between them.

// publishRetries is how often publishing one event is tried before the
// run's shared log is given up (its followers elsewhere then get an error
// and reconnect, which reaches this instance only by chance).
const publishRetries = 3

// publish copies a run's events after the first next to the share, in
// order, until the final one, the events that queued up meanwhile in one
// call. It reads the run's own log, so appending never waits for Redis.
// It first renews the run's heartbeat, off the path of the start event.
func (r *Runner) publish(run *Run, next int) {
	defer r.wg.Done()
	r.heartbeat(run.ID)
	for {
		events, more := run.Next(next)
		if events == nil && more == nil {
			return
		}
		if more != nil {
			<-more // the run always ends (Close cancels it), so this returns
			continue
		}
		if err := r.publishEvents(run.ID, events); err != nil {
			r.cfg.Logger.Error("publish run events; other instances cannot follow this run", "run_id", run.ID, "seq", events[0].Seq, "err", err)
			return
		}
		next += len(events)
	}
}

func (r *Runner) publishEvents(runID string, events []Event) error {
	var err error
	for attempt := range publishRetries {
		// Not r.ctx: the final events of runs cancelled by Close must
		// still go out, so that followers elsewhere see the end. Short,
		// so a Redis outage delays shutdown by seconds, not minutes.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			// The failed attempt may have reached Redis after all: send
			// only what is missing (the share refuses a seq twice).
			if got, found, rerr := r.cfg.Share.Read(ctx, runID, events[0].Seq-1, 0); rerr == nil && found {
				events = events[min(len(got), len(events)):]
				if len(events) == 0 {
					cancel()
					return nil
				}
			}
		}
		err = r.cfg.Share.Publish(ctx, runID, events...)
		cancel()
		if err == nil {
			return nil
		}
	}
	return err
}

// mirror returns a Run that follows another instance's run through the
// share, or NotFound when no instance has it.
func (r *Runner) mirror(ctx context.Context, id string) (*Run, error) {
	events, found, err := r.cfg.Share.Read(ctx, id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("runner: find run %s on other instances: %w", id, err)
	}
	if !found || len(events) == 0 || events[0].Start == nil {
		return nil, NotFound("run_id", "no run %q (unknown, or finished too long ago)", id)
	}
	run := &Run{
		ID:             id,
		ConversationID: events[0].Start.ConversationID,
		MessageID:      events[0].Start.MessageID,
		Lang:           events[0].Start.Lang,
		Received:       time.Now(),
		remote:         true,
		runner:         r,
		changed:        make(chan struct{}),
	}
	run.cancel = func(cause error) {
		if !errors.Is(cause, errStopped) {
			return // grace and shutdown are the owner's business
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.cfg.Share.RequestStop(sctx, id); err != nil {
			r.cfg.Logger.Error("ask another instance to stop a run", "run_id", id, "err", err)
		}
	}
	if !r.appendRemote(run, events) {
		return run, nil
	}
	r.mu.Lock()
	if existing, ok := r.runs[id]; ok || r.closed {
		r.mu.Unlock()
		if ok {
			return existing, nil // another request mirrored it first
		}
		return nil, fmt.Errorf("runner: %w", ErrUnavailable)
	}
	r.runs[id] = run
	fin, _ := run.Finished()
	if !fin {
		r.wg.Add(1)
	}
	r.mu.Unlock()
	if fin {
		r.finish(run)
		return run, nil
	}
	go r.follow(run)
	return run, nil
}

// appendRemote appends events read from the share; it reports false, after
// ending the mirror with an error, when they do not continue its log.
func (r *Runner) appendRemote(run *Run, events []Event) bool {
	for _, e := range events {
		_, n := run.Finished()
		if e.Seq != n+1 {
			run.append(Event{Type: EventError, Error: &RunError{Code: CodeUnavailable, Message: localize(run.Lang, msgUnavailable), Retryable: true}})
			r.cfg.Logger.Error("shared run log has a gap", "run_id", run.ID, "want_seq", n+1, "got_seq", e.Seq)
			return false
		}
		run.append(e)
	}
	return true
}

// follow reads a mirrored run's new events until its final one. While
// someone follows it here it tells the owner so, which keeps the owner's
// grace timer from cancelling it.
func (r *Runner) follow(run *Run) {
	defer r.wg.Done()
	wait := min(5*time.Second, r.cfg.Grace/3)
	var failingSince time.Time
	defer func() {
		if fin, _ := run.Finished(); !fin {
			// Shut down, or the share is gone: end the mirror so its
			// clients reconnect (to an instance that can still follow).
			run.append(Event{Type: EventError, Error: &RunError{Code: CodeUnavailable, Message: localize(run.Lang, msgUnavailable), Retryable: true}})
		}
		r.finish(run)
	}()
	for {
		if run.subscribed() {
			if err := r.cfg.Share.Follow(r.ctx, run.ID, r.cfg.Grace); err != nil && r.ctx.Err() == nil {
				r.cfg.Logger.Warn("tell the owner a run is followed", "run_id", run.ID, "err", err)
			}
		}
		_, n := run.Finished()
		events, found, err := r.cfg.Share.Read(r.ctx, run.ID, n, wait)
		switch {
		case r.ctx.Err() != nil:
			return
		case err != nil:
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) > r.cfg.Grace {
				r.cfg.Logger.Error("follow another instance's run", "run_id", run.ID, "err", err)
				return
			}
			select {
			case <-time.After(500 * time.Millisecond):
			case <-r.ctx.Done():
				return
			}
			continue
		case !found:
			r.cfg.Logger.Error("another instance's run log expired while followed", "run_id", run.ID)
			return
		}
		failingSince = time.Time{}
		if len(events) == 0 && !r.ownerAlive(run.ID) {
			r.cfg.Logger.Warn("the instance running a followed run stopped without ending it", "run_id", run.ID)
			return // the deferred error event ends the mirror
		}
		if !r.appendRemote(run, events) {
			return
		}
		if fin, _ := run.Finished(); fin {
			return
		}
	}
}

// ownerBeat is how often a runner tells the share its runs are alive;
// ownerTTL how long one such record lasts. A mirror of a run whose owner
// died notices within ownerTTL plus one read wait.
const (
	ownerBeat = time.Second
	ownerTTL  = 3 * time.Second
)

// heartbeat records that this instance still runs runID.
func (r *Runner) heartbeat(runID string) {
	ctx, cancel := context.WithTimeout(r.ctx, time.Second)
	defer cancel()
	if err := r.cfg.Share.Heartbeat(ctx, runID, ownerTTL); err != nil && r.ctx.Err() == nil {
		r.cfg.Logger.Warn("heartbeat of a run", "run_id", runID, "err", err)
	}
}

// beat keeps the heartbeats of this instance's active runs current.
func (r *Runner) beat() {
	defer r.wg.Done()
	t := time.NewTicker(ownerBeat)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		var active []string
		for id, run := range r.runs {
			if fin, _ := run.Finished(); !fin && !run.remote {
				active = append(active, id)
			}
		}
		r.mu.Unlock()
		for _, id := range active {
			r.heartbeat(id)
		}
	}
}

// ownerAlive reports whether the instance that runs a mirrored run still
// does; when the share cannot tell, it assumes so.
func (r *Runner) ownerAlive(runID string) bool {
	ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
	defer cancel()
	alive, err := r.cfg.Share.Alive(ctx, runID)
	return alive || err != nil
}

// serveStops stops this instance's runs whose stop another instance asked for.
func (r *Runner) serveStops(stops <-chan string) {
	defer r.wg.Done()
	for id := range stops {
		r.mu.Lock()
		run, ok := r.runs[id]
		r.mu.Unlock()
		if ok && !run.remote {
			run.Stop()
		}
	}
}

// followedElsewhere reports whether a client follows run through another
// instance (false without a share, or when the share cannot tell).
func (r *Runner) followedElsewhere(run *Run) bool {
	if r.cfg.Share == nil || run.remote {
		return false
	}
	ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
	defer cancel()
	ok, err := r.cfg.Share.Followed(ctx, run.ID)
	if err != nil {
		r.cfg.Logger.Warn("ask whether a run is followed elsewhere", "run_id", run.ID, "err", err)
		return false
	}
	return ok
}
