package auth

import (
	"sync"
	"time"
)

// throttle slows down password guessing: after freeFailures failed
// sign-ins for one key (an account or an IP) within forget, each further
// failure locks the key out for a doubling time, up to maxLockout.
type throttle struct {
	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	fails int
	last  time.Time
	until time.Time
}

const (
	freeFailures = 5
	firstLockout = 15 * time.Second
	maxLockout   = 15 * time.Minute
	forget       = time.Hour
	maxEntries   = 100_000
)

func newThrottle() *throttle { return &throttle{entries: map[string]*throttleEntry{}} }

// wait returns how long the longest-locked key must still wait (0: go).
func (t *throttle) wait(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		if e := t.entries[k]; e != nil && e.until.After(now) {
			d = max(d, e.until.Sub(now))
		}
	}
	return d
}

// fail counts a failed sign-in for each key.
func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) >= maxEntries {
		for k, e := range t.entries {
			if now.Sub(e.last) > forget {
				delete(t.entries, k)
			}
		}
	}
	for _, k := range keys {
		e := t.entries[k]
		if e == nil || now.Sub(e.last) > forget {
			e = &throttleEntry{}
			t.entries[k] = e
		}
		e.fails++
		e.last = now
		if n := e.fails - freeFailures; n >= 0 {
			lock := firstLockout << min(n, 10)
			e.until = now.Add(min(lock, maxLockout))
		}
	}
}

// reset forgets the failures of key (after a successful sign-in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.entries, key)
	t.mu.Unlock()
}
