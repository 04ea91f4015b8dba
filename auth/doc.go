// Package auth is ragchat's identity and permissions: local accounts
// (argon2id passwords), browser sessions (an opaque cookie, only its keyed
// hash stored), API keys (Bearer, keyed hash, scopes, expiry), the
// middleware that puts the request's Principal in its context, and the
// access rules (roles admin and member, key scopes).
//
// Open mode: while the server listens on loopback and no user exists,
// requests without credentials pass as anonymous (PrincipalFrom reports
// false). Otherwise every /api/v1 route needs a session or a key.
package auth
