package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve, then shut down at once
	var log strings.Builder
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-nori"}, &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(log.String(), "listening") || !strings.Contains(log.String(), "nori=true") {
		t.Errorf("start-up log %q", log.String())
	}
	if err := run(context.Background(), []string{"-no-such-flag"}, io.Discard); err == nil {
		t.Error("run with an unknown flag succeeded")
	}
}
