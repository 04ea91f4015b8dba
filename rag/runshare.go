package rag

import (
	"context"
	"time"
)

// RunShare lets several server instances behind one load balancer follow,
// resume and stop each other's runs. The instance that runs an answer
// publishes its events; an instance asked about a run it does not have
// reads them, and a stop it receives goes to the run's owner. Without one
// (RunnerConfig.Share nil) runs are seen only by the instance that runs
// them. Package redisruns implements it on Redis Streams.
type RunShare interface {
	// Publish appends events (their Seq set, consecutive) to the run's
	// shared log. A runner calls it in order of Seq, one call at a time
	// per run.
	Publish(ctx context.Context, runID string, events ...Event) error
	// Read returns the run's events after Seq after, in order, waiting up
	// to wait for the first of them when there are none yet (0: do not
	// wait). found is false when no instance published the run (or its
	// log expired); then events is empty.
	Read(ctx context.Context, runID string, after int, wait time.Duration) (events []Event, found bool, err error)
	// RequestStop asks whichever instance runs runID to stop it.
	RequestStop(ctx context.Context, runID string) error
	// StopRequests delivers the ids of runs whose stop was requested (of
	// any instance) until ctx ends; the channel is closed then.
	StopRequests(ctx context.Context) (<-chan string, error)
	// Follow records that a client follows runID on another instance, for
	// ttl; Followed reports whether such a record is current. A run's
	// owner does not cancel a run that is followed elsewhere.
	Follow(ctx context.Context, runID string, ttl time.Duration) error
	Followed(ctx context.Context, runID string) (bool, error)
	// Heartbeat records that runID's owner is alive, for ttl; Alive
	// reports whether such a record is current. A run whose log has not
	// ended and whose owner is not alive died with its instance.
	Heartbeat(ctx context.Context, runID string, ttl time.Duration) error
	Alive(ctx context.Context, runID string) (bool, error)
}
