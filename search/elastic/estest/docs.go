package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// doc is an indexed document with its fields analysed per the mapping.
type doc struct {
	id       string
	seq      int // insertion order, the tie-break of equal scores
	version  int
	source   json.RawMessage
	tokens   map[string][]string  // text field path → terms
	keywords map[string][]string  // keyword/number field → values as strings
	vectors  map[string][]float64 // dense_vector field → vector
}

// parseDoc checks a source document against the mapping and analyses it.
// The error is the Elasticsearch error type and reason of a refused item.
func (s *Server) parseDoc(ix *index, id string, src []byte) (*doc, string, string) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, "document_parsing_exception", fmt.Sprintf("[1:1] failed to parse: %v", err)
	}
	d := &doc{id: id, source: json.RawMessage(bytes.TrimSpace(src)), tokens: map[string][]string{}, keywords: map[string][]string{}, vectors: map[string][]float64{}}
	for name, raw := range fields {
		f := ix.m.Properties[name]
		if f == nil {
			if ix.strict {
				return nil, "strict_dynamic_mapping_exception", fmt.Sprintf("[1:2] mapping set to strict, dynamic introduction of [%s] within [_doc] is not allowed", name)
			}
			continue // dynamic mapping would add it; the stand-in keeps it in _source only
		}
		if string(raw) == "null" {
			continue
		}
		if typ, reason := s.parseField(d, name, f, raw); typ != "" {
			return nil, typ, reason
		}
	}
	return d, "", ""
}

func (s *Server) parseField(d *doc, path string, f *field, raw json.RawMessage) (string, string) {
	fail := func(format string, args ...any) (string, string) {
		return "document_parsing_exception", fmt.Sprintf("[1:2] failed to parse field [%s] of type [%s] in document with id '%s'. ", path, f.Type, d.id) + fmt.Sprintf(format, args...)
	}
	switch f.Type {
	case "dense_vector":
		var v []float64
		if json.Unmarshal(raw, &v) != nil {
			return fail("Preview of field's value: '%s'", preview(raw))
		}
		if len(v) != *f.Dims {
			return "document_parsing_exception", fmt.Sprintf("[1:2] The [dense_vector] field [%s] in doc [document with id '%s'] has a different number of dimensions [%d] than defined in the mapping [%d]", path, d.id, len(v), *f.Dims)
		}
		if similarity(f) == "cosine" && norm(v) == 0 {
			return "document_parsing_exception", fmt.Sprintf("[1:2] failed to parse: The [cosine] similarity does not support vectors with zero magnitude. Preview of invalid vector: %s", preview(raw))
		}
		d.vectors[path] = v
		return "", ""
	}
	values, okScalar := scalars(raw)
	if !okScalar {
		return fail("Preview of field's value: '%s'", preview(raw))
	}
	switch f.Type {
	case "text":
		for _, v := range values {
			ts, _ := analyze(analyzerOf(f), v)
			d.tokens[path] = append(d.tokens[path], terms(ts)...)
		}
		for name, sub := range f.Fields {
			if typ, reason := s.parseField(d, path+"."+name, sub, raw); typ != "" {
				return typ, reason
			}
		}
	case "keyword":
		for _, v := range values {
			if f.IgnoreAbove == nil || len([]rune(v)) <= *f.IgnoreAbove {
				d.keywords[path] = append(d.keywords[path], v)
			}
		}
		for name, sub := range f.Fields {
			if typ, reason := s.parseField(d, path+"."+name, sub, raw); typ != "" {
				return typ, reason
			}
		}
	case "integer", "long":
		for _, v := range values {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n != math.Trunc(n) {
				return fail("For input string: \"%s\"", v)
			}
			d.keywords[path] = append(d.keywords[path], strconv.FormatInt(int64(n), 10))
		}
	}
	return "", ""
}

func analyzerOf(f *field) string {
	if f.Analyzer == "" {
		return "standard"
	}
	return f.Analyzer
}

func similarity(f *field) string {
	if f.Similarity == "" {
		return "cosine" // the default of indexed float vectors in 8.x
	}
	return f.Similarity
}

// scalars returns the string forms of a scalar or an array of scalars.
func scalars(raw json.RawMessage) ([]string, bool) {
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		arr = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(arr))
	for _, r := range arr {
		var v any
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return nil, false
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			out = append(out, strconv.FormatBool(x))
		case nil:
		default:
			return nil, false
		}
	}
	return out, true
}

func preview(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

func norm(v []float64) float64 {
	var n float64
	for _, x := range v {
		n += x * x
	}
	return math.Sqrt(n)
}

// bulkAction is one parsed action of a bulk body.
type bulkAction struct {
	op     string // index, create, delete, update
	index  string
	id     string
	source []byte
}

// parseBulk splits a bulk body into actions, refusing what Elasticsearch
// refuses as a whole request.
func parseBulk(body []byte) ([]bulkAction, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	var out []bulkAction
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		var meta map[string]json.RawMessage
		if err := json.Unmarshal(line, &meta); err != nil || len(meta) != 1 {
			return nil, fmt.Errorf("Malformed action/metadata line [%d], expected START_OBJECT with exactly one action", i+1)
		}
		for op, raw := range meta {
			var m struct {
				Index string `json:"_index,omitempty"`
				ID    string `json:"_id,omitempty"`
			}
			if op != "index" && op != "create" && op != "delete" && op != "update" {
				return nil, fmt.Errorf("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", i+1, op)
			}
			if err := decodeStrict(raw, &m); err != nil {
				return nil, fmt.Errorf("Action/metadata line [%d] contains an unknown parameter: %v", i+1, err)
			}
			a := bulkAction{op: op, index: m.Index, id: m.ID}
			if op != "delete" {
				i++
				if i >= len(lines) || len(bytes.TrimSpace(lines[i])) == 0 {
					return nil, fmt.Errorf("Validation Failed: 1: source is missing for action on line [%d];", i)
				}
				a.source = lines[i]
			}
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Validation Failed: 1: no requests added;")
	}
	return out, nil
}

func refreshParam(r *http.Request, allowWaitFor bool) (bool, error) {
	switch v := r.URL.Query().Get("refresh"); {
	case !r.URL.Query().Has("refresh"), v == "false":
		return false, nil
	case v == "" || v == "true" || (allowWaitFor && v == "wait_for"):
		return true, nil
	default:
		return false, fmt.Errorf("Failed to parse value [%s] as only [true] or [false] are allowed.", v)
	}
}

func (s *Server) bulk(pathIndex string, r *http.Request, body []byte) answer {
	doRefresh, err := refreshParam(r, true)
	if err != nil {
		return esError(400, "illegal_argument_exception", "%v", err)
	}
	actions, err := parseBulk(body)
	if err != nil {
		return esError(400, "illegal_argument_exception", "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]any, 0, len(actions))
	anyErr := false
	touched := map[*index]bool{}
	for _, a := range actions {
		name := a.index
		if name == "" {
			name = pathIndex
		}
		item := map[string]any{"_index": s.resolveLocked(name), "_id": a.id}
		result := func(status int, typ, reason string) {
			item["status"] = status
			if typ != "" {
				anyErr = true
				item["error"] = map[string]any{"type": typ, "reason": reason, "index": item["_index"]}
			}
			items = append(items, map[string]any{a.op: item})
		}
		ix, found := s.getLocked(name)
		if name == "" {
			result(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
			continue
		}
		if !found {
			// Elasticsearch would auto-create the index with dynamic
			// mappings; the stand-in refuses so that tests notice.
			result(404, "index_not_found_exception", fmt.Sprintf("no such index [%s] (the stand-in does not auto-create indices)", name))
			continue
		}
		if f, hit := s.itemFaults[a.id]; hit && a.id != "" {
			delete(s.itemFaults, a.id)
			result(f.Status, f.Type, f.Reason)
			continue
		}
		if a.op == "update" {
			result(400, "illegal_argument_exception", "estest: update actions are not supported by the stand-in")
			continue
		}
		old := ix.live[a.id]
		if a.op == "delete" {
			if old == nil {
				item["result"] = "not_found"
				result(404, "", "")
				continue
			}
			delete(ix.live, a.id)
			touched[ix] = true
			item["result"], item["_version"] = "deleted", old.version+1
			result(200, "", "")
			continue
		}
		if a.op == "create" && old != nil {
			result(409, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", a.id, old.version))
			continue
		}
		id := a.id
		if id == "" {
			ix.seq++
			id = fmt.Sprintf("estest-auto-%d", ix.seq)
			item["_id"] = id
		}
		d, typ, reason := s.parseDoc(ix, id, a.source)
		if typ != "" {
			result(400, typ, reason)
			continue
		}
		ix.seq++
		d.seq, d.version = ix.seq, 1
		status := 201
		item["result"] = "created"
		if old != nil {
			d.version = old.version + 1
			status = 200
			item["result"] = "updated"
		}
		ix.live[id] = d
		touched[ix] = true
		item["_version"], item["_seq_no"], item["_primary_term"] = d.version, d.seq, 1
		item["_shards"] = map[string]any{"total": 2, "successful": 1, "failed": 0}
		if doRefresh {
			item["forced_refresh"] = true
		}
		result(status, "", "")
	}
	if doRefresh {
		for ix := range touched {
			ix.refresh()
		}
	}
	return ok(map[string]any{"took": 1, "errors": anyErr, "items": items})
}

func (s *Server) deleteByQuery(name string, r *http.Request, body []byte) answer {
	doRefresh, err := refreshParam(r, false)
	if err != nil {
		return esError(400, "illegal_argument_exception", "%v", err)
	}
	proceed := false
	switch c := r.URL.Query().Get("conflicts"); c {
	case "", "abort":
	case "proceed":
		proceed = true
	default:
		return esError(400, "illegal_argument_exception", "conflicts may only be \"proceed\" or \"abort\" but was [%s]", c)
	}
	var req struct {
		Query json.RawMessage `json:"query"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return esError(400, "parsing_exception", "[delete_by_query] %v", err)
	}
	if len(req.Query) == 0 {
		return esError(400, "action_request_validation_exception", "Validation Failed: 1: query is missing;")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, found := s.getLocked(name)
	if !found {
		return notFoundIndex(name)
	}
	q, err := parseQuery(req.Query)
	if err != nil {
		return esError(400, "parsing_exception", "%v", err)
	}
	se := newSearcher(ix)
	total, deleted, conflicts := 0, 0, 0
	var failures []any
	for _, d := range se.docs {
		if m, _ := q(se, d); !m {
			continue
		}
		total++
		// The snapshot may be older than the live document: a version
		// conflict, as in Elasticsearch.
		if cur := ix.live[d.id]; cur != d {
			conflicts++
			if !proceed {
				failures = append(failures, map[string]any{"index": ix.name, "id": d.id, "status": 409,
					"cause": map[string]any{"type": "version_conflict_engine_exception", "reason": fmt.Sprintf("[%s]: version conflict", d.id)}})
			}
			continue
		}
		delete(ix.live, d.id)
		deleted++
	}
	// Elasticsearch refreshes only when something was written.
	if doRefresh && deleted > 0 {
		ix.refresh()
	}
	if failures == nil {
		failures = []any{}
	}
	return ok(map[string]any{"took": 1, "timed_out": false, "total": total, "deleted": deleted, "batches": 1,
		"version_conflicts": conflicts, "noops": 0, "retries": map[string]any{"bulk": 0, "search": 0},
		"throttled_millis": 0, "requests_per_second": -1.0, "throttled_until_millis": 0, "failures": failures})
}

func (s *Server) count(name string, body []byte) answer {
	var req struct {
		Query json.RawMessage `json:"query,omitempty"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return esError(400, "parsing_exception", "[count] %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, found := s.getLocked(name)
	if !found {
		return notFoundIndex(name)
	}
	se := newSearcher(ix)
	n := len(se.docs)
	if len(req.Query) > 0 {
		q, err := parseQuery(req.Query)
		if err != nil {
			return esError(400, "parsing_exception", "%v", err)
		}
		n = 0
		for _, d := range se.docs {
			if m, _ := q(se, d); m {
				n++
			}
		}
	}
	return ok(map[string]any{"count": n, "_shards": shards()})
}

func shards() map[string]any {
	return map[string]any{"total": 1, "successful": 1, "skipped": 0, "failed": 0}
}
