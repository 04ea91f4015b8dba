package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// mdRenderer turns parsed Markdown into go-app elements. Model text only
// reaches the DOM through app.Text (text nodes) and through attribute values
// given as arguments, never as a printf format and never through app.Raw.
type mdRenderer struct {
	// cite returns the click handler of citation n, or nil if n is not a
	// known source (then the marker stays plain text).
	cite func(n int) app.EventHandler
}

// renderMarkdown renders src as a list of block elements.
func (r mdRenderer) renderMarkdown(src string) []app.UI {
	return r.blocks(parseMarkdown(src))
}

func (r mdRenderer) blocks(bs []mdBlock) []app.UI {
	out := make([]app.UI, 0, len(bs))
	for _, b := range bs {
		out = append(out, r.block(b))
	}
	return out
}

func (r mdRenderer) block(b mdBlock) app.UI {
	switch b.Kind {
	case blockHeading:
		in := r.inlines(parseInline(b.Text))
		switch b.Level {
		case 1:
			return app.H1().Body(in...)
		case 2:
			return app.H2().Body(in...)
		case 3:
			return app.H3().Body(in...)
		case 4:
			return app.H4().Body(in...)
		case 5:
			return app.H5().Body(in...)
		default:
			return app.H6().Body(in...)
		}
	case blockList:
		items := make([]app.UI, 0, len(b.Items))
		for _, it := range b.Items {
			// A tight item (one paragraph) renders its text directly.
			if len(it) == 1 && it[0].Kind == blockParagraph {
				items = append(items, app.Li().Body(r.inlines(parseInline(it[0].Text))...))
				continue
			}
			items = append(items, app.Li().Body(r.blocks(it)...))
		}
		if b.Ordered {
			ol := app.Ol()
			if b.Start != 1 {
				ol = ol.Start(b.Start)
			}
			return ol.Body(items...)
		}
		return app.Ul().Body(items...)
	case blockCode:
		code := app.Code().Text(b.Text)
		if b.Lang != "" {
			code = code.Class("language-" + b.Lang)
		}
		return app.Pre().Body(code)
	case blockQuote:
		return app.Blockquote().Body(r.blocks(b.Blocks)...)
	case blockRule:
		return app.Hr()
	default:
		return app.P().Body(r.inlines(parseInline(b.Text))...)
	}
}

func (r mdRenderer) inlines(in []mdInline) []app.UI {
	out := make([]app.UI, 0, len(in))
	for _, s := range in {
		out = append(out, r.inline(s))
	}
	return out
}

func (r mdRenderer) inline(s mdInline) app.UI {
	switch s.Kind {
	case inlineCode:
		return app.Code().Text(s.Text)
	case inlineStrong:
		return app.Strong().Body(r.inlines(s.Children)...)
	case inlineEm:
		return app.Em().Body(r.inlines(s.Children)...)
	case inlineBreak:
		return app.Br()
	case inlineLink:
		if s.URL == "" {
			return app.Span().Body(r.inlines(s.Children)...)
		}
		return app.A().
			Href("%s", s.URL).
			Target("_blank").
			Rel("noopener noreferrer nofollow").
			Body(r.inlines(s.Children)...)
	case inlineCite:
		// The brackets stay in the text so that the rendered text reads like
		// the model's ("[1, 2]"); each number is a button.
		parts := []app.UI{app.Text("[")}
		for i, n := range s.Ns {
			if i > 0 {
				parts = append(parts, app.Text(", "))
			}
			var h app.EventHandler
			if r.cite != nil {
				h = r.cite(n)
			}
			if h == nil {
				parts = append(parts, app.Text(strconv.Itoa(n)))
				continue
			}
			parts = append(parts, app.Button().
				Type("button").
				Class("cite").
				DataSet("n", n).
				Title("%s %d", "source", n).
				Text(strconv.Itoa(n)).
				OnClick(h))
		}
		parts = append(parts, app.Text("]"))
		return app.Span().Class("cite-group").Body(parts...)
	default:
		return app.Text(s.Text)
	}
}
