package app

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
)

// Transports the page can use to ask a question.
const (
	transportSSE  = "sse"
	transportREST = "rest"
)

// Local storage keys.
const (
	storeLang         = "ragchat.lang"
	storeConversation = "ragchat.conversation"
)

// chat is the page: past conversations, the current one, the composer.
//
// Everything that touches the browser starts in OnMount (client only); the
// server's prerender shows the empty shell. Slow work runs in ctx.Async and
// comes back through ctx.Dispatch, never blocking a JS callback.
type chat struct {
	app.Compo

	lang      string
	transport string // set at mount: sse if the browser has EventSource
	ready     bool   // the composer is interactive
	readyMS   float64

	turns          []turn
	conversationID string
	convs          []v1.Conversation
	convsLoaded    bool

	input   string
	notice  string // why the question was not sent
	status  string // the status line
	stage   string
	run     *activeRun // the run being answered, if any
	offline bool       // navigator.onLine is false
	// unreachable is set when a request failed for lack of a server and
	// cleared by the next request that reached it.
	unreachable bool

	releases []func()
}

// activeRun is the question being answered.
type activeRun struct {
	idx      int    // the assistant turn it writes
	question string // for retry
	state    runState
	stopSent bool
	ended    bool
	sse      *sseConn
	cancel   func() // REST: abandon the request
}

func (c *chat) OnMount(ctx app.Context) {
	c.lang = c.initialLang(ctx)
	ctx.Page().SetLang(c.lang)
	c.transport = transportREST
	if app.Window().Get("EventSource").Truthy() && ctx.Page().URL().Query().Get("transport") != transportREST {
		c.transport = transportSSE
	}
	c.offline = !app.Window().Get("navigator").Get("onLine").Bool()
	c.watchOnline(ctx)
	c.watchEnter(ctx)
	ctx.Handle(actionRetry, c.onRetryAction)
	c.ready = true
	c.readyMS = app.Window().Get("performance").Call("now").Float()

	var last string
	_ = ctx.LocalStorage().Get(storeConversation, &last)
	c.loadConversations(ctx)
	if last != "" {
		c.openConversation(ctx, last, true)
	}
	c.takeOverShell(ctx)
}

func (c *chat) OnDismount() {
	c.detachRun()
	for _, f := range c.releases {
		f()
	}
	c.releases = nil
}

// initialLang is the saved choice, else the browser's languages.
func (c *chat) initialLang(ctx app.Context) string {
	var saved string
	if err := ctx.LocalStorage().Get(storeLang, &saved); err == nil && (saved == langKO || saved == langEN) {
		return saved
	}
	nav := app.Window().Get("navigator")
	var prefs []string
	if langs := nav.Get("languages"); langs.Truthy() {
		for i := 0; i < langs.Length(); i++ {
			prefs = append(prefs, langs.Index(i).String())
		}
	}
	prefs = append(prefs, nav.Get("language").String())
	return uiLang(prefs...)
}

// watchOnline follows the browser's online/offline events.
func (c *chat) watchOnline(ctx app.Context) {
	for _, name := range []string{"online", "offline"} {
		fn := app.FuncOf(func(app.Value, []app.Value) any {
			ctx.Dispatch(func(ctx app.Context) {
				c.offline = !app.Window().Get("navigator").Get("onLine").Bool()
				if !c.offline {
					c.checkServer(ctx)
				}
			})
			return nil
		})
		app.Window().Call("addEventListener", name, fn)
		c.releases = append(c.releases, func() {
			app.Window().Call("removeEventListener", name, fn)
			fn.Release()
		})
	}
}

func (c *chat) Render() app.UI {
	state := "idle"
	if c.run != nil {
		state = "busy"
	}
	return app.Div().
		ID("chat").
		Class("chat").
		DataSet("transport", c.transport).
		DataSet("lang", c.lang).
		DataSet("state", state).
		DataSet("ready", c.ready).
		DataSet("ready-ms", fmt.Sprintf("%.0f", c.readyMS)).
		Body(
			c.renderSidebar(),
			app.Main().Class("main").Body(
				c.renderHeader(),
				c.renderBanner(),
				c.renderMessages(),
				app.Div().ID("status").Class("status").DataSet("stage", c.stage).Aria("live", "polite").Text(c.status),
				c.renderComposer(),
			),
		)
}

func (c *chat) renderHeader() app.UI {
	badge := app.Span().ID("transport").Class("badge")
	switch c.transport {
	case transportSSE:
		badge = badge.Class("badge", "badge-sse").Title("%s", "Server-Sent Events").Text(tr(c.lang, msgTransportSSE))
	case transportREST:
		badge = badge.Class("badge", "badge-rest").Title("%s", "POST /api/v1/chat").Text(tr(c.lang, msgTransportREST))
	}
	return app.Header().Class("topbar").Body(
		app.H1().Class("brand").Body(
			// Decorative beside the name. go-app drops an empty alt, so
			// the role says so instead (an img without alt fails axe).
			app.Img().Src("/web/icon.svg").Attr("role", "presentation").Class("brand-icon"),
			app.Text(tr(c.lang, msgTitle)),
		),
		badge,
		app.Button().ID("lang-switch").Type("button").Class("lang-switch").Text(tr(c.lang, msgSwitchLang)).OnClick(c.onSwitchLang),
	)
}

func (c *chat) renderBanner() app.UI {
	if !c.offline && !c.unreachable {
		return app.Div().ID("banner").Hidden(true)
	}
	text := tr(c.lang, msgUnreachable)
	if c.offline {
		text = tr(c.lang, msgOffline) + " " + text
	}
	return app.Div().ID("banner").Class("banner").Role("alert").Body(
		app.Span().ID("unreachable").Text(text),
		app.Button().Type("button").Class("link-button").Text(tr(c.lang, msgCheckAgain)).OnClick(func(ctx app.Context, e app.Event) {
			c.checkServer(ctx)
		}),
	)
}

func (c *chat) renderSidebar() app.UI {
	items := make([]app.UI, 0, len(c.convs))
	for _, cv := range c.convs {
		id := cv.ID
		title := cv.Title
		if strings.TrimSpace(title) == "" {
			title = "…"
		}
		cls := "conv"
		if id == c.conversationID {
			cls = "conv active"
		}
		items = append(items, app.Li().Class(cls).DataSet("id", id).Body(
			app.Button().Type("button").Class("conv-open").Title("%s", cv.Title).Text(title).OnClick(func(ctx app.Context, e app.Event) {
				c.openConversation(ctx, id, false)
			}),
			app.Button().Type("button").Class("conv-delete").Title("%s", tr(c.lang, msgDelete)).Aria("label", tr(c.lang, msgDelete)).Text("×").OnClick(func(ctx app.Context, e app.Event) {
				c.deleteConversation(ctx, id)
			}),
		))
	}
	var list app.UI = app.Ul().ID("conversations").Class("conv-list").Body(items...)
	if c.convsLoaded && len(items) == 0 {
		list = app.P().ID("conversations").Class("conv-empty").Text(tr(c.lang, msgNoHistory))
	}
	return app.Aside().Class("sidebar").Body(
		app.Button().ID("new-chat").Type("button").Class("new-chat").Text("+ "+tr(c.lang, msgNewChat)).OnClick(c.onNewChat),
		app.H2().Class("sidebar-title").Text(tr(c.lang, msgHistory)),
		list,
	)
}

func (c *chat) renderMessages() app.UI {
	if len(c.turns) == 0 {
		return app.Div().ID("messages").Class("messages", "empty").Body(
			app.P().Class("hint").Text(tr(c.lang, msgEmpty)),
		)
	}
	children := make([]app.UI, 0, len(c.turns))
	for i, t := range c.turns {
		children = append(children, &message{
			IIndex:     i,
			ILang:      c.lang,
			IRole:      t.Role,
			IText:      t.Text,
			IStatus:    t.Status,
			IErr:       t.Err,
			IRetryable: t.Retryable,
			ISources:   t.Sources,
			IFooter:    c.footer(t),
		})
	}
	return app.Div().ID("messages").Class("messages").Body(children...)
}

// footer is the small line under a finished answer: who answered, how long.
func (c *chat) footer(t turn) string {
	if t.Role != roleAssistant || t.Status == statusStreaming || t.Status == statusError {
		return ""
	}
	var parts []string
	if t.Model != "" {
		parts = append(parts, t.Model)
	}
	if t.TotalMS > 0 {
		parts = append(parts, fmt.Sprintf(tr(c.lang, msgSeconds), t.TotalMS/1000))
	}
	return strings.Join(parts, " · ")
}

func (c *chat) renderComposer() app.UI {
	busy := c.run != nil
	n := utf8.RuneCountInString(c.input)
	// A div, not a form: a submit's default (a page load) cannot be
	// prevented from go-app's asynchronous handlers.
	return app.Div().ID("composer-form").Class("composer").Body(
		app.Textarea().
			ID("composer").
			Class("composer-input").
			Rows(2).
			Placeholder("%s", tr(c.lang, msgPlaceholder)).
			Aria("label", tr(c.lang, msgPlaceholder)).
			Disabled(!c.ready).
			Text(c.input).
			OnInput(c.onInput),
		app.If(c.notice != "", func() app.UI {
			return app.Div().ID("notice").Class("notice").Role("alert").Text(c.notice)
		}),
		app.If(n > maxMessageChars()*9/10, func() app.UI {
			return app.Span().Class("counter").Text(fmt.Sprintf("%d / %d", n, maxMessageChars()))
		}),
		app.If(busy, func() app.UI {
			return app.Button().ID("stop").Type("button").Class("stop").Disabled(c.run.stopSent).Text(tr(c.lang, msgStop)).OnClick(c.onStop)
		}).Else(func() app.UI {
			return app.Button().ID("send").Type("button").Class("send").Disabled(!c.ready || strings.TrimSpace(c.input) == "").Text(tr(c.lang, msgSend)).OnClick(c.onSend)
		}),
	)
}

func (c *chat) onInput(ctx app.Context, e app.Event) {
	c.input = ctx.JSSrc().Get("value").String()
	c.notice = ""
}

// watchEnter makes Enter send; Shift+Enter is a new line, and Enter that
// confirms a Korean (IME) composition is not a send. go-app runs its event
// handlers later on the UI goroutine, too late for preventDefault, so this
// listener is a plain JS callback: it only cancels the key and dispatches.
func (c *chat) watchEnter(ctx app.Context) {
	// The page may not be in the document yet: look inside the component.
	el := c.JSValue().Call("querySelector", "#composer")
	if !el.Truthy() {
		app.Log("ragchat: composer not found; Enter will not send")
		return
	}
	fn := app.FuncOf(func(this app.Value, args []app.Value) any {
		e := args[0]
		if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || e.Get("isComposing").Bool() || e.Get("keyCode").Int() == 229 {
			return nil
		}
		e.Call("preventDefault")
		value := this.Get("value").String()
		ctx.Dispatch(func(ctx app.Context) {
			c.input = value
			c.submit(ctx)
		})
		return nil
	})
	el.Call("addEventListener", "keydown", fn)
	c.releases = append(c.releases, func() {
		el.Call("removeEventListener", "keydown", fn)
		fn.Release()
	})
}

func (c *chat) onSend(ctx app.Context, e app.Event) {
	c.submit(ctx)
}

func (c *chat) submit(ctx app.Context) {
	q := strings.TrimSpace(c.input)
	switch {
	case c.run != nil || q == "":
		return
	case utf8.RuneCountInString(q) > maxMessageChars():
		c.notice = fmt.Sprintf(tr(c.lang, msgTooLong), maxMessageChars())
		return
	}
	c.input, c.notice = "", ""
	// The textarea's value is the DOM's once the user typed: clear it there.
	if el := app.Window().GetElementByID("composer"); el.Truthy() {
		el.Set("value", "")
	}
	c.ask(ctx, q)
}

func (c *chat) onSwitchLang(ctx app.Context, e app.Event) {
	if c.lang == langKO {
		c.lang = langEN
	} else {
		c.lang = langKO
	}
	_ = ctx.LocalStorage().Set(storeLang, c.lang)
	ctx.Page().SetLang(c.lang)
}

func (c *chat) onNewChat(ctx app.Context, e app.Event) {
	c.detachRun()
	c.turns, c.conversationID, c.status, c.stage = nil, "", "", ""
	ctx.LocalStorage().Del(storeConversation)
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("composer"); el.Truthy() {
			el.Call("focus")
		}
	})
}

// scrollToEnd keeps the newest text in view unless the reader scrolled up.
func (c *chat) scrollToEnd(ctx app.Context, force bool) {
	el := app.Window().GetElementByID("messages")
	if !el.Truthy() {
		return
	}
	pinned := el.Get("scrollHeight").Float()-el.Get("scrollTop").Float()-el.Get("clientHeight").Float() < 120
	if !pinned && !force {
		return
	}
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID("messages"); el.Truthy() {
			el.Set("scrollTop", el.Get("scrollHeight"))
		}
	})
}
