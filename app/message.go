package app

import (
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
)

// actionRetry asks the chat page to ask a failed turn's question again; its
// value is the turn's index.
const actionRetry = "ragchat.retry"

// message shows one turn. Its inputs are exported fields so that go-app
// re-renders it only when they change: while an answer streams, only the
// streaming message renders again, not the whole conversation.
type message struct {
	app.Compo

	IIndex     int
	ILang      string
	IRole      string
	IText      string
	IStatus    string
	IErr       string
	IRetryable bool
	ISources   []v1.Source
	IFooter    string

	highlight int // the source card the reader last jumped to
}

func (m *message) Render() app.UI {
	body := app.Div().Class("msg-body", "user-text").Text(m.IText)
	if m.IRole == roleAssistant {
		r := mdRenderer{cite: m.citeHandler}
		blocks := r.renderMarkdown(m.IText)
		if m.IStatus == statusStreaming {
			blocks = append(blocks, app.Span().Class("cursor").Aria("hidden", "true"))
		}
		body = app.Div().Class("msg-body", "answer", "md").Body(blocks...)
	}
	who := tr(m.ILang, msgYou)
	if m.IRole == roleAssistant {
		who = tr(m.ILang, msgAssistant)
	}
	return app.Div().
		Class("msg", "msg-"+m.IRole).
		DataSet("role", m.IRole).
		DataSet("status", m.IStatus).
		DataSet("index", m.IIndex).
		Body(
			app.Div().Class("msg-role").Text(who),
			body,
			app.If(m.IStatus == statusStopped, func() app.UI {
				return app.Div().Class("msg-note", "stopped").Text(tr(m.ILang, msgStopped))
			}),
			app.If(m.IStatus == statusError, func() app.UI {
				text := m.IErr
				if text == "" {
					text = tr(m.ILang, msgRequestFailed)
				}
				return app.Div().Class("msg-error").Role("alert").Body(
					app.Span().Class("msg-error-text").Text(text),
					app.Button().Type("button").Class("retry").Text(tr(m.ILang, msgRetry)).OnClick(m.onRetry),
				)
			}),
			app.If(len(m.ISources) > 0, m.renderSources),
			app.If(m.IFooter != "", func() app.UI {
				return app.Div().Class("msg-footer").Text(m.IFooter)
			}),
		)
}

func (m *message) renderSources() app.UI {
	cards := make([]app.UI, 0, len(m.ISources))
	for _, s := range m.ISources {
		var title app.UI = app.Span().Class("source-title").Text(s.Title)
		if u := safeURL(s.URL); u != "" {
			title = app.A().Class("source-title").Href("%s", u).Target("_blank").Rel("noopener noreferrer nofollow").Text(s.Title)
		}
		cls := []string{"source-card"}
		if s.N == m.highlight {
			cls = append(cls, "highlight")
		}
		cards = append(cards, app.Li().
			ID("%s", m.cardID(s.N)).
			Class(cls...).
			DataSet("n", s.N).
			Body(
				app.Span().Class("source-n").Text("["+strconv.Itoa(s.N)+"]"),
				title,
				app.P().Class("source-snippet").Text(s.Snippet),
			))
	}
	return app.Details().Class("sources").Open(true).Body(
		app.Summary().Text(fmt.Sprintf("%s (%d)", tr(m.ILang, msgSources), len(m.ISources))),
		app.Ol().Class("source-list").Body(cards...),
	)
}

func (m *message) cardID(n int) string {
	return "src-" + strconv.Itoa(m.IIndex) + "-" + strconv.Itoa(n)
}

// citeHandler returns the click handler of marker [n], or nil when no
// source has that number (the marker then stays text).
func (m *message) citeHandler(n int) app.EventHandler {
	known := false
	for _, s := range m.ISources {
		if s.N == n {
			known = true
			break
		}
	}
	if !known {
		return nil
	}
	return func(ctx app.Context, e app.Event) {
		m.highlight = n
		id := m.cardID(n)
		ctx.Defer(func(app.Context) {
			if el := app.Window().GetElementByID(id); el.Truthy() {
				el.Call("scrollIntoView", map[string]any{"block": "nearest", "behavior": "smooth"})
			}
		})
	}
}

func (m *message) onRetry(ctx app.Context, e app.Event) {
	ctx.NewActionWithValue(actionRetry, m.IIndex)
}
