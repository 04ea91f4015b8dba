package elastic

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/count"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/deletebyquery"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/msearch"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/analyze"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/create"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/delete"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/exists"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/getmapping"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/refresh"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/updatealiases"
)

// client holds the endpoints the store calls, each from its own typedapi
// package over one elastictransport client. The root typed client
// (elasticsearch.TypedClient) would link every endpoint of the API, about
// three quarters of the server's code, for the eleven used here.
type client struct {
	Bulk          bulk.NewBulk
	Count         count.NewCount
	DeleteByQuery deletebyquery.NewDeleteByQuery
	Msearch       msearch.NewMsearch
	Indices       struct {
		Analyze       analyze.NewAnalyze
		Create        create.NewCreate
		Delete        delete.NewDelete
		Exists        exists.NewExists
		GetMapping    getmapping.NewGetMapping
		Refresh       refresh.NewRefresh
		UpdateAliases updatealiases.NewUpdateAliases
	}
}

// userAgent names the store in Elasticsearch's logs.
const userAgent = "ragchat (go-elasticsearch typedapi)"

// newClient builds the transport from cfg the way the root client would
// (addresses, credentials, TLS, retries), minus $ELASTICSEARCH_URL, which
// it would read behind our back.
func newClient(cfg Config) (*client, error) {
	addrs := cfg.Addresses
	if len(addrs) == 0 {
		addrs = []string{"http://localhost:9200"}
	}
	urls := make([]*url.URL, 0, len(addrs))
	for _, a := range addrs {
		u, err := url.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("cannot parse url: %v", err)
		}
		if u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("address %q is not an http(s) URL", a)
		}
		urls = append(urls, u)
	}
	opts := []elastictransport.Option{
		elastictransport.WithUserAgent(userAgent),
		elastictransport.WithURLs(urls...),
		elastictransport.WithRetryBackoff(func(attempt int) time.Duration { return time.Duration(attempt) * 50 * time.Millisecond }),
		// A cancelled or timed-out request must not be sent again.
		elastictransport.WithRetryOnError(func(req *http.Request, err error) bool { return req.Context().Err() == nil }),
	}
	username, password := cfg.Username, cfg.Password
	if u := urls[0].User; u != nil {
		username = u.Username()
		password, _ = u.Password()
	}
	switch {
	case cfg.APIKey != "":
		opts = append(opts, elastictransport.WithAPIKey(cfg.APIKey))
	case username != "" || password != "":
		opts = append(opts, elastictransport.WithBasicAuth(username, password))
	}
	if cfg.CertificateFingerprint != "" {
		opts = append(opts, elastictransport.WithCertificateFingerprint(cfg.CertificateFingerprint))
	}
	if len(cfg.CACert) > 0 {
		opts = append(opts, elastictransport.WithCACert(cfg.CACert))
	}
	switch {
	case cfg.MaxRetries < 0:
		opts = append(opts, elastictransport.WithDisableRetry())
	case cfg.MaxRetries > 0:
		opts = append(opts, elastictransport.WithMaxRetries(cfg.MaxRetries))
	}
	if cfg.Transport != nil {
		opts = append(opts, elastictransport.WithTransport(cfg.Transport))
	}
	tp, err := elastictransport.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	t := &productCheck{tp: tp}
	c := &client{
		Bulk:          bulk.NewBulkFunc(t),
		Count:         count.NewCountFunc(t),
		DeleteByQuery: deletebyquery.NewDeleteByQueryFunc(t),
		Msearch:       msearch.NewMsearchFunc(t),
	}
	c.Indices.Analyze = analyze.NewAnalyzeFunc(t)
	c.Indices.Create = create.NewCreateFunc(t)
	c.Indices.Delete = delete.NewDeleteFunc(t)
	c.Indices.Exists = exists.NewExistsFunc(t)
	c.Indices.GetMapping = getmapping.NewGetMappingFunc(t)
	c.Indices.Refresh = refresh.NewRefreshFunc(t)
	c.Indices.UpdateAliases = updatealiases.NewUpdateAliasesFunc(t)
	return c, nil
}

// errNotElasticsearch is the root client's answer to a server that does
// not say it is Elasticsearch.
var errNotElasticsearch = errors.New("the client noticed that the server is not Elasticsearch and we do not support this unknown product")

// productCheck refuses a 2xx answer without Elasticsearch's product
// header until one has carried it, as the root client does.
type productCheck struct {
	tp *elastictransport.Client
	ok atomic.Bool
}

func (p *productCheck) Perform(req *http.Request) (*http.Response, error) {
	res, err := p.tp.Perform(req)
	if err != nil || p.ok.Load() || res.StatusCode < 200 || res.StatusCode > 299 {
		return res, err
	}
	if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		res.Body.Close()
		return nil, errNotElasticsearch
	}
	p.ok.Store(true)
	return res, nil
}
