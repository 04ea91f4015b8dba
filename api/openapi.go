package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/yaml"
)

// This file shapes the OpenAPI document for the people who generate
// clients from it: schema names that read well in any language, the
// statuses Huma's request decoding can answer, examples that work as they
// are, and a 3.0 variant that is valid OpenAPI 3.0.3. ragchat serves the
// documents itself (Huma's handlers would emit the 3.0 variant unfixed).

// schemaNames renames Go types whose names would mislead or collide in
// generated clients: "Error" shadows JavaScript's Error, and generators
// derive "<operation>Response" names that clash with ChatResponse and
// SearchResponse.
var schemaNames = map[string]string{
	"ragchat/api/v1.Error":                         "RunError",
	"ragchat/api/v1.ChatResponse":                  "ChatAnswer",
	"ragchat/api/v1.SearchResponse":                "SearchResults",
	"github.com/danielgtaylor/huma/v2.ErrorModel":  "Problem",
	"github.com/danielgtaylor/huma/v2.ErrorDetail": "ProblemDetail",
}

// hintNames renames the schemas of anonymous response bodies, which Huma
// names after the Go output type ("HealthOutputBody").
var hintNames = map[string]string{
	"HealthOutputBody": "Health",
	"StopOutputBody":   "StopResult",
}

// schemaName names component schemas: the renames above, else Huma's default.
func schemaName(t reflect.Type, hint string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() != "" {
		if name, ok := schemaNames[t.PkgPath()+"."+t.Name()]; ok {
			return name
		}
	} else if name, ok := hintNames[hint]; ok {
		return name
	}
	return huma.DefaultSchemaNamer(t, hint)
}

// tagDescriptions documents the operation groups (every tag an operation
// uses must have one: TestOpenAPITags).
var tagDescriptions = map[string]string{
	"chat":          "Ask questions and get cited answers: streamed (Server-Sent Events) or whole (REST). Runs can be followed, resumed and stopped.",
	"conversations": "Stored conversations and their messages.",
	"documents":     "The corpus the answers are drawn from: add text or files, list, read and delete documents.",
	"search":        "Retrieval alone: the passages a question would be answered from.",
	"health":        "Liveness and readiness probes.",
	"auth":          "Sign in and out with a local account (a session cookie), make the first admin, and see who a credential belongs to. Open mode (loopback, no user) needs no credentials.",
	"keys":          "API keys for programs and generated clients: sent as `Authorization: Bearer <key>`, shown once at creation, scoped (chat, documents:write, admin), revocable.",
	"users":         "Accounts, for admins: add, list, disable (which stops the user's sessions and keys at once) and reset passwords.",
}

// requestExamples are the request bodies Swagger UI's "Try it out" fills
// in, by body schema. They must work as they are against a server with the
// sample corpus (TestOpenAPIExamplesWork).
var requestExamples = map[string]any{
	"ChatRequest":   map[string]any{"message": "What is Server-Sent Events?"},
	"SearchRequest": map[string]any{"query": "Server-Sent Events reconnect", "k": 3},
	"DocumentInput": map[string]any{
		"title":  "Release notes 1.2",
		"text":   "# Release notes 1.2\n\nStreaming answers now resume after a dropped connection.",
		"source": "docs/release-notes-1.2.md",
	},
	"LoginRequest":      map[string]any{"email": "ana@example.com", "password": "correct horse battery"},
	"SetupRequest":      map[string]any{"token": "the token serve printed", "email": "admin@example.com", "password": "correct horse battery"},
	"CreateUserRequest": map[string]any{"email": "bo@example.com", "password": "correct horse battery", "role": "member"},
	"UpdateUserRequest": map[string]any{"disabled": true},
	"CreateKeyRequest":  map[string]any{"name": "nightly eval", "scopes": []string{"chat"}},
}

// bodyStatuses are what Huma answers for a request body it cannot take:
// malformed (400), over the size limit (413), of another content type
// (415) or failing the schema (422).
var bodyStatuses = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}

// polish completes the generated document once every operation is registered.
func polish(o *huma.OpenAPI) {
	if len(o.Servers) == 0 {
		o.Servers = []*huma.Server{{URL: "/", Description: "The server that serves this document."}}
	}
	problem := o.Components.Schemas.Schema(reflect.TypeFor[huma.ErrorModel](), true, "")
	// Huma registers the FormFile of a multipart upload although the
	// upload's schema describes the part inline.
	delete(o.Components.Schemas.Map(), "FormFile")

	used := map[string]bool{}
	for _, item := range o.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op == nil {
				continue
			}
			for _, tag := range op.Tags {
				used[tag] = true
			}
			if op.RequestBody == nil {
				continue
			}
			// Every body-taking operation needs its body.
			op.RequestBody.Required = true
			for _, status := range bodyStatuses {
				declareProblem(op, status, problem)
			}
			for _, mt := range op.RequestBody.Content {
				if mt.Schema == nil || mt.Schema.Ref == "" {
					continue
				}
				if ex, ok := requestExamples[refName(mt.Schema.Ref)]; ok {
					mt.Example = ex
				}
			}
		}
	}
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	sort.Strings(names)
	o.Tags = o.Tags[:0]
	for _, name := range names {
		o.Tags = append(o.Tags, &huma.Tag{Name: name, Description: tagDescriptions[name]})
	}
}

// declareProblem adds a problem+json response for status unless declared.
func declareProblem(op *huma.Operation, status int, problem *huma.Schema) {
	code := fmt.Sprint(status)
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	if _, ok := op.Responses[code]; ok {
		return
	}
	op.Responses[code] = &huma.Response{
		Description: http.StatusText(status),
		Content: map[string]*huma.MediaType{
			"application/problem+json": {Schema: problem},
		},
	}
}

// declareAlsoOK documents a 200 beside an operation's 201, with the same
// body: the resource was already there.
func declareAlsoOK(api huma.API, method, path, description string) {
	item := api.OpenAPI().Paths[path]
	op := map[string]*huma.Operation{http.MethodPost: item.Post, http.MethodPut: item.Put}[method]
	created := op.Responses[fmt.Sprint(http.StatusCreated)]
	op.Responses[fmt.Sprint(http.StatusOK)] = &huma.Response{Description: description, Content: created.Content}
}

func refName(ref string) string {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == '/' {
			return ref[i+1:]
		}
	}
	return ref
}

// SpecDocument returns one of the API's OpenAPI documents without serving it.
func SpecDocument(doc Document) ([]byte, error) {
	return (&documents{spec: Spec()}).get(doc)
}

// A Document is one of the served OpenAPI documents.
type Document struct {
	Version string // "3.1" or "3.0"
	Format  string // "json" or "yaml"
}

// Documents are the served OpenAPI documents, made once on first use.
type documents struct {
	spec *huma.OpenAPI
	once sync.Once
	err  error
	docs map[Document][]byte
}

func (d *documents) get(doc Document) ([]byte, error) {
	d.once.Do(func() { d.docs, d.err = render(d.spec) })
	if d.err != nil {
		return nil, d.err
	}
	b, ok := d.docs[doc]
	if !ok {
		return nil, fmt.Errorf("openapi: no %s document in %s (versions 3.1, 3.0; formats json, yaml)", doc.Version, doc.Format)
	}
	return b, nil
}

// render makes the four documents.
func render(spec *huma.OpenAPI) (map[Document][]byte, error) {
	json31, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi: marshal: %w", err)
	}
	json30, err := downgrade(spec)
	if err != nil {
		return nil, err
	}
	docs := map[Document][]byte{{"3.1", "json"}: json31, {"3.0", "json"}: json30}
	for v, b := range map[string][]byte{"3.1": json31, "3.0": json30} {
		var y bytes.Buffer
		if err := yaml.Convert(&y, bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("openapi: yaml: %w", err)
		}
		docs[Document{v, "yaml"}] = y.Bytes()
	}
	return docs, nil
}

// downgrade is Huma's 3.1 → 3.0.3 conversion, completed: 3.0 has no
// contentMediaType or contentEncoding (a binary part is format: binary,
// which Huma also writes).
func downgrade(spec *huma.OpenAPI) ([]byte, error) {
	b, err := spec.Downgrade()
	if err != nil {
		return nil, fmt.Errorf("openapi: downgrade: %w", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi: downgrade: %w", err)
	}
	strip30(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: downgrade: %w", err)
	}
	return out, nil
}

func strip30(v any) {
	switch v := v.(type) {
	case map[string]any:
		if v["format"] == "binary" {
			delete(v, "contentMediaType")
			delete(v, "contentEncoding")
		}
		for _, child := range v {
			strip30(child)
		}
	case []any:
		for _, child := range v {
			strip30(child)
		}
	}
}

// serveDocuments registers /openapi.json, /openapi.yaml and the 3.0 variants.
func serveDocuments(mux *http.ServeMux, docs *documents, log *slog.Logger) {
	for _, d := range []struct {
		path string
		doc  Document
		ct   string
	}{
		{"/openapi.json", Document{"3.1", "json"}, "application/openapi+json"},
		{"/openapi.yaml", Document{"3.1", "yaml"}, "application/openapi+yaml"},
		{"/openapi-3.0.json", Document{"3.0", "json"}, "application/openapi+json"},
		{"/openapi-3.0.yaml", Document{"3.0", "yaml"}, "application/openapi+yaml"},
	} {
		mux.HandleFunc("GET "+d.path, func(w http.ResponseWriter, r *http.Request) {
			b, err := docs.get(d.doc)
			if err != nil {
				log.Error("openapi document", "err", err)
				http.Error(w, "internal server error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", d.ct)
			w.Write(b)
		})
	}
}
