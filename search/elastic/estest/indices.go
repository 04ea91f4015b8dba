package estest

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// field is one field of a mapping (or a sub-field under "fields").
type field struct {
	Type         string            `json:"type"`
	Analyzer     string            `json:"analyzer,omitempty"`
	Fields       map[string]*field `json:"fields,omitempty"`
	Dims         *int              `json:"dims,omitempty"`
	Index        *bool             `json:"index,omitempty"`
	Similarity   string            `json:"similarity,omitempty"`
	IndexOptions *struct {
		Type               string   `json:"type"`
		M                  *int     `json:"m,omitempty"`
		EfConstruction     *int     `json:"ef_construction,omitempty"`
		ConfidenceInterval *float64 `json:"confidence_interval,omitempty"`
	} `json:"index_options,omitempty"`
	IgnoreAbove *int   `json:"ignore_above,omitempty"`
	DocValues   *bool  `json:"doc_values,omitempty"`
	ElementType string `json:"element_type,omitempty"`
}

type mappings struct {
	Dynamic    json.RawMessage   `json:"dynamic,omitempty"`
	Properties map[string]*field `json:"properties,omitempty"`
}

// params lists the mapping parameters each field type accepts here.
var params = map[string]map[string]bool{
	"text":         set("type", "analyzer", "fields", "index"),
	"keyword":      set("type", "ignore_above", "index", "doc_values", "fields"),
	"integer":      set("type", "index", "doc_values"),
	"long":         set("type", "index", "doc_values"),
	"dense_vector": set("type", "dims", "index", "similarity", "index_options", "element_type"),
}

var similarities = set("cosine", "dot_product", "l2_norm", "max_inner_product")
var vectorIndexTypes = set("hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw", "flat", "int8_flat", "int4_flat", "bbq_flat")

// index is one index: its mapping and documents. live holds every write;
// visible is what searches see, copied from live by a refresh.
type index struct {
	name       string
	mappingRaw json.RawMessage
	m          mappings
	strict     bool
	live       map[string]*doc
	visible    map[string]*doc
	seq        int
}

func (ix *index) refresh() { ix.visible = maps.Clone(ix.live) }

// lookup finds a field by dotted path ("text.ko").
func (ix *index) lookup(path string) *field {
	name, sub, hasSub := strings.Cut(path, ".")
	f := ix.m.Properties[name]
	if f == nil || !hasSub {
		return f
	}
	return f.Fields[sub]
}

func (s *Server) knownAnalyzer(name string) bool {
	if name == "nori" && !s.opts.Nori {
		return false
	}
	_, ok := analyzers[name]
	return ok
}

// checkField validates one field the way the mapping parser does.
func (s *Server) checkField(path string, f *field, raw json.RawMessage) error {
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys)
	allowed, ok := params[f.Type]
	if !ok {
		if f.Type == "" {
			return fmt.Errorf("No type specified for field [%s]", path)
		}
		return fmt.Errorf("No handler for type [%s] declared on field [%s]", f.Type, path)
	}
	for k := range keys {
		if !allowed[k] {
			return fmt.Errorf("unknown parameter [%s] on mapper [%s] of type [%s]", k, path, f.Type)
		}
	}
	if f.Analyzer != "" && !s.knownAnalyzer(f.Analyzer) {
		return fmt.Errorf("analyzer [%s] has not been configured in mappings", f.Analyzer)
	}
	if f.Type == "dense_vector" {
		if f.Dims == nil {
			return fmt.Errorf("The [dims] property must be specified for field [%s].", path)
		}
		if *f.Dims < 1 || *f.Dims > 4096 {
			return fmt.Errorf("The number of dimensions should be in the range [1, 4096] but was [%d]", *f.Dims)
		}
		if f.Similarity != "" && !similarities[f.Similarity] {
			return fmt.Errorf("Unknown value [%s] for field [similarity] - accepted values are [l2_norm, dot_product, cosine, max_inner_product]", f.Similarity)
		}
		if f.IndexOptions != nil {
			if f.Index != nil && !*f.Index {
				return fmt.Errorf("Field [index_options] requires field [index] to be configured and set to true")
			}
			if !vectorIndexTypes[f.IndexOptions.Type] {
				return fmt.Errorf("Unknown vector index options type [%s] for field [%s]", f.IndexOptions.Type, path)
			}
		}
	}
	var sub map[string]json.RawMessage
	_ = json.Unmarshal(keys["fields"], &sub)
	for name, sf := range f.Fields {
		if sf == nil {
			return fmt.Errorf("Expected map for property [fields] on field [%s]", path)
		}
		if err := s.checkField(path+"."+name, sf, sub[name]); err != nil {
			return err
		}
	}
	return nil
}

// validIndexName applies Elasticsearch's rules for index names.
func validIndexName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("must not be '.' or '..'")
	case strings.ToLower(name) != name:
		return fmt.Errorf("must be lowercase")
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		return fmt.Errorf(`must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]`)
	case strings.IndexAny(name[:1], "_-+") == 0:
		return fmt.Errorf("must not start with '_', '-', or '+'")
	case len(name) > 255:
		return fmt.Errorf("index name is too long, (%d > 255)", len(name))
	}
	return nil
}

func (s *Server) createIndex(name string, body []byte) answer {
	if err := validIndexName(name); err != nil {
		return esError(400, "invalid_index_name_exception", "Invalid index name [%s], %v", name, err)
	}
	var req struct {
		Settings map[string]any            `json:"settings,omitempty"`
		Mappings json.RawMessage           `json:"mappings,omitempty"`
		Aliases  map[string]map[string]any `json:"aliases,omitempty"`
	}
	if len(body) > 0 {
		if err := decodeStrict(body, &req); err != nil {
			return esError(400, "x_content_parse_exception", "[create index] %v", err)
		}
	}
	for k := range flatten("", req.Settings) {
		k = strings.TrimPrefix(k, "index.")
		if k != "number_of_shards" && k != "number_of_replicas" && k != "refresh_interval" {
			return esError(400, "illegal_argument_exception", "unknown setting [index.%s] please check that any required plugins are installed, or check the breaking changes documentation for removed settings", k)
		}
	}
	ix := &index{name: name, mappingRaw: req.Mappings, live: map[string]*doc{}, visible: map[string]*doc{}}
	if len(req.Mappings) > 0 {
		var rawProps struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := decodeStrict(req.Mappings, &ix.m); err != nil {
			return esError(400, "mapper_parsing_exception", "Failed to parse mapping: %v", err)
		}
		_ = json.Unmarshal(req.Mappings, &rawProps)
		for fname, f := range ix.m.Properties {
			if f == nil {
				return esError(400, "mapper_parsing_exception", "Failed to parse mapping: Expected map for property [%s]", fname)
			}
			if err := s.checkField(fname, f, rawProps.Properties[fname]); err != nil {
				return esError(400, "mapper_parsing_exception", "Failed to parse mapping: %v", err)
			}
		}
		switch d := strings.Trim(string(ix.m.Dynamic), `"`); d {
		case "", "true", "false", "runtime":
		case "strict":
			ix.strict = true
		default:
			return esError(400, "mapper_parsing_exception", "Failed to parse mapping: Could not convert [dynamic.dynamic] to boolean")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.indices[name]; exists {
		return esError(400, "resource_already_exists_exception", "index [%s/estest-uuid] already exists", name)
	}
	if _, exists := s.aliases[name]; exists {
		return esError(400, "invalid_index_name_exception", "Invalid index name [%s], already exists as alias", name)
	}
	for a := range req.Aliases {
		if _, exists := s.indices[a]; exists || a == name {
			return esError(400, "invalid_alias_name_exception", "Invalid alias name [%s]: an index or data stream exists with the same name as the alias", a)
		}
		if _, exists := s.aliases[a]; exists {
			// Elasticsearch allows an alias over several indices; the
			// stand-in supports one index per alias only.
			return esError(400, "illegal_argument_exception", "estest: alias [%s] already points at [%s]; the stand-in supports one index per alias", a, s.aliases[a])
		}
	}
	s.indices[name] = ix
	for a := range req.Aliases {
		s.aliases[a] = name
	}
	return ok(map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

func flatten(prefix string, m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			maps.Copy(out, flatten(prefix+k+".", sub))
			continue
		}
		out[prefix+k] = v
	}
	return out
}

func notFoundIndex(name string) answer {
	a := esError(404, "index_not_found_exception", "no such index [%s]", name)
	e := a.body.(map[string]any)["error"].(map[string]any)
	e["resource.type"], e["resource.id"], e["index_uuid"], e["index"] = "index_or_alias", name, "_na_", name
	return a
}

// get resolves name (index or alias) under s.mu.
func (s *Server) getLocked(name string) (*index, bool) {
	ix, ok := s.indices[s.resolveLocked(name)]
	return ix, ok
}

func (s *Server) exists(name string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.getLocked(name); !ok {
		return answer{404, nil}
	}
	return ok(nil)
}

func (s *Server) aliasesOfLocked(index string) map[string]any {
	out := map[string]any{}
	for a, i := range s.aliases {
		if i == index {
			out[a] = map[string]any{}
		}
	}
	return out
}

func (s *Server) getIndex(name string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, found := s.getLocked(name)
	if !found {
		return notFoundIndex(name)
	}
	return ok(map[string]any{ix.name: map[string]any{"aliases": s.aliasesOfLocked(ix.name), "mappings": ix.mappingRaw,
		"settings": map[string]any{"index": map[string]any{"number_of_shards": "1", "number_of_replicas": "1", "provided_name": ix.name}}}})
}

func (s *Server) getMapping(name string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, found := s.getLocked(name)
	if !found {
		return notFoundIndex(name)
	}
	m := ix.mappingRaw
	if len(m) == 0 {
		m = json.RawMessage(`{}`)
	}
	return ok(map[string]any{ix.name: map[string]any{"mappings": m}})
}

func (s *Server) getAlias(indexName, alias string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if alias != "" {
		ix, found := s.aliases[alias]
		if !found {
			return answer{404, map[string]any{"error": fmt.Sprintf("alias [%s] missing", alias), "status": 404}}
		}
		return ok(map[string]any{ix: map[string]any{"aliases": map[string]any{alias: map[string]any{}}}})
	}
	ix, found := s.getLocked(indexName)
	if !found {
		return notFoundIndex(indexName)
	}
	return ok(map[string]any{ix.name: map[string]any{"aliases": s.aliasesOfLocked(ix.name)}})
}

func (s *Server) deleteIndex(name string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, isAlias := s.aliases[name]; isAlias {
		return esError(400, "illegal_argument_exception", "The provided expression [%s] matches an alias, specify the corresponding concrete indices instead.", name)
	}
	if _, found := s.indices[name]; !found {
		return notFoundIndex(name)
	}
	delete(s.indices, name)
	for a, i := range s.aliases {
		if i == name {
			delete(s.aliases, a)
		}
	}
	return ok(map[string]any{"acknowledged": true})
}

// updateAliases applies alias actions atomically: all or none.
func (s *Server) updateAliases(body []byte) answer {
	type target struct {
		Index     string `json:"index"`
		Alias     string `json:"alias,omitempty"`
		MustExist *bool  `json:"must_exist,omitempty"`
	}
	var req struct {
		Actions []map[string]target `json:"actions"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return esError(400, "x_content_parse_exception", "[aliases] %v", err)
	}
	if len(req.Actions) == 0 {
		return esError(400, "action_request_validation_exception", "Validation Failed: 1: no aliases actions specified;")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Apply to a copy; the actions take effect together or not at all.
	aliases := map[string]map[string]bool{}
	for a, i := range s.aliases {
		aliases[a] = map[string]bool{i: true}
	}
	removed := map[string]bool{}
	for _, action := range req.Actions {
		if len(action) != 1 {
			return esError(400, "illegal_argument_exception", "Expected exactly one action per item, got %d", len(action))
		}
		for kind, t := range action {
			if _, found := s.indices[t.Index]; !found || removed[t.Index] {
				return notFoundIndex(t.Index)
			}
			switch kind {
			case "add":
				if t.Alias == "" {
					return esError(400, "action_request_validation_exception", "Validation Failed: 1: alias is missing;")
				}
				if _, clash := s.indices[t.Alias]; clash {
					return esError(400, "invalid_alias_name_exception", "Invalid alias name [%s]: an index or data stream exists with the same name as the alias", t.Alias)
				}
				if aliases[t.Alias] == nil {
					aliases[t.Alias] = map[string]bool{}
				}
				aliases[t.Alias][t.Index] = true
			case "remove":
				if !aliases[t.Alias][t.Index] {
					if t.MustExist != nil && !*t.MustExist {
						continue
					}
					return answer{404, map[string]any{"error": map[string]any{"type": "aliases_not_found_exception", "reason": fmt.Sprintf("aliases [%s] missing", t.Alias)}, "status": 404}}
				}
				delete(aliases[t.Alias], t.Index)
			case "remove_index":
				removed[t.Index] = true
				for _, is := range aliases {
					delete(is, t.Index)
				}
			default:
				return esError(400, "x_content_parse_exception", "[aliases] unknown field [%s]", kind)
			}
		}
	}
	final := map[string]string{}
	for a, is := range aliases {
		if len(is) > 1 {
			// Elasticsearch would let the alias span both indices.
			return esError(400, "illegal_argument_exception", "estest: alias [%s] would point at %d indices; the stand-in supports one index per alias", a, len(is))
		}
		for i := range is {
			final[a] = i
		}
	}
	s.aliases = final
	for name := range removed {
		delete(s.indices, name)
	}
	return ok(map[string]any{"acknowledged": true, "errors": false})
}

func (s *Server) refresh(name string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if name == "" {
		for _, ix := range s.indices {
			ix.refresh()
			n++
		}
	} else {
		ix, found := s.getLocked(name)
		if !found {
			return notFoundIndex(name)
		}
		ix.refresh()
		n = 1
	}
	return ok(map[string]any{"_shards": map[string]any{"total": 2 * n, "successful": n, "failed": 0}})
}

func (s *Server) analyze(indexName string, body []byte) answer {
	var req struct {
		Analyzer string          `json:"analyzer,omitempty"`
		Field    string          `json:"field,omitempty"`
		Text     json.RawMessage `json:"text"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return esError(400, "x_content_parse_exception", "[analyze] %v", err)
	}
	var texts []string
	if json.Unmarshal(req.Text, &texts) != nil {
		var one string
		if json.Unmarshal(req.Text, &one) != nil {
			return esError(400, "action_request_validation_exception", "Validation Failed: 1: text is missing;")
		}
		texts = []string{one}
	}
	name := req.Analyzer
	if req.Field != "" {
		s.mu.Lock()
		ix, found := s.getLocked(indexName)
		var f *field
		if found {
			f = ix.lookup(req.Field)
		}
		s.mu.Unlock()
		if f == nil || f.Analyzer == "" {
			name = "standard"
		} else {
			name = f.Analyzer
		}
	}
	if name == "" {
		name = "standard"
	}
	if !s.knownAnalyzer(name) {
		return esError(400, "illegal_argument_exception", "failed to find global analyzer [%s]", name)
	}
	var out []map[string]any
	pos := 0
	for _, t := range texts {
		ts, _ := analyze(name, t)
		for _, tok := range ts {
			out = append(out, map[string]any{"token": tok.term, "start_offset": tok.start, "end_offset": tok.end, "type": "word", "position": pos})
			pos++
		}
	}
	return ok(map[string]any{"tokens": out})
}
