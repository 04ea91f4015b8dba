package openai

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	cfg := Config{APIKey: secretKey, BaseURL: "http://llm:1/v1"}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	tests := []struct {
		name      string
		parent    context.Context
		err       error
		started   bool
		want      string
		transient bool
	}{
		{"dns", bg, &net.DNSError{Err: "no such host", Name: "llm"}, false, "unavailable", true},
		{"refused", bg, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, false, "unavailable", true},
		{"reset before response", bg, syscall.ECONNRESET, false, "unavailable", true},
		{"reset mid-stream", bg, syscall.ECONNRESET, true, "interrupted", true},
		{"unexpected EOF mid-stream", bg, io.ErrUnexpectedEOF, true, "interrupted", true},
		{"net timeout", bg, &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, true, "timeout", false},
		{"deadline", bg, context.DeadlineExceeded, false, "timeout", false},
		{"too many empty messages", bg, goopenai.ErrTooManyEmptyStreamMessages, true, "upstream", false},
		{"html 502", bg, &goopenai.RequestError{HTTPStatusCode: 502, Body: []byte("<html>" + secretKey)}, false, "unavailable", true},
		{"api 503", bg, &goopenai.APIError{HTTPStatusCode: 503, Message: "busy"}, false, "unavailable", true},
		{"api 422", bg, &goopenai.APIError{HTTPStatusCode: 422, Message: "bad"}, false, "upstream", false},
		{"mid-stream error line", bg, &goopenai.APIError{Message: "key " + secretKey}, true, "upstream", false},
		{"caller cancelled", cancelled, errors.New("whatever the transport said"), true, "canceled", false},
		{"anything else", bg, errors.New("weird"), true, "upstream", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cfg.classify("openai: test", tt.parent, tt.parent, tt.err, tt.started)
			if got := kindOf(err); got != tt.want {
				t.Errorf("kind = %q (%v), want %q", got, err, tt.want)
			}
			if transient(err) != tt.transient {
				t.Errorf("transient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
			if strings.Contains(err.Error(), secretKey) || strings.Contains(err.Error(), "<html>") {
				t.Errorf("error %q leaks the key or a raw body", err)
			}
		})
	}
}

func TestClean(t *testing.T) {
	cfg := Config{APIKey: "k3y"}
	long := strings.Repeat("한", 200)
	got := cfg.clean(long)
	if !strings.HasSuffix(got, "…") || len(got) > maxUpstreamMessage+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("clean(long) = %q", got)
	}
	if got := cfg.clean(" bad k3y "); got != "bad [redacted]" {
		t.Errorf("clean = %q", got)
	}
}
