package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	v1 "ragchat/api/v1"
	"ragchat/rag"
)

func TestParseLastEventID(t *testing.T) {
	tests := []struct {
		in     string
		want   lastEventID
		resume bool
		ok     bool
	}{
		{"", lastEventID{}, false, true},
		{"   ", lastEventID{}, false, true},
		{"abc123:7", lastEventID{"abc123", 7}, true, true},
		{" abc123:0 ", lastEventID{"abc123", 0}, true, true},
		{"abc123", lastEventID{}, false, false},
		{"abc123:", lastEventID{}, false, false},
		{":5", lastEventID{}, false, false},
		{"ABC:5", lastEventID{}, false, false},
		{"abc:-1", lastEventID{}, false, false},
		{"abc:+1", lastEventID{}, false, false},
		{"abc:01", lastEventID{}, false, false},
		{"abc:1:2", lastEventID{}, false, false},
		{"abc:99999999999999999999", lastEventID{}, false, false},
		{"zz:1", lastEventID{}, false, false},
	}
	for _, tt := range tests {
		got, resume, err := parseLastEventID(tt.in)
		if (err == nil) != tt.ok || resume != tt.resume || got != tt.want {
			t.Errorf("parseLastEventID(%q) = %+v, %v, %v; want %+v, %v, ok=%v", tt.in, got, resume, err, tt.want, tt.resume, tt.ok)
		}
	}
}

func FuzzParseLastEventID(f *testing.F) {
	for _, s := range []string{"", "abc:1", "0123456789abcdef01234567:42", "x:y", ":", "a:1\n", "a:٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, resume, err := parseLastEventID(s)
		if err != nil || !resume {
			return
		}
		// What parses must print back to itself (trimmed).
		if got := eventID(id.RunID, id.Seq); got != strings.TrimSpace(s) {
			t.Errorf("round trip of %q gave %q", s, got)
		}
	})
}

// parseSSE reads an event stream the way EventSource does (for the fields
// ragchat uses): id and data lines; comments and retry are skipped; an
// empty line ends an event.
type sseEvent struct {
	ID   string
	Data string
	Name string
}

func parseSSE(t testing.TB, body string) []sseEvent {
	var out []sseEvent
	var cur sseEvent
	var data []string
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil {
				cur.Data = strings.Join(data, "\n")
				out = append(out, cur)
			}
			cur, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			cur.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case strings.HasPrefix(line, "event:"):
			cur.Name = strings.TrimPrefix(line, "event:")
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return out
}

func FuzzSSEWriterToken(f *testing.F) {
	for _, s := range []string{"hello", "line\nbreak", "\r\n", "data: x", ": comment", "<script>", "한국어 토큰", "\x00", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		e := rag.Event{Seq: 3, Type: rag.EventToken, Token: tok}
		out, err := appendEvent(nil, eventID("abc", e.Seq), wireEvent(e))
		if err != nil {
			t.Fatal(err)
		}
		evs := parseSSE(t, string(out))
		if len(evs) != 1 {
			t.Fatalf("%d events from one write: %q", len(evs), out)
		}
		if evs[0].ID != "abc:3" || evs[0].Name != "" {
			t.Errorf("event = %+v", evs[0])
		}
		var got v1.TokenEvent
		if err := json.Unmarshal([]byte(evs[0].Data), &got); err != nil {
			t.Fatalf("data %q: %v", evs[0].Data, err)
		}
		// encoding/json replaces each invalid byte with U+FFFD.
		var want strings.Builder
		for i := 0; i < len(tok); {
			r, size := utf8.DecodeRuneInString(tok[i:])
			want.WriteRune(r)
			i += size
		}
		if got.Type != "token" || got.Content != want.String() {
			t.Errorf("decoded %+v, want token %q", got, want.String())
		}
	})
}

func TestHeartbeatIsAComment(t *testing.T) {
	if got := string(heartbeatComment); got != ": ping\n\n" {
		t.Errorf("heartbeat = %q", got)
	}
	if evs := parseSSE(t, string(heartbeatComment)+string(retryField(1000))); len(evs) != 0 {
		t.Errorf("a heartbeat became an event: %+v", evs)
	}
}

// recordingSink keeps every write, as a copy.
type recordingSink struct{ writes [][]byte }

func (r *recordingSink) write(p []byte) error {
	r.writes = append(r.writes, append([]byte(nil), p...))
	return nil
}
func (r *recordingSink) gone() <-chan struct{} { return nil }
func (r *recordingSink) end()                  {}
func (r *recordingSink) close()                {}

func TestWriteEvents(t *testing.T) {
	tokens := func(n int, tok string) []rag.Event {
		evs := make([]rag.Event, n)
		for i := range evs {
			evs[i] = rag.Event{Seq: i + 1, Type: rag.EventToken, Token: tok}
		}
		return evs
	}
	for _, tt := range []struct {
		name       string
		events     []rag.Event
		wantWrites int
	}{
		{"one event", tokens(1, "a"), 1},
		{"queued events go out together", tokens(3, "word "), 1},
		{"a long resume is split", tokens(2000, strings.Repeat("x", 100)), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want []byte
			for _, e := range tt.events {
				var err error
				if want, err = appendEvent(want, eventID("run", e.Seq), wireEvent(e)); err != nil {
					t.Fatal(err)
				}
			}
			sink := &recordingSink{}
			if err := writeEvents(sink, "run", tt.events); err != nil {
				t.Fatal(err)
			}
			if got := bytes.Join(sink.writes, nil); !bytes.Equal(got, want) {
				t.Fatalf("written bytes differ from the events encoded one by one (%d vs %d bytes)", len(got), len(want))
			}
			if tt.wantWrites > 0 && len(sink.writes) != tt.wantWrites {
				t.Errorf("%d writes, want %d", len(sink.writes), tt.wantWrites)
			}
			for i, w := range sink.writes {
				if len(w) > maxWriteBytes+1024 {
					t.Errorf("write %d is %d bytes, over the bound", i, len(w))
				}
				if !bytes.HasSuffix(w, []byte("\n\n")) {
					t.Errorf("write %d does not end at an event boundary", i)
				}
			}
			if tt.wantWrites == 0 && len(sink.writes) < 2 {
				t.Errorf("%d writes for %d bytes; want it split", len(sink.writes), len(want))
			}
		})
	}
}
