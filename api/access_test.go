package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"ragchat/api"
	"ragchat/auth"
	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/search/embedded"
	"ragchat/store"
	"ragchat/store/storetest"
)

type noSearch struct{}

func (noSearch) Search(context.Context, string, int, rag.SearchMode) ([]rag.Passage, error) {
	return nil, nil
}

// accessEnv is a whole API over a real store, with accounts.
type accessEnv struct {
	t        *testing.T
	url      string
	db       *store.DB
	accounts *auth.Service
	creds    map[string]func(*http.Request) // principal name → how it authenticates
	users    map[string]auth.User
	n        atomic.Int64
}

func newAccessEnv(t *testing.T, dialect string, loopback bool) *accessEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, dialect)
	ix, err := embedded.Open(filepath.Join(t.TempDir(), "index"), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	emb := offline.NewHashEmbedder(0)
	in := &rag.Ingester{Documents: db.DocumentStore(), Index: ix, Embedder: emb}
	if _, _, err := in.Add(ctx, rag.Document{Title: "SSE", Text: "SSE streams events from server to client over HTTP."}); err != nil {
		t.Fatal(err)
	}
	gen := offline.NewExtractive()
	gen.TokenDelay = 0
	runner := rag.NewRunner(&rag.Pipeline{Store: ix, Embedder: emb, Generator: gen}, db, rag.RunnerConfig{})
	t.Cleanup(runner.Close)
	accounts, err := auth.New(ctx, db, auth.Config{Loopback: loopback})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(mux, api.Deps{Runs: runner, Conversations: db, Documents: docService{in, db}, Search: noSearch{}, Accounts: accounts}, api.Config{})
	srv := httptest.NewServer(accounts.Middleware(mux))
	t.Cleanup(srv.Close)
	return &accessEnv{t: t, url: srv.URL, db: db, accounts: accounts,
		creds: map[string]func(*http.Request){"anonymous": func(*http.Request) {}}, users: map[string]auth.User{}}
}

// user makes an account and a signed-in session named name.
func (e *accessEnv) user(name string, role auth.Role) auth.User {
	e.t.Helper()
	ctx := context.Background()
	email := name + "@example.com"
	u, err := e.accounts.CreateUser(ctx, email, "a long enough password", role)
	if err != nil {
		e.t.Fatal(err)
	}
	_, tok, err := e.accounts.Login(ctx, email, "a long enough password", "192.0.2.1")
	if err != nil {
		e.t.Fatal(err)
	}
	e.users[name] = u
	e.creds[name] = func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok}) }
	return u
}

// key makes an API key of user u named name.
func (e *accessEnv) key(name string, u auth.User, scopes ...auth.Scope) string {
	e.t.Helper()
	_, secret, err := e.accounts.CreateKey(context.Background(), auth.Principal{UserID: u.ID, Role: u.Role}, name, scopes, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.creds[name] = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }
	return secret
}

// do sends a request as principal who and returns the status and body.
func (e *accessEnv) do(who, method, path, ctype string, body []byte, hdr ...string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	e.creds[who](req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *accessEnv) json(who, method, path string, v any) (int, []byte) {
	b, _ := json.Marshal(v)
	return e.do(who, method, path, "application/json", b)
}

// ask starts a conversation as who and returns its and the run's ids.
func (e *accessEnv) ask(who string) (conv, run string) {
	e.t.Helper()
	status, b := e.json(who, "POST", "/api/v1/chat", map[string]string{"message": "what is SSE?"})
	if status != 200 {
		e.t.Fatalf("chat as %s = %d %s", who, status, b)
	}
	var out struct{ ConversationID, RunID string }
	out.ConversationID, out.RunID = jsonField(b, "conversation_id"), jsonField(b, "run_id")
	return out.ConversationID, out.RunID
}

func jsonField(b []byte, name string) string {
	var m map[string]any
	json.Unmarshal(b, &m)
	s, _ := m[name].(string)
	return s
}

// uniq returns a number not used before in this environment.
func (e *accessEnv) uniq() int64 { return e.n.Add(1) }

var principals = []string{"anonymous", "memberA", "memberB", "admin", "keyChatA", "keyDocs", "keyAdmin"}

// TestAccessMatrix sends every route as every kind of principal and
// checks each status: roles, key scopes, and owners (another user's
// conversation or run is 404).
func TestAccessMatrix(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newAccessEnv(t, dialect, false)
			a := e.user("memberA", auth.RoleMember)
			b := e.user("memberB", auth.RoleMember)
			admin := e.user("admin", auth.RoleAdmin)
			e.key("keyChatA", a, auth.ScopeChat)
			e.key("keyDocs", admin, auth.ScopeDocumentsWrite)
			e.key("keyAdmin", admin, auth.ScopeAdmin)
			convA, runA := e.ask("memberA")
			var docID string
			if status, body := e.json("admin", "POST", "/api/v1/documents", map[string]string{"title": "t", "text": "a document to read"}); status != 201 {
				t.Fatalf("add document = %d %s", status, body)
			} else {
				docID = jsonField(body, "id")
			}

			type cell = int
			type route struct {
				name string
				// send makes the request as who (preparing what it needs).
				send func(who string) (int, []byte)
				want [7]cell // in the order of principals
			}
			const (
				ok, created, none, unauth, forbidden, notFound = 200, 201, 204, 401, 403, 404
			)
			get := func(path string) func(string) (int, []byte) {
				return func(who string) (int, []byte) { return e.do(who, "GET", path, "", nil) }
			}
			post := func(path string, v any) func(string) (int, []byte) {
				return func(who string) (int, []byte) { return e.json(who, "POST", path, v) }
			}
			chatOnly := [7]cell{unauth, ok, ok, ok, ok, forbidden, forbidden}
			ownerOnly := [7]cell{unauth, ok, notFound, notFound, ok, forbidden, forbidden}
			routes := []route{
				{"GET /healthz", get("/healthz"), [7]cell{ok, ok, ok, ok, ok, ok, ok}},
				{"GET /api/v1/auth/status", get("/api/v1/auth/status"), [7]cell{ok, ok, ok, ok, ok, ok, ok}},
				{"GET /api/v1/auth/me", get("/api/v1/auth/me"), [7]cell{unauth, ok, ok, ok, ok, ok, ok}},
				{"POST /api/v1/auth/setup (bad token)", post("/api/v1/auth/setup", map[string]string{"token": "x", "email": "x@example.com", "password": "a long enough password"}),
					[7]cell{unauth, unauth, unauth, unauth, unauth, unauth, unauth}},
				{"GET /api/v1/chat/stream", get("/api/v1/chat/stream?message=SSE"), chatOnly},
				{"GET /api/v1/chat/stream (A's conversation)", get("/api/v1/chat/stream?message=SSE&conversation_id=" + convA), ownerOnly},
				{"GET /api/v1/chat/stream (resume A's run)", func(who string) (int, []byte) {
					return e.do(who, "GET", "/api/v1/chat/stream?message=SSE", "", nil, "Last-Event-ID", runA+":1")
				}, ownerOnly},
				{"POST /api/v1/chat/stream", post("/api/v1/chat/stream", map[string]string{"message": "SSE"}), chatOnly},
				{"POST /api/v1/chat", post("/api/v1/chat", map[string]string{"message": "SSE"}), chatOnly},
				{"POST /api/v1/chat (A's conversation)", post("/api/v1/chat", map[string]string{"message": "SSE", "conversation_id": convA}), ownerOnly},
				{"GET /api/v1/chat/runs/{A's}/events", get("/api/v1/chat/runs/" + runA + "/events"), ownerOnly},
				{"POST /api/v1/chat/runs/{A's}/stop", post("/api/v1/chat/runs/"+runA+"/stop", nil),
					[7]cell{unauth, ok, notFound, ok, ok, forbidden, forbidden}},
				{"GET /api/v1/conversations", get("/api/v1/conversations"), chatOnly},
				{"GET /api/v1/conversations?all=true", get("/api/v1/conversations?all=true"),
					[7]cell{unauth, forbidden, forbidden, forbidden, forbidden, forbidden, forbidden}},
				{"GET /api/v1/conversations/{A's}", get("/api/v1/conversations/" + convA), ownerOnly},
				{"DELETE /api/v1/conversations/{A's}", func(who string) (int, []byte) {
					conv, _ := e.ask("memberA")
					return e.do(who, "DELETE", "/api/v1/conversations/"+conv, "", nil)
				}, [7]cell{unauth, none, notFound, none, none, forbidden, forbidden}},
				{"POST /api/v1/search", post("/api/v1/search", map[string]string{"query": "SSE"}), chatOnly},
				{"GET /api/v1/documents", get("/api/v1/documents"), chatOnly},
				{"GET /api/v1/documents/{id}", get("/api/v1/documents/" + docID), chatOnly},
				{"POST /api/v1/documents", func(who string) (int, []byte) {
					return e.json(who, "POST", "/api/v1/documents", map[string]string{"title": "t", "text": fmt.Sprint("text number ", e.uniq())})
				}, [7]cell{unauth, forbidden, forbidden, created, forbidden, created, forbidden}},
				{"POST /api/v1/documents/upload", func(who string) (int, []byte) {
					var buf bytes.Buffer
					mw := multipart.NewWriter(&buf)
					fw, _ := mw.CreateFormFile("file", "a.txt")
					fmt.Fprint(fw, "uploaded text number ", e.uniq())
					mw.Close()
					return e.do(who, "POST", "/api/v1/documents/upload", mw.FormDataContentType(), buf.Bytes())
				}, [7]cell{unauth, forbidden, forbidden, created, forbidden, created, forbidden}},
				{"DELETE /api/v1/documents/{id}", func(who string) (int, []byte) {
					_, body := e.json("admin", "POST", "/api/v1/documents", map[string]string{"title": "t", "text": fmt.Sprint("doomed ", e.uniq())})
					return e.do(who, "DELETE", "/api/v1/documents/"+jsonField(body, "id"), "", nil)
				}, [7]cell{unauth, forbidden, forbidden, none, forbidden, none, forbidden}},
				{"GET /api/v1/keys", get("/api/v1/keys"), [7]cell{unauth, ok, ok, ok, forbidden, forbidden, ok}},
				{"GET /api/v1/keys?all=true", get("/api/v1/keys?all=true"), [7]cell{unauth, forbidden, forbidden, ok, forbidden, forbidden, ok}},
				{"POST /api/v1/keys", post("/api/v1/keys", map[string]any{"scopes": []string{"chat"}}),
					[7]cell{unauth, created, created, created, forbidden, forbidden, created}},
				{"POST /api/v1/keys (scope admin)", post("/api/v1/keys", map[string]any{"scopes": []string{"admin"}}),
					[7]cell{unauth, 422, 422, created, forbidden, forbidden, created}},
				{"DELETE /api/v1/keys/{B's}", func(who string) (int, []byte) {
					_, secret, err := e.accounts.CreateKey(context.Background(), auth.Principal{UserID: b.ID, Role: b.Role}, "", nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					_ = secret
					keys, _ := e.accounts.Keys(context.Background(), b.ID)
					return e.do(who, "DELETE", "/api/v1/keys/"+keys[0].ID, "", nil)
				}, [7]cell{unauth, notFound, none, none, forbidden, forbidden, none}},
				{"GET /api/v1/users", get("/api/v1/users"), [7]cell{unauth, forbidden, forbidden, ok, forbidden, forbidden, ok}},
				{"POST /api/v1/users", func(who string) (int, []byte) {
					return e.json(who, "POST", "/api/v1/users", map[string]string{"email": fmt.Sprintf("new%d@example.com", e.uniq()), "password": "a long enough password"})
				}, [7]cell{unauth, forbidden, forbidden, created, forbidden, forbidden, created}},
				{"PATCH /api/v1/users/{B}", func(who string) (int, []byte) {
					b, _ := json.Marshal(map[string]any{"disabled": false})
					return e.do(who, "PATCH", "/api/v1/users/"+e.users["memberB"].ID, "application/json", b)
				}, [7]cell{unauth, forbidden, forbidden, ok, forbidden, forbidden, ok}},
			}
			for _, r := range routes {
				for i, who := range principals {
					status, body := r.send(who)
					if status != r.want[i] {
						t.Errorf("%s as %s = %d, want %d (%s)", r.name, who, status, r.want[i], strings.TrimSpace(string(body)))
					}
					if status == unauth && !bytes.Contains(body, []byte(auth.UnauthorizedDetail)) {
						t.Errorf("%s as %s: 401 body %s does not give the one uniform detail", r.name, who, body)
					}
				}
			}
			_ = admin
		})
	}
}

// TestBadCredentials: wrong, revoked, expired and malformed keys, unknown
// cookies and a disabled user's credentials all get the same 401.
func TestBadCredentials(t *testing.T) {
	e := newAccessEnv(t, "sqlite", false)
	ctx := context.Background()
	a := e.user("memberA", auth.RoleMember)
	secret := e.key("keyChatA", a, auth.ScopeChat)
	revoked := e.key("revoked", a, auth.ScopeChat)
	keys, _ := e.accounts.Keys(ctx, a.ID)
	for _, k := range keys {
		if k.Name == "revoked" {
			if err := e.accounts.RevokeKey(ctx, a.ID, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	bearer := func(v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set("Authorization", v) } }
	cookie := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: v}) }
	}
	e.creds["wrong key"] = bearer("Bearer rck_" + strings.Repeat("A", 43))
	e.creds["malformed key"] = bearer("Bearer " + secret[:20])
	e.creds["basic auth"] = bearer("Basic dXNlcjpwYXNz")
	e.creds["revoked key"] = bearer("Bearer " + revoked)
	e.creds["unknown cookie"] = cookie("rcs_" + strings.Repeat("B", 43))
	e.creds["garbage cookie"] = cookie("x")
	var first []byte
	for _, who := range []string{"anonymous", "wrong key", "malformed key", "basic auth", "revoked key", "unknown cookie", "garbage cookie"} {
		status, body := e.do(who, "GET", "/api/v1/conversations", "", nil)
		if status != 401 {
			t.Errorf("%s: status %d, want 401", who, status)
		}
		if first == nil {
			first = body
		} else if !bytes.Equal(body, first) {
			t.Errorf("%s: 401 body %s differs from %s", who, body, first)
		}
	}
	if status, _ := e.do("memberA", "GET", "/api/v1/conversations", "", nil); status != 200 {
		t.Fatalf("member's session: %d", status)
	}
	if _, err := e.accounts.SetDisabled(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"memberA", "keyChatA"} {
		if status, _ := e.do(who, "GET", "/api/v1/conversations", "", nil); status != 401 {
			t.Errorf("%s of a disabled user: %d, want 401", who, status)
		}
	}
	if _, err := e.accounts.SetDisabled(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.do("keyChatA", "GET", "/api/v1/conversations", "", nil); status != 200 {
		t.Errorf("key after the user was enabled again: %d, want 200", status)
	}
	if status, _ := e.do("memberA", "GET", "/api/v1/conversations", "", nil); status != 401 {
		t.Errorf("session ended by disabling came back: %d", status)
	}
}

// TestOpenModeAndSetup: on loopback with no user everything is open; the
// setup token makes the first admin once, who adopts open mode's
// conversations; then credentials are required.
func TestOpenModeAndSetup(t *testing.T) {
	for _, loopback := range []bool{true, false} {
		t.Run(fmt.Sprint("loopback=", loopback), func(t *testing.T) {
			e := newAccessEnv(t, "sqlite", loopback)
			want := map[bool]int{true: 200, false: 401}[loopback]
			status, body := e.json("anonymous", "POST", "/api/v1/chat", map[string]string{"message": "SSE"})
			if status != want {
				t.Fatalf("anonymous chat = %d, want %d (%s)", status, want, body)
			}
			openConv := jsonField(body, "conversation_id")
			token, err := e.accounts.SetupToken(context.Background())
			if err != nil || token == "" {
				t.Fatalf("SetupToken = %q, %v", token, err)
			}
			setup := map[string]string{"token": token, "email": "root@example.com", "password": "a long enough password"}
			status, body = e.json("anonymous", "POST", "/api/v1/auth/setup", setup)
			if status != 201 {
				t.Fatalf("setup = %d %s", status, body)
			}
			if status, _ := e.json("anonymous", "POST", "/api/v1/auth/setup", setup); status != 401 {
				t.Errorf("second setup with the same token = %d, want 401", status)
			}
			if status, _ := e.do("anonymous", "GET", "/api/v1/conversations", "", nil); status != 401 {
				t.Errorf("anonymous after the first user = %d, want 401", status)
			}
			_, tok, err := e.accounts.Login(context.Background(), "root@example.com", "a long enough password", "192.0.2.9")
			if err != nil {
				t.Fatal(err)
			}
			e.creds["root"] = func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok}) }
			if loopback {
				if status, body := e.do("root", "GET", "/api/v1/conversations/"+openConv, "", nil); status != 200 {
					t.Errorf("the first admin's adopted conversation = %d %s", status, body)
				}
			}
		})
	}
}

// TestLoginThrottle: a wrong password is 401 like an unknown email; after
// a few failures the account is refused with 429 and Retry-After, even
// with the right password.
func TestLoginThrottle(t *testing.T) {
	e := newAccessEnv(t, "sqlite", false)
	e.user("memberA", auth.RoleMember)
	login := func(email, pw string) (int, http.Header) {
		b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		resp, err := http.Post(e.url+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if status, _ := login("nobody@example.com", "whatever password"); status != 401 {
		t.Fatalf("unknown email = %d", status)
	}
	for range 4 {
		if status, _ := login("memberA@example.com", "wrong password!"); status != 401 {
			t.Fatalf("wrong password = %d", status)
		}
	}
	status, hdr := login("memberA@example.com", "a long enough password")
	if status != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures = %d, Retry-After %q; want 429 with Retry-After", status, hdr.Get("Retry-After"))
	}
}
