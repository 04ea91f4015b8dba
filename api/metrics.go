package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ragchat/rag"
)

// Metrics are the server's Prometheus metrics, on a registry of their own
// (no global state, so tests can build as many servers as they like).
type Metrics struct {
	Registry      *prometheus.Registry
	FirstEvent    prometheus.Histogram
	FirstToken    prometheus.Histogram
	Retrieval     prometheus.Histogram
	RunDuration   prometheus.Histogram
	Runs          *prometheus.CounterVec // by outcome: done, stopped, error
	UpstreamErrs  *prometheus.CounterVec // by error code
	ActiveStreams prometheus.Gauge
	Resumes       prometheus.Counter
	Stops         prometheus.Counter
	FailedLogins  prometheus.Counter
}

// NewMetrics creates and registers the metrics, with Go and process collectors.
func NewMetrics() *Metrics {
	fast := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	slow := []float64{.05, .1, .25, .5, 1, 2, 3, 5, 10, 20, 30, 60}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		FirstEvent: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ragchat_first_event_seconds", Help: "Time from request to the first event of a run.", Buckets: fast}),
		FirstToken: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ragchat_first_token_seconds", Help: "Time from request to the first answer token.", Buckets: slow}),
		Retrieval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ragchat_retrieval_seconds", Help: "Time spent embedding the query and searching.", Buckets: fast}),
		RunDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ragchat_run_seconds", Help: "Time from request to the end of a run.", Buckets: slow}),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragchat_runs_total", Help: "Finished runs by outcome (done, stopped, error)."}, []string{"outcome"}),
		UpstreamErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ragchat_run_errors_total", Help: "Failed runs by error code (upstream_error, upstream_unavailable, upstream_interrupted, upstream_timeout, search_error, ...)."}, []string{"code"}),
		ActiveStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ragchat_active_streams", Help: "Open SSE connections."}),
		Resumes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ragchat_stream_resumes_total", Help: "Streams resumed with Last-Event-ID."}),
		Stops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ragchat_run_stops_total", Help: "Runs stopped by a user."}),
		FailedLogins: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ragchat_failed_logins_total", Help: "Sign-ins refused for a wrong email or password."}),
	}
	// Every known label value starts at zero, so dashboards and alerts see
	// the series before the first failure.
	for _, o := range []string{"done", "stopped", "error"} {
		m.Runs.WithLabelValues(o)
	}
	for _, c := range []string{rag.CodeUpstream, rag.CodeUnavailable, rag.CodeInterrupted, rag.CodeTimeout, rag.CodeSearch, rag.CodeCancelled, rag.CodeInternal} {
		m.UpstreamErrs.WithLabelValues(c)
	}
	m.Registry.MustRegister(m.FirstEvent, m.FirstToken, m.Retrieval, m.RunDuration, m.Runs, m.UpstreamErrs,
		m.ActiveStreams, m.Resumes, m.Stops, m.FailedLogins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRun records a finished run; pass it as rag.RunnerConfig.OnFinish.
func (m *Metrics) ObserveRun(_ *rag.Run, final rag.Event) {
	switch final.Type {
	case rag.EventDone:
		t := final.Done.Timings
		m.FirstEvent.Observe(t.FirstEventMS / 1000)
		if t.FirstTokenMS > 0 {
			m.FirstToken.Observe(t.FirstTokenMS / 1000)
		}
		m.Retrieval.Observe(t.RetrievalMS / 1000)
		m.RunDuration.Observe(t.TotalMS / 1000)
		outcome := "done"
		if final.Done.FinishReason == rag.FinishStopped {
			outcome = "stopped"
		}
		m.Runs.WithLabelValues(outcome).Inc()
	case rag.EventError:
		m.Runs.WithLabelValues("error").Inc()
		m.UpstreamErrs.WithLabelValues(final.Error.Code).Inc()
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
