// Package client is the generated Go client of ragchat's API v1, made by
// oapi-codegen from openapi/openapi-3.0.yaml (`make openapi`; a test fails
// when it drifts from the spec). It covers the JSON operations; for the
// event streams, read text/event-stream from the *http.Response of the
// stream operations (ChatStream, ChatStreamPost, ChatRunEvents) as documented.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi-3.0.yaml
