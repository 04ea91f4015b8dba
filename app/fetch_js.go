//go:build js && wasm

package app

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

// send is one HTTP exchange through the browser's fetch, without net/http:
// on js/wasm, net/http links its whole client (TLS, HTTP/2, dialers, some
// 0.8 MiB of brotli'd app.wasm) only to fall back to fetch in the end.
// It returns the status and the whole body; err wraps errUnreachable when
// no response came, and is ctx.Err() when ctx ended first. It blocks:
// call it from ctx.Async, never from a JS callback.
func send(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	abort := js.Global().Get("AbortController").New()
	opts := map[string]any{
		"method":  method,
		"headers": map[string]any{"Accept": "application/json, application/problem+json"},
		"signal":  abort.Get("signal"),
	}
	if body != nil {
		u := js.Global().Get("Uint8Array").New(len(body))
		js.CopyBytesToJS(u, body)
		opts["body"] = u
		opts["headers"].(map[string]any)["Content-Type"] = contentType
	}
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	resp, err := await(js.Global().Call("fetch", path, opts))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("%w: %v", errUnreachable, err)
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("%w: reading the response: %v", errUnreachable, err)
	}
	u := js.Global().Get("Uint8Array").New(buf)
	b := make([]byte, u.Length())
	js.CopyBytesToGo(b, u)
	return resp.Get("status").Int(), b, nil
}

// await waits for a promise: its value, or its rejection as an error.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{v: args[0]}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		done <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-done
	return r.v, r.err
}
