package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
)

// maxReconnects is how many reconnection attempts in a row, with no event
// in between, the page lets EventSource make before it gives up.
const maxReconnects = 3

// stopGrace is how long the page waits for the server's done event after
// asking it to stop, before it ends the run on its own.
const stopGrace = 5 * time.Second

// ask sends question q over the page's transport and appends its turns.
func (c *chat) ask(ctx app.Context, q string) {
	c.turns = append(c.turns,
		turn{Role: roleUser, Text: q, Status: statusComplete},
		turn{Role: roleAssistant, Status: statusStreaming, Question: q, Stage: "retrieving", Note: tr(c.lang, msgSearching)},
	)
	r := &activeRun{idx: len(c.turns) - 1, question: q}
	c.run = r
	c.status, c.stage = tr(c.lang, msgSearching), "retrieving"
	if c.transport == transportSSE {
		c.openStream(ctx, r, streamURL(q, c.conversationID, c.lang), false)
	} else {
		c.postChat(ctx, r, v1.ChatRequest{Message: q, ConversationID: c.conversationID, Lang: c.lang})
	}
	c.scrollToEnd(ctx, true)
}

// streamURL is the EventSource URL for a question.
func streamURL(q, conversationID, lang string) string {
	v := url.Values{"message": {q}}
	if conversationID != "" {
		v.Set("conversation_id", conversationID)
	}
	if lang != "" {
		v.Set("lang", lang)
	}
	return "/api/v1/chat/stream?" + v.Encode()
}

// sseConn is one EventSource and the events its callbacks queued.
//
// The callbacks run on the JS event loop and must not block: they append
// to pending and schedule at most one drain on the UI goroutine, so a fast
// stream costs one Dispatch per frame, not one per token.
type sseConn struct {
	es    app.Value
	funcs []app.Func

	mu        sync.Mutex
	pending   []sseEvent
	scheduled bool

	errors int  // errors in a row with no event in between
	follow bool // following a stored run: the replay rewrites its text
}

type sseEventKind uint8

const (
	sseMessage sseEventKind = iota
	sseOpen
	sseError
)

type sseEvent struct {
	kind       sseEventKind
	id, data   string
	readyState int // at an error: 0 reconnecting, 2 closed for good
}

// openStream starts an EventSource on u for run r. The server sends no
// event names, so onmessage sees every event; heartbeats are comments and
// never reach it.
func (c *chat) openStream(ctx app.Context, r *activeRun, u string, follow bool) {
	es := app.Window().Get("EventSource").New(u)
	s := &sseConn{es: es, follow: follow}
	r.sse = s
	push := func(ev sseEvent) {
		s.mu.Lock()
		s.pending = append(s.pending, ev)
		schedule := !s.scheduled
		s.scheduled = true
		s.mu.Unlock()
		if schedule {
			ctx.Dispatch(func(ctx app.Context) { c.drain(ctx, r) })
		}
	}
	onMessage := app.FuncOf(func(_ app.Value, args []app.Value) any {
		e := args[0]
		push(sseEvent{kind: sseMessage, id: e.Get("lastEventId").String(), data: e.Get("data").String()})
		return nil
	})
	onOpen := app.FuncOf(func(app.Value, []app.Value) any {
		push(sseEvent{kind: sseOpen})
		return nil
	})
	onError := app.FuncOf(func(app.Value, []app.Value) any {
		push(sseEvent{kind: sseError, readyState: es.Get("readyState").Int()})
		return nil
	})
	es.Set("onmessage", onMessage)
	es.Set("onopen", onOpen)
	es.Set("onerror", onError)
	s.funcs = []app.Func{onMessage, onOpen, onError}
}

// close closes the EventSource and frees its callbacks.
func (s *sseConn) close() {
	if s == nil || s.es == nil {
		return
	}
	s.es.Call("close")
	s.es.Set("onmessage", nil)
	s.es.Set("onopen", nil)
	s.es.Set("onerror", nil)
	for _, f := range s.funcs {
		f.Release()
	}
	s.es, s.funcs = nil, nil
}

// drain applies the queued events of r's stream, in order.
func (c *chat) drain(ctx app.Context, r *activeRun) {
	s := r.sse
	s.mu.Lock()
	evs := s.pending
	s.pending, s.scheduled = nil, false
	s.mu.Unlock()
	if r != c.run || r.ended {
		return
	}
	for _, ev := range evs {
		if r.ended {
			break
		}
		switch ev.kind {
		case sseOpen:
			s.errors = 0
		case sseError:
			if ev.readyState == 2 {
				c.streamFailed(ctx, r)
				return
			}
			s.errors++
			if s.errors >= maxReconnects {
				c.streamFailed(ctx, r)
				return
			}
			c.status = tr(c.lang, msgReconnecting)
		case sseMessage:
			s.errors = 0
			if !r.state.fresh(ev.id) {
				continue // already applied before the reconnect
			}
			var e v1.Event
			if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
				app.Logf("ragchat: undecodable stream event %q: %v", ev.id, err)
				continue
			}
			c.applyStreamEvent(ctx, r, e)
		}
	}
	c.scrollToEnd(ctx, false)
}

func (c *chat) applyStreamEvent(ctx app.Context, r *activeRun, e v1.Event) {
	t := &c.turns[r.idx]
	if r.sse.follow {
		// Following a stored run: a replay from its start rewrites the
		// stored text; events after it continue it.
		if e.Type == v1.TypeStart {
			t.Text, t.Sources = "", nil
		}
		r.sse.follow = false
	}
	end, conv, err := applyEvent(t, e)
	if err != nil {
		app.Logf("ragchat: %v", err)
		return
	}
	if conv != "" && conv != c.conversationID {
		c.setConversation(ctx, conv)
	}
	if t.Note != "" {
		c.status, c.stage = t.Note, t.Stage
	}
	if e.Type == v1.TypeStart && r.stopSent {
		c.sendStop(ctx, r) // Stop was pressed before the run had an id
	}
	if end {
		c.endRun(ctx, r)
	}
}

// streamFailed handles an EventSource that closed for good, or kept failing
// to reconnect, before done.
func (c *chat) streamFailed(ctx app.Context, r *activeRun) {
	r.sse.close()
	t := c.turns[r.idx]
	if c.conversationID != "" && t.MessageID != "" {
		// The run started: the server may have finished it (a reconnect after
		// done gets 204). Its stored message is the answer.
		conv, msgID := c.conversationID, t.MessageID
		ctx.Async(func() {
			var d v1.ConversationDetail
			err := getJSON(context.Background(), "/api/v1/conversations/"+url.PathEscape(conv), &d)
			ctx.Dispatch(func(ctx app.Context) {
				if r != c.run || r.ended {
					return
				}
				c.noteReachable(err)
				if err == nil {
					for _, m := range d.Messages {
						if m.ID == msgID && m.Status != statusStreaming {
							tt := &c.turns[r.idx]
							tt.Text, tt.Sources, tt.Status = m.Content, m.Sources, m.Status
							if m.Status == statusError {
								tt.Retryable = true
							}
							c.endRun(ctx, r)
							return
						}
					}
				}
				c.failRun(ctx, r, err)
			})
		})
		return
	}
	ctx.Async(func() {
		err := getJSON(context.Background(), "/healthz", nil)
		ctx.Dispatch(func(ctx app.Context) {
			if r != c.run || r.ended {
				return
			}
			c.noteReachable(err)
			c.failRun(ctx, r, err)
		})
	})
}

// postChat asks over REST: the whole answer arrives at once.
func (c *chat) postChat(ctx app.Context, r *activeRun, req v1.ChatRequest) {
	c.status, c.stage = tr(c.lang, msgGenerating), "generating"
	c.turns[r.idx].Note, c.turns[r.idx].Stage = c.status, c.stage
	rctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	ctx.Async(func() {
		var resp v1.ChatResponse
		err := postJSON(rctx, "/api/v1/chat", req, &resp)
		ctx.Dispatch(func(ctx app.Context) {
			if r != c.run || r.ended {
				return
			}
			c.noteReachable(err)
			if err != nil {
				c.failRun(ctx, r, err)
				return
			}
			applyResponse(&c.turns[r.idx], resp)
			if resp.ConversationID != "" {
				c.setConversation(ctx, resp.ConversationID)
			}
			c.endRun(ctx, r)
			c.scrollToEnd(ctx, false)
		})
	})
}

func (c *chat) onStop(ctx app.Context, e app.Event) {
	r := c.run
	if r == nil || r.stopSent {
		return
	}
	r.stopSent = true
	if r.cancel != nil {
		// REST has no run id until the answer is in: stop waiting for it.
		r.cancel()
		c.turns[r.idx].Status = statusStopped
		c.endRun(ctx, r)
		return
	}
	if c.turns[r.idx].RunID != "" {
		c.sendStop(ctx, r)
	}
}

// sendStop asks the server to stop r's run. The stream then ends with done
// (finish_reason stopped) and the partial answer stays.
func (c *chat) sendStop(ctx app.Context, r *activeRun) {
	id := c.turns[r.idx].RunID
	ctx.Async(func() {
		err := postJSON(context.Background(), "/api/v1/chat/runs/"+url.PathEscape(id)+"/stop", nil, nil)
		if err != nil {
			app.Logf("ragchat: stop %s: %v", id, err)
		}
	})
	ctx.After(stopGrace, func(ctx app.Context) {
		if r == c.run && !r.ended {
			c.turns[r.idx].Status = statusStopped
			c.endRun(ctx, r)
		}
	})
}

// endRun closes r after done, error or stop.
func (c *chat) endRun(ctx app.Context, r *activeRun) {
	r.ended = true
	r.sse.close()
	if r.cancel != nil {
		r.cancel()
	}
	if c.run == r {
		c.run = nil
	}
	t := &c.turns[r.idx]
	if t.Status == statusStreaming {
		t.Status = statusComplete
	}
	t.Stage, t.Note = "", ""
	c.stage = ""
	switch t.Status {
	case statusStopped:
		c.status = tr(c.lang, msgStopped)
	case statusError:
		c.status = ""
	default:
		c.status = tr(c.lang, msgDone)
	}
	c.loadConversations(ctx)
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("composer"); el.Truthy() {
			el.Call("focus")
		}
	})
}

// failRun ends r with an error the reader can retry.
func (c *chat) failRun(ctx app.Context, r *activeRun, err error) {
	t := &c.turns[r.idx]
	t.Status, t.Retryable = statusError, true
	t.Err = c.errorText(err)
	c.endRun(ctx, r)
}

// errorText words err for the reader.
func (c *chat) errorText(err error) string {
	var he *httpError
	switch {
	case err == nil:
		return tr(c.lang, msgRequestFailed)
	case errors.Is(err, errUnreachable):
		return tr(c.lang, msgUnreachable)
	case errors.As(err, &he) && he.Detail != "":
		return he.Detail
	case errors.As(err, &he) && he.Title != "":
		return he.Title
	}
	return tr(c.lang, msgRequestFailed)
}

// detachRun stops following the current run without stopping it: the
// server finishes and stores the answer.
func (c *chat) detachRun() {
	if r := c.run; r != nil {
		r.ended = true
		r.sse.close()
		if r.cancel != nil {
			r.cancel()
		}
		c.run = nil
	}
}

func (c *chat) onRetryAction(ctx app.Context, a app.Action) {
	idx, ok := a.Value.(int)
	if !ok || idx < 0 || idx >= len(c.turns) || c.run != nil {
		return
	}
	q := c.turns[idx].Question
	if q == "" {
		return
	}
	if idx == len(c.turns)-1 && idx > 0 && c.turns[idx-1].Role == roleUser {
		c.turns = c.turns[:idx-1] // the failed exchange is replaced
	}
	c.ask(ctx, q)
}
