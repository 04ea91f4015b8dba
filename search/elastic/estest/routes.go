package estest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// common query parameters every endpoint accepts.
var commonParams = set("pretty", "human", "error_trace", "filter_path")

// endpointParams lists the query parameters of each endpoint; anything
// else is refused, as Elasticsearch refuses unrecognized parameters.
var endpointParams = map[string]map[string]bool{
	"info":       set(),
	"create":     set("wait_for_active_shards", "timeout", "master_timeout"),
	"exists":     set("allow_no_indices", "expand_wildcards", "ignore_unavailable", "local", "include_defaults", "flat_settings"),
	"delete":     set("timeout", "master_timeout", "allow_no_indices", "expand_wildcards", "ignore_unavailable"),
	"mapping":    set("allow_no_indices", "expand_wildcards", "ignore_unavailable", "local", "master_timeout"),
	"bulk":       set("refresh", "routing", "timeout", "pipeline", "require_alias", "wait_for_active_shards", "_source", "_source_includes", "_source_excludes"),
	"dbq":        set("refresh", "conflicts", "wait_for_completion", "slices", "scroll_size", "max_docs", "requests_per_second", "timeout", "routing"),
	"msearch":    set("typed_keys", "max_concurrent_searches", "rest_total_hits_as_int", "search_type", "ccs_minimize_roundtrips", "pre_filter_shard_size", "max_concurrent_shard_requests", "allow_no_indices", "ignore_unavailable", "expand_wildcards", "ignore_throttled", "routing", "include_named_queries_score"),
	"search":     set("typed_keys", "size", "from", "rest_total_hits_as_int", "track_total_hits", "allow_no_indices", "ignore_unavailable", "expand_wildcards"),
	"count":      set("allow_no_indices", "ignore_unavailable", "expand_wildcards", "routing"),
	"refresh":    set("allow_no_indices", "expand_wildcards", "ignore_unavailable"),
	"aliases":    set("timeout", "master_timeout"),
	"analyze":    set("index"),
	"get_alias":  set("allow_no_indices", "expand_wildcards", "ignore_unavailable", "local"),
	"get_index":  set("allow_no_indices", "expand_wildcards", "ignore_unavailable", "local", "include_defaults", "flat_settings"),
	"alias_name": set("allow_no_indices", "expand_wildcards", "ignore_unavailable", "local"),
}

func noHandler(r *http.Request) answer {
	return answer{400, map[string]any{"error": fmt.Sprintf("no handler found for uri [%s] and method [%s]", r.URL.RequestURI(), r.Method), "status": 400}}
}

// route dispatches an authenticated, well-typed request.
func (s *Server) route(r *http.Request, body []byte) answer {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	var endpoint string
	var h func() answer
	m := r.Method
	get := m == http.MethodGet
	post := m == http.MethodPost || m == http.MethodPut
	switch {
	case len(parts) == 0 && (get || m == http.MethodHead):
		endpoint, h = "info", s.info
	case len(parts) == 1 && parts[0] == "_aliases" && post:
		endpoint, h = "aliases", func() answer { return s.updateAliases(body) }
	case len(parts) == 1 && parts[0] == "_analyze" && (get || post):
		endpoint, h = "analyze", func() answer { return s.analyze("", body) }
	case len(parts) == 1 && parts[0] == "_msearch" && (get || post):
		endpoint, h = "msearch", func() answer { return s.msearch("", body) }
	case len(parts) == 1 && parts[0] == "_bulk" && post:
		endpoint, h = "bulk", func() answer { return s.bulk("", r, body) }
	case len(parts) == 1 && parts[0] == "_refresh" && (get || post):
		endpoint, h = "refresh", func() answer { return s.refresh("") }
	case len(parts) == 2 && parts[0] == "_alias" && get:
		endpoint, h = "alias_name", func() answer { return s.getAlias("", parts[1]) }
	case len(parts) == 1 && !strings.HasPrefix(parts[0], "_"):
		name := parts[0]
		switch m {
		case http.MethodPut:
			endpoint, h = "create", func() answer { return s.createIndex(name, body) }
		case http.MethodHead:
			endpoint, h = "exists", func() answer { return s.exists(name) }
		case http.MethodDelete:
			endpoint, h = "delete", func() answer { return s.deleteIndex(name) }
		case http.MethodGet:
			endpoint, h = "get_index", func() answer { return s.getIndex(name) }
		}
	case len(parts) == 2 && !strings.HasPrefix(parts[0], "_"):
		name := parts[0]
		switch {
		case parts[1] == "_mapping" && get:
			endpoint, h = "mapping", func() answer { return s.getMapping(name) }
		case parts[1] == "_alias" && get:
			endpoint, h = "get_alias", func() answer { return s.getAlias(name, "") }
		case parts[1] == "_bulk" && post:
			endpoint, h = "bulk", func() answer { return s.bulk(name, r, body) }
		case parts[1] == "_delete_by_query" && m == http.MethodPost:
			endpoint, h = "dbq", func() answer { return s.deleteByQuery(name, r, body) }
		case parts[1] == "_msearch" && (get || post):
			endpoint, h = "msearch", func() answer { return s.msearch(name, body) }
		case parts[1] == "_search" && (get || post):
			endpoint, h = "search", func() answer { return s.search(name, body) }
		case parts[1] == "_count" && (get || post):
			endpoint, h = "count", func() answer { return s.count(name, body) }
		case parts[1] == "_refresh" && (get || post):
			endpoint, h = "refresh", func() answer { return s.refresh(name) }
		case parts[1] == "_analyze" && (get || post):
			endpoint, h = "analyze", func() answer { return s.analyze(name, body) }
		}
	}
	if h == nil {
		return noHandler(r)
	}
	for p := range r.URL.Query() {
		if !commonParams[p] && !endpointParams[endpoint][p] {
			return esError(400, "illegal_argument_exception", "request [%s] contains unrecognized parameter: [%s]", r.URL.Path, p)
		}
	}
	return h()
}

func (s *Server) info() answer {
	return ok(map[string]any{
		"name":         "estest",
		"cluster_name": "estest",
		"cluster_uuid": "estest-cluster",
		"version": map[string]any{
			"number": Version, "build_flavor": "default", "build_type": "tar",
			"lucene_version": "9.12.2", "minimum_wire_compatibility_version": "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
