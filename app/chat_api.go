package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
)

// errUnreachable wraps failures to reach the server at all (no response).
var errUnreachable = errors.New("server unreachable")

// httpError is a response with an error status, with the RFC 9457 problem
// fields the server sends.
type httpError struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

func (e *httpError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Title, e.Detail)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Title)
}

// doJSON sends in (if not nil) as JSON and decodes the response into out
// (if not nil). It blocks (see send): call it only from ctx.Async, never
// from a JS callback or an event handler.
func doJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = b
	}
	status, b, err := send(ctx, method, path, "application/json", body)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status >= 300 {
		he := &httpError{}
		if len(b) <= 1<<16 {
			_ = json.Unmarshal(b, he)
		}
		he.Status = status
		if he.Title == "" {
			he.Title = statusText(status)
		}
		return he
	}
	if out == nil || status == statusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// HTTP names the app needs, kept here so that app.wasm need not link
// net/http for them.
const (
	methodGet       = "GET"
	methodPost      = "POST"
	methodDelete    = "DELETE"
	statusNoContent = 204
	statusNotFound  = 404
)

// statusText is a title for an error response that came without one.
func statusText(status int) string {
	switch {
	case status == statusNotFound:
		return "Not Found"
	case status >= 500:
		return "Server Error"
	case status >= 400:
		return "Client Error"
	}
	return "HTTP " + strconv.Itoa(status)
}

func getJSON(ctx context.Context, path string, out any) error {
	return doJSON(ctx, methodGet, path, nil, out)
}

func postJSON(ctx context.Context, path string, in, out any) error {
	return doJSON(ctx, methodPost, path, in, out)
}

// noteReachable records whether the last request reached the server.
func (c *chat) noteReachable(err error) {
	c.unreachable = errors.Is(err, errUnreachable)
}

// checkServer asks /healthz whether the server is back.
func (c *chat) checkServer(ctx app.Context) {
	ctx.Async(func() {
		err := getJSON(context.Background(), "/healthz", nil)
		ctx.Dispatch(func(ctx app.Context) {
			c.noteReachable(err)
			if err == nil && !c.convsLoaded {
				c.loadConversations(ctx)
			}
		})
	})
}

// loadConversations refreshes the list of past conversations.
func (c *chat) loadConversations(ctx app.Context) {
	ctx.Async(func() {
		var l v1.ConversationList
		err := getJSON(context.Background(), "/api/v1/conversations?limit=50", &l)
		ctx.Dispatch(func(ctx app.Context) {
			c.noteReachable(err)
			if err != nil {
				app.Logf("ragchat: list conversations: %v", err)
				return
			}
			c.convs, c.convsLoaded = l.Conversations, true
		})
	})
}

// openConversation shows a stored conversation. quiet is for the one
// remembered from the last visit: if it is gone, the page just starts fresh.
func (c *chat) openConversation(ctx app.Context, id string, quiet bool) {
	c.detachRun()
	ctx.Async(func() {
		var d v1.ConversationDetail
		err := getJSON(context.Background(), "/api/v1/conversations/"+url.PathEscape(id), &d)
		ctx.Dispatch(func(ctx app.Context) {
			c.noteReachable(err)
			if err != nil {
				var he *httpError
				if errors.As(err, &he) && he.Status == statusNotFound {
					ctx.LocalStorage().Del(storeConversation)
				}
				if !quiet {
					c.status = tr(c.lang, msgLoadFailed)
				}
				return
			}
			if c.run != nil {
				return // a question was asked meanwhile
			}
			c.turns = turnsFromDetail(d)
			c.setConversation(ctx, d.ID)
			c.status, c.stage = "", ""
			c.followIfStreaming(ctx)
			c.scrollToEnd(ctx, true)
		})
	})
}

// followIfStreaming resumes showing an answer that is still being written
// (opened from the list, or after a reload) through the run's event stream.
func (c *chat) followIfStreaming(ctx app.Context) {
	n := len(c.turns)
	if n == 0 || c.transport != transportSSE {
		return
	}
	t := c.turns[n-1]
	if t.Role != roleAssistant || t.Status != statusStreaming || t.RunID == "" {
		return
	}
	r := &activeRun{idx: n - 1, question: t.Question}
	r.state.runID = t.RunID
	c.run = r
	c.status = tr(c.lang, msgGenerating)
	c.openStream(ctx, r, "/api/v1/chat/runs/"+url.PathEscape(t.RunID)+"/events", true)
}

func (c *chat) setConversation(ctx app.Context, id string) {
	c.conversationID = id
	_ = ctx.LocalStorage().Set(storeConversation, id)
}

func (c *chat) deleteConversation(ctx app.Context, id string) {
	ctx.Async(func() {
		err := doJSON(context.Background(), methodDelete, "/api/v1/conversations/"+url.PathEscape(id), nil, nil)
		ctx.Dispatch(func(ctx app.Context) {
			c.noteReachable(err)
			if err != nil {
				app.Logf("ragchat: delete conversation %s: %v", id, err)
				return
			}
			kept := c.convs[:0:0]
			for _, cv := range c.convs {
				if cv.ID != id {
					kept = append(kept, cv)
				}
			}
			c.convs = kept
			if c.conversationID == id {
				c.detachRun()
				c.turns, c.conversationID, c.status = nil, "", ""
				ctx.LocalStorage().Del(storeConversation)
			}
		})
	})
}
