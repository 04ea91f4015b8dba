// Package estest is an HTTP stand-in for a single-node Elasticsearch 8,
// for tests of search/elastic (Elasticsearch cannot be installed where the
// tests run). It answers exactly the calls that package makes, the way
// Elasticsearch 8.19 does: the X-Elastic-Product header on every answer,
// the compatible-with=8 media types, index and alias management, bulk with
// one item per action and per-item errors, delete_by_query, _msearch with
// exact kNN (cosine) and BM25 computed from what was indexed, _count, and
// Elasticsearch-style error bodies.
//
// It is strict where Elasticsearch is strict (unknown mapping parameters,
// unknown search keys, num_candidates < k, vectors of the wrong dimension,
// zero vectors under cosine, a bulk body without its final newline), and
// stricter where that catches mistakes: documents become searchable only
// after a refresh (there is no periodic refresh), and a bulk into a missing
// index fails instead of auto-creating it. Every request is recorded for
// tests to check, and faults (error statuses, cut connections, hangs,
// refused bulk items) can be injected.
package estest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Version is the Elasticsearch version the stand-in claims to be.
const Version = "8.19.7"

// Options configure a Server.
type Options struct {
	// Nori makes the "nori" analyzer available, as if the analysis-nori
	// plugin were installed.
	Nori bool
	// When set, requests must authenticate with this API key (the base64
	// form the client sends) or this username and password.
	APIKey             string
	Username, Password string
}

// Request is a recorded request and the status it was answered with.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int // 0 when the connection was cut
}

// Lines returns the non-empty lines of an NDJSON body (bulk, _msearch).
func (r Request) Lines() []string {
	var out []string
	for _, l := range strings.Split(string(r.Body), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// Fault is an injected failure for the next matching requests.
type Fault struct {
	Method string // "" matches any
	Path   string // substring of the path, e.g. "_msearch"; "" matches any
	Times  int    // how many matching requests it hits; 0 means 1, negative means all

	Status       int    // answer with this status and an Elasticsearch error body
	RawBody      string // with Status: send this body instead (a proxy's HTML page)
	Type, Reason string // of that error; defaults depend on the status
	Cut          bool   // close the connection without answering
	CutMidBody   bool   // send the status and half a body, then close
	Hang         bool   // answer nothing until the client gives up
}

// ItemFault makes the bulk item for one document id fail once.
type ItemFault struct {
	ID           string
	Status       int
	Type, Reason string
}

// Server is the stand-in. It is an http.Handler; NewServer also starts it.
type Server struct {
	opts Options
	URL  string // set by NewServer
	ts   *httptest.Server

	mu         sync.Mutex
	indices    map[string]*index
	aliases    map[string]string // alias → index
	requests   []Request
	faults     []*Fault
	itemFaults map[string]ItemFault
}

// New returns a stand-in that is not listening; serve it yourself.
func New(opts Options) *Server {
	return &Server{opts: opts, indices: map[string]*index{}, aliases: map[string]string{}, itemFaults: map[string]ItemFault{}}
}

// NewServer starts a stand-in on a local port. Close it when done.
func NewServer(opts Options) *Server {
	s := New(opts)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// Close stops a server started by NewServer, cutting hung requests.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// FailItem makes the next bulk action on document id f.ID fail with f.
func (s *Server) FailItem(f ItemFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.itemFaults[f.ID] = f
}

// Requests returns the requests so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the recorded requests whose method is method (any
// when "") and whose path ends with suffix.
func (s *Server) RequestsTo(method, suffix string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// Aliases returns which index each alias points at.
func (s *Server) Aliases() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.aliases))
	for a, i := range s.aliases {
		out[a] = i
	}
	return out
}

// Indices returns the names of the existing indices.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.indices))
	for name := range s.indices {
		out = append(out, name)
	}
	return sortStrings(out)
}

// Mapping returns the mapping an index was created with, as sent.
func (s *Server) Mapping(index string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix, ok := s.indices[s.resolveLocked(index)]; ok {
		return ix.mappingRaw
	}
	return nil
}

// DocCount returns how many documents an index holds, refreshed or not.
func (s *Server) DocCount(index string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix, ok := s.indices[s.resolveLocked(index)]; ok {
		return len(ix.live)
	}
	return 0
}

// resolveLocked maps an alias to its index; other names map to themselves.
func (s *Server) resolveLocked(name string) string {
	if ix, ok := s.aliases[name]; ok {
		return ix
	}
	return name
}

// answer is what a handler returns: a status and a JSON body.
type answer struct {
	status int
	body   any
}

func ok(body any) answer { return answer{http.StatusOK, body} }

// esError builds an Elasticsearch error answer.
func esError(status int, typ, format string, args ...any) answer {
	reason := fmt.Sprintf(format, args...)
	cause := map[string]any{"type": typ, "reason": reason}
	return answer{status, map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	}}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	fault := s.takeFaultLocked(r)
	s.mu.Unlock()

	// Every answer carries the product header, errors included.
	w.Header().Set("X-Elastic-Product", "Elasticsearch")

	var a answer
	switch {
	case fault != nil && fault.Hang:
		s.record(rec, 0)
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		panic(http.ErrAbortHandler)
	case fault != nil && fault.Cut:
		s.record(rec, 0)
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case fault != nil && fault.CutMidBody:
		s.record(rec, 0)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"took":1,"responses":[{"hits":{"hits":[{"_id":`))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	case fault != nil && fault.RawBody != "":
		s.record(rec, fault.Status)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(fault.Status)
		_, _ = io.WriteString(w, fault.RawBody)
		return
	case fault != nil:
		a = faultAnswer(fault)
	default:
		a = s.check(r)
		if a.status == 0 {
			a = s.route(r, body)
		}
	}
	s.record(rec, a.status)
	if a.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="security", charset="UTF-8"`)
		w.Header().Add("WWW-Authenticate", "ApiKey")
	}
	w.Header().Set("Content-Type", contentType(r))
	if r.Method == http.MethodHead {
		w.WriteHeader(a.status)
		return
	}
	data, err := json.Marshal(a.body)
	if err != nil {
		data, _ = json.Marshal(esError(500, "exception", "estest: %v", err).body)
		a.status = 500
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(data)
}

func (s *Server) record(rec Request, status int) {
	rec.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

func (s *Server) takeFaultLocked(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.Path, f.Path) {
			if f.Times > 0 {
				f.Times--
				if f.Times == 0 {
					s.faults = append(s.faults[:i], s.faults[i+1:]...)
				}
			}
			return f
		}
	}
	return nil
}

func faultAnswer(f *Fault) answer {
	typ, reason := f.Type, f.Reason
	if typ == "" {
		switch f.Status {
		case http.StatusTooManyRequests:
			typ = "es_rejected_execution_exception"
			reason = "rejected execution of coordinating operation [queue capacity 1000]"
		case http.StatusUnauthorized, http.StatusForbidden:
			typ = "security_exception"
			reason = "action is unauthorized"
		case http.StatusServiceUnavailable:
			typ = "cluster_block_exception"
			reason = "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"
		default:
			typ = "exception"
			reason = "injected failure"
		}
	}
	return esError(f.Status, typ, "%s", reason)
}

// check enforces authentication and the media types Elasticsearch 8
// accepts; a zero answer means the request may proceed.
func (s *Server) check(r *http.Request) answer {
	if s.opts.APIKey != "" || s.opts.Username != "" {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			return esError(401, "security_exception", "missing authentication credentials for REST request [%s]", r.URL.RequestURI())
		}
		// The scheme is case-insensitive (the Go client sends "APIKey").
		scheme, cred, _ := strings.Cut(auth, " ")
		good := s.opts.APIKey != "" && strings.EqualFold(scheme, "ApiKey") && cred == s.opts.APIKey
		if s.opts.Username != "" && strings.EqualFold(scheme, "Basic") {
			good = good || cred == base64.StdEncoding.EncodeToString([]byte(s.opts.Username+":"+s.opts.Password))
		}
		if !good {
			return esError(401, "security_exception", "unable to authenticate with provided credentials and anonymous access is not allowed for this request")
		}
	}
	acceptV, okA := mediaVersion(r.Header.Get("Accept"), false)
	if !okA {
		return esError(400, "media_type_header_exception", "Invalid media-type value on headers [Accept]")
	}
	contentV, okC := 0, true
	if r.ContentLength != 0 && r.Method != http.MethodGet && r.Method != http.MethodHead {
		contentV, okC = mediaVersion(r.Header.Get("Content-Type"), true)
		if !okC {
			return answer{406, map[string]any{"error": fmt.Sprintf("Content-Type header [%s] is not supported", r.Header.Get("Content-Type")), "status": 406}}
		}
	}
	if (acceptV != 0 || contentV != 0) && contentV != 0 && acceptV != contentV {
		return esError(400, "media_type_header_exception",
			"A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept=%s, Content-Type=%s",
			r.Header.Get("Accept"), r.Header.Get("Content-Type"))
	}
	return answer{}
}

// mediaVersion parses a media type Elasticsearch 8 accepts and returns
// its compatible-with version (0 when plain JSON).
func mediaVersion(v string, body bool) (int, bool) {
	if v == "" || (!body && v == "*/*") {
		return 0, !body
	}
	mt, params, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(v, " ", "")), ";")
	switch mt {
	case "application/json", "application/x-ndjson":
		return 0, true
	case "application/vnd.elasticsearch+json", "application/vnd.elasticsearch+x-ndjson":
		for _, p := range strings.Split(params, ";") {
			if p == "compatible-with=8" {
				return 8, true
			}
			if p == "compatible-with=7" {
				return 7, true
			}
		}
	}
	return 0, false
}

// contentType echoes the compatible media type the client asked for.
func contentType(r *http.Request) string {
	if v, _ := mediaVersion(r.Header.Get("Accept"), false); v != 0 {
		return fmt.Sprintf("application/vnd.elasticsearch+json;compatible-with=%d", v)
	}
	return "application/json"
}

// decodeStrict decodes JSON into v refusing unknown keys, as
// Elasticsearch's parsers do.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
