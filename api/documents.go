package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	v1 "ragchat/api/v1"
	"ragchat/extract"
	"ragchat/rag"
)

// AddDocumentInput adds a document from JSON text.
type AddDocumentInput struct {
	Body v1.DocumentInput
}

// UploadForm is a document upload: the file and optional details.
type UploadForm struct {
	File   huma.FormFile `form:"file" contentType:"text/markdown,text/plain,text/html,application/pdf,application/octet-stream" required:"true" doc:"Markdown (.md, .markdown), plain text (.txt), HTML (.html, .htm) or PDF (.pdf). The declared type wins over the file name's extension; application/octet-stream is sniffed."`
	Title  string        `form:"title" required:"false" maxLength:"500" doc:"Default: the HTML <title> or PDF title, else the first heading or line."`
	URL    string        `form:"url" required:"false" doc:"A link to the original, shown with citations."`
	Source string        `form:"source" required:"false" doc:"Where it came from, e.g. a path or URL; a new file at the same source replaces the old version. Without it, every different file is a new document."`
}

// UploadDocumentInput adds a document from an uploaded file.
type UploadDocumentInput struct {
	RawBody huma.MultipartFormFiles[UploadForm]
}

// DocumentOutput is one document.
type DocumentOutput struct {
	Status int
	Body   v1.Document
}

// DocumentListOutput is a page of documents.
type DocumentListOutput struct {
	Body v1.DocumentList
}

// DocumentIDInput names a document.
type DocumentIDInput struct {
	ID string `path:"id"`
}

func (s *server) registerDocuments(api huma.API) {
	register(s, api, accessDocsWrite, huma.Operation{
		OperationID:   "add-document",
		Method:        http.MethodPost,
		Path:          "/api/v1/documents",
		Summary:       "Add a document from text",
		Description:   "Chunks, embeds and indexes the text. The same text again returns the existing document with 200; a new text at the same source replaces the old version. 201 when created. Files (Markdown, text, HTML, PDF) go to POST /api/v1/documents/upload.",
		Tags:          []string{"documents"},
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  s.cfg.MaxUploadBytes,
		Errors:        []int{http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *AddDocumentInput) (*DocumentOutput, error) {
		doc := rag.Document{Title: in.Body.Title, Text: in.Body.Text, URL: in.Body.URL, Source: in.Body.Source, Metadata: in.Body.Metadata, ContentType: "text/markdown"}
		saved, created, err := s.deps.Documents.Add(ctx, doc)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		out := &DocumentOutput{Status: http.StatusCreated, Body: wireDocument(saved)}
		if !created {
			out.Status = http.StatusOK
		}
		return out, nil
	})
	declareAlsoOK(api, http.MethodPost, "/api/v1/documents", "The same text was already there: the existing document, unchanged.")
	register(s, api, accessDocsWrite, huma.Operation{
		OperationID:   "upload-document",
		Method:        http.MethodPost,
		Path:          "/api/v1/documents/upload",
		Summary:       "Add a document from a file",
		Description:   "multipart/form-data with a `file` part: " + extract.Supported + ". The text is extracted (HTML without scripts and styles, headings kept; the PDF text layer) and then added as by add-document: 201 when created, 200 with the existing document when the same text was already there. 413 over the upload limit or a per-document cap (PDF pages, characters, chunks, decoded PDF content), 415 for other types, 422 when the file has no text, cannot be read (a corrupt PDF) or takes longer than the extraction budget, 408 when the body is not received within the upload read timeout, 503 with Retry-After while the server already reads as many uploads as it allows at once.",
		Tags:          []string{"documents"},
		DefaultStatus: http.StatusCreated,
		MaxBodyBytes:  s.cfg.MaxUploadBytes,
		// The body is read, under UploadReadTimeout, by limitUpload.
		BodyReadTimeout: -1,
		Middlewares:     huma.Middlewares{s.limitUpload(api)},
		Errors:          []int{http.StatusBadRequest, http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *UploadDocumentInput) (*DocumentOutput, error) {
		form := in.RawBody.Data()
		f := form.File
		defer f.Close()
		if f.Size > s.cfg.MaxUploadBytes {
			return nil, s.problem(ctx, tooLarge(s.cfg.MaxUploadBytes), "")
		}
		data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxUploadBytes+1))
		if err != nil {
			return nil, s.problem(ctx, fmt.Errorf("upload: read file: %w", err), "")
		}
		res, err := s.deps.Extract.File(ctx, f.Filename, declaredType(in.RawBody.Form.File["file"]), data)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		// Without a source, uploads never replace each other: two people's
		// "notes.pdf" are different documents (the same text is still
		// stored once, by its hash).
		source := strings.TrimSpace(form.Source)
		title := strings.TrimSpace(form.Title)
		if title == "" {
			title = res.Title
		}
		doc := rag.Document{Title: title, Text: res.Text, URL: form.URL, Source: source, ContentType: res.ContentType}
		saved, created, err := s.deps.Documents.Add(ctx, doc)
		if err != nil {
			return nil, s.problem(ctx, err, "body.")
		}
		out := &DocumentOutput{Status: http.StatusCreated, Body: wireDocument(saved)}
		if !created {
			out.Status = http.StatusOK
		}
		return out, nil
	})
	declareAlsoOK(api, http.MethodPost, "/api/v1/documents/upload", "The same text was already there: the existing document, unchanged.")
	register(s, api, accessChat, huma.Operation{
		OperationID: "list-documents",
		Method:      http.MethodGet,
		Path:        "/api/v1/documents",
		Summary:     "List documents, newest first",
		Description: "One page of documents, newest first, without their text. Pass the returned `next_cursor` as `cursor` for the next page; it is absent on the last page.",
		Tags:        []string{"documents"},
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *PageInput) (*DocumentListOutput, error) {
		docs, next, err := s.deps.Documents.ListDocuments(ctx, in.Cursor, in.Limit)
		if err != nil {
			return nil, s.problem(ctx, err, "query.")
		}
		out := &DocumentListOutput{Body: v1.DocumentList{Documents: make([]v1.Document, len(docs)), NextCursor: next}}
		for i, d := range docs {
			out.Body.Documents[i] = wireDocument(d)
		}
		return out, nil
	})
	register(s, api, accessChat, huma.Operation{
		OperationID: "get-document",
		Method:      http.MethodGet,
		Path:        "/api/v1/documents/{id}",
		Summary:     "Get a document (without its text)",
		Description: "The document's title, source, content type, text hash and chunk count. 404 when there is no such document.",
		Tags:        []string{"documents"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *DocumentIDInput) (*DocumentOutput, error) {
		d, err := s.deps.Documents.Document(ctx, in.ID)
		if err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return &DocumentOutput{Status: http.StatusOK, Body: wireDocument(d)}, nil
	})
	register(s, api, accessDocsWrite, huma.Operation{
		OperationID:   "delete-document",
		Method:        http.MethodDelete,
		Path:          "/api/v1/documents/{id}",
		Summary:       "Delete a document and its chunks from the index",
		Description:   "Removes the document and its chunks from the database and the search index, so later answers cannot cite it. 204 on success, 404 when there is no such document.",
		Tags:          []string{"documents"},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *DocumentIDInput) (*struct{}, error) {
		if err := s.deps.Documents.Delete(ctx, in.ID); err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return nil, nil
	})
}

func wireDocument(d rag.Document) v1.Document {
	return v1.Document{
		ID: d.ID, Title: d.Title, URL: d.URL, Source: d.Source, ContentType: d.ContentType, Hash: d.Hash,
		ChunkCount: d.ChunkCount, Metadata: d.Metadata, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

// limitUpload enforces the upload limits before huma parses the form (it
// applies MaxBodyBytes only to bodies it reads itself, and would otherwise
// spool any size to disk): at most MaxConcurrentUploads at once (503 with
// Retry-After beyond), a declared Content-Length over the limit refused at
// once, a body that turns out longer ending in the same 413, and a read
// deadline set before the form is read, so that a slow body ends in 408
// instead of holding a connection and a temporary file.
func (s *server) limitUpload(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		r, w := humago.Unwrap(ctx)
		select {
		case s.uploads <- struct{}{}:
			defer func() { <-s.uploads }()
		default:
			ctx.SetHeader("Retry-After", "5")
			huma.WriteErr(api, ctx, http.StatusServiceUnavailable, fmt.Sprintf("the server is already reading %d uploads; try again shortly", cap(s.uploads)))
			return
		}
		limit := s.cfg.MaxUploadBytes + 64<<10 // room for the form's own framing
		if r.ContentLength > limit {
			writeTooLarge(api, ctx, s.cfg.MaxUploadBytes)
			return
		}
		if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UploadReadTimeout)); err != nil {
			s.log.WarnContext(r.Context(), "upload: cannot set the read deadline", "err", err)
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		err := r.ParseMultipartForm(1 << 20)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if err != nil {
			var mbe *http.MaxBytesError
			var ne net.Error
			switch {
			case errors.As(err, &mbe):
				writeTooLarge(api, ctx, s.cfg.MaxUploadBytes)
			case errors.As(err, &ne) && ne.Timeout():
				huma.WriteErr(api, ctx, http.StatusRequestTimeout, fmt.Sprintf("the upload was not received within %s", s.cfg.UploadReadTimeout))
			case errors.Is(err, http.ErrNotMultipart):
				huma.WriteErr(api, ctx, http.StatusUnsupportedMediaType, "send multipart/form-data with a file part (JSON text goes to POST /api/v1/documents)")
			default:
				huma.WriteErr(api, ctx, http.StatusBadRequest, "cannot read the multipart form: "+err.Error())
			}
			return
		}
		// huma would fail an empty part while sniffing its type, with a
		// message about media types; say what is wrong instead.
		if fhs := r.MultipartForm.File["file"]; len(fhs) == 1 && fhs[0].Size == 0 {
			huma.WriteErr(api, ctx, http.StatusUnprocessableEntity, "file has no text", &huma.ErrorDetail{Message: "has no text", Location: "body.file"})
			return
		}
		next(ctx)
	}
}

func writeTooLarge(api huma.API, ctx huma.Context, limit int64) {
	fe := tooLarge(limit).(*rag.FieldError)
	huma.WriteErr(api, ctx, http.StatusRequestEntityTooLarge, fe.Field+" "+fe.Message, &huma.ErrorDetail{Message: fe.Message, Location: "body.file"})
}

func tooLarge(limit int64) error {
	return &rag.FieldError{Field: "file", Kind: rag.ErrTooLarge, Message: fmt.Sprintf("is larger than the upload limit of %s", sizeString(limit))}
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// declaredType is the Content-Type the client gave the file part (huma
// fills in a sniffed one when there is none, which would hide "none").
func declaredType(fhs []*multipart.FileHeader) string {
	if len(fhs) == 0 {
		return ""
	}
	return fhs[0].Header.Get("Content-Type")
}
