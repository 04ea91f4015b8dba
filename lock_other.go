//go:build !unix

package main

// lockFile does nothing where flock is not available: there, running the
// server and ingest on one data directory at once is not detected.
func lockFile(dir, holder string) (release func() error, err error) {
	return func() error { return nil }, nil
}
