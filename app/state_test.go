package app

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "ragchat/api/v1"
)

func TestParseEventID(t *testing.T) {
	tests := []struct {
		id   string
		run  string
		seq  uint64
		isOK bool
	}{
		{"run1:0", "run1", 0, true},
		{"r:u:n:42", "r:u:n", 42, true},
		{"01HXYZ:18446744073709551615", "01HXYZ", 18446744073709551615, true},
		{"", "", 0, false},
		{"run", "", 0, false},
		{":5", "", 0, false},
		{"run:", "", 0, false},
		{"run:-1", "", 0, false},
		{"run:1e3", "", 0, false},
	}
	for _, tt := range tests {
		run, seq, ok := parseEventID(tt.id)
		if run != tt.run || seq != tt.seq || ok != tt.isOK {
			t.Errorf("parseEventID(%q) = %q, %d, %v; want %q, %d, %v", tt.id, run, seq, ok, tt.run, tt.seq, tt.isOK)
		}
	}
}

func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"a:1", "a:b:2", ":", "x", "run:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		run, seq, ok := parseEventID(id)
		if !ok {
			return
		}
		if run == "" {
			t.Fatalf("%q: empty run accepted", id)
		}
		if again, seq2, ok2 := parseEventID(run + ":" + uitoa(seq)); !ok2 || again != run || seq2 != seq {
			t.Fatalf("%q does not round-trip: %q %d", id, again, seq2)
		}
	})
}

func uitoa(u uint64) string {
	b, _ := json.Marshal(u)
	return string(b)
}

// TestRunStateDropsReplays is the resume rule: after a reconnect, events at
// or below the last applied sequence are skipped, so no token is applied
// twice, and none is lost.
func TestRunStateDropsReplays(t *testing.T) {
	var s runState
	ids := []string{"r:1", "r:2", "r:3", "r:2", "r:3", "r:4", "", "r:4", "r:5", "other:1", "other:2"}
	var got []bool
	for _, id := range ids {
		got = append(got, s.fresh(id))
	}
	want := []bool{true, true, true, false, false, true, true, false, true, true, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fresh (-want +got):\n%s", diff)
	}
}

func event(t *testing.T, typ string, content any) v1.Event {
	t.Helper()
	b, err := json.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Event{Type: typ, Content: b}
}

func TestApplyEvents(t *testing.T) {
	src := []v1.Source{{N: 1, DocumentID: "d1", Title: "SSE", Snippet: "streams"}}
	evs := []v1.Event{
		event(t, v1.TypeStart, v1.Start{RunID: "run1", ConversationID: "c1", MessageID: "m2"}),
		event(t, v1.TypeStatus, v1.Status{Stage: "retrieving", Text: "문서 검색 중..."}),
		event(t, v1.TypeSources, src),
		event(t, v1.TypeStatus, v1.Status{Stage: "generating", Text: "답변 생성 중..."}),
		event(t, v1.TypeToken, "SSE"),
		event(t, v1.TypeToken, " streams [1]."),
		event(t, "future-type", map[string]int{"x": 1}),
		event(t, v1.TypeDone, v1.Done{FinishReason: "stop", Model: "fake-model", Timings: v1.Timings{TotalMS: 1234}}),
	}
	tr := turn{Role: roleAssistant, Status: statusStreaming}
	var conv string
	var ends []bool
	for _, e := range evs {
		end, c, err := applyEvent(&tr, e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if c != "" {
			conv = c
		}
		ends = append(ends, end)
	}
	want := turn{Role: roleAssistant, Status: statusComplete, Text: "SSE streams [1].", Sources: src,
		RunID: "run1", MessageID: "m2", Model: "fake-model", TotalMS: 1234}
	if diff := cmp.Diff(want, tr); diff != "" {
		t.Errorf("turn (-want +got):\n%s", diff)
	}
	if conv != "c1" {
		t.Errorf("conversation = %q", conv)
	}
	if diff := cmp.Diff([]bool{false, false, false, false, false, false, false, true}, ends); diff != "" {
		t.Errorf("ends (-want +got):\n%s", diff)
	}
}

func TestApplyEventEndings(t *testing.T) {
	tests := []struct {
		name string
		ev   v1.Event
		want turn
	}{
		{"stopped", event(t, v1.TypeDone, v1.Done{FinishReason: "stopped"}), turn{Text: "part", Status: statusStopped}},
		{"error", event(t, v1.TypeError, v1.Error{Code: "upstream_timeout", Message: "The model did not answer in time.", Retryable: true}),
			turn{Text: "part", Status: statusError, Err: "The model did not answer in time.", Retryable: true}},
		{"error without message", event(t, v1.TypeError, v1.Error{Code: "internal_error"}),
			turn{Text: "part", Status: statusError, Err: "internal_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := turn{Text: "part", Status: statusStreaming, Stage: "generating", Note: "..."}
			end, _, err := applyEvent(&tr, tt.ev)
			if err != nil || !end {
				t.Fatalf("end %v, err %v", end, err)
			}
			if diff := cmp.Diff(tt.want, tr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A start from a different run means the server began again: the old
// run's partial text must not be kept in front of the new one's.
func TestApplyEventNewRunReplacesText(t *testing.T) {
	tr := turn{Text: "old", RunID: "run1", Sources: []v1.Source{{N: 1}}}
	if _, _, err := applyEvent(&tr, event(t, v1.TypeStart, v1.Start{RunID: "run2"})); err != nil {
		t.Fatal(err)
	}
	if tr.Text != "" || tr.Sources != nil || tr.RunID != "run2" {
		t.Errorf("turn = %+v", tr)
	}
}

func TestApplyEventRejectsBadContent(t *testing.T) {
	for _, typ := range []string{v1.TypeStart, v1.TypeStatus, v1.TypeSources, v1.TypeToken, v1.TypeDone, v1.TypeError} {
		tr := turn{Text: "keep"}
		_, _, err := applyEvent(&tr, v1.Event{Type: typ, Content: json.RawMessage(`[1,`)})
		if err == nil {
			t.Errorf("%s: bad content accepted", typ)
		}
		if tr.Text != "keep" {
			t.Errorf("%s: turn changed by a bad event: %+v", typ, tr)
		}
	}
}

func TestTurnsFromDetail(t *testing.T) {
	d := v1.ConversationDetail{Messages: []v1.Message{
		{ID: "m1", Role: roleUser, Content: "Q1", Status: statusComplete},
		{ID: "m2", Role: roleAssistant, Content: "A1 [1]", Status: statusComplete, Sources: []v1.Source{{N: 1}}, Timings: &v1.Timings{TotalMS: 10}},
		{ID: "m3", Role: roleUser, Content: "Q2"},
		{ID: "m4", Role: roleAssistant, Status: statusError, RunID: "r2"},
	}}
	want := []turn{
		{Role: roleUser, Text: "Q1", Status: statusComplete, MessageID: "m1"},
		{Role: roleAssistant, Text: "A1 [1]", Status: statusComplete, Sources: []v1.Source{{N: 1}}, MessageID: "m2", Question: "Q1", TotalMS: 10},
		{Role: roleUser, Text: "Q2", Status: statusComplete, MessageID: "m3"},
		{Role: roleAssistant, Status: statusError, MessageID: "m4", RunID: "r2", Question: "Q2", Retryable: true},
	}
	if diff := cmp.Diff(want, turnsFromDetail(d)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUILang(t *testing.T) {
	tests := []struct {
		prefs []string
		want  string
	}{
		{[]string{"ko-KR", "en-US"}, langKO},
		{[]string{"ko"}, langKO},
		{[]string{"de-DE", "ko"}, langKO},
		{[]string{"en-GB", "ko"}, langEN},
		{[]string{"fr"}, langEN},
		{nil, langEN},
		{[]string{"kok"}, langEN}, // Konkani, not Korean
	}
	for _, tt := range tests {
		if got := uiLang(tt.prefs...); got != tt.want {
			t.Errorf("uiLang(%q) = %q, want %q", tt.prefs, got, tt.want)
		}
	}
}

func TestMessagesComplete(t *testing.T) {
	for k := msgKey(0); k < msgCount; k++ {
		if messages[k][0] == "" || messages[k][1] == "" {
			t.Errorf("message %d lacks a translation: %q", k, messages[k])
		}
	}
}
