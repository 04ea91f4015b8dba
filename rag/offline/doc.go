// Package offline holds providers that need no network: a hashing embedder
// and an extractive answerer. They let ragchat run, and its tests pass, on a
// machine with no model and no API key.
package offline
