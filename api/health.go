package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthOutput reports liveness or readiness.
type HealthOutput struct {
	Body struct {
		Status string            `json:"status" enum:"ok,unavailable"`
		Checks map[string]string `json:"checks,omitempty" doc:"Each dependency's state: ok or the reason it failed."`
	}
}

func (s *server) registerHealth(api huma.API) {
	register(s, api, accessPublic, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process serves requests",
		Description: "Always 200 while the process serves HTTP; for liveness probes. It checks no dependency.",
		Tags:        []string{"health"},
	}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	register(s, api, accessPublic, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: the database and the search store answer",
		Description: "200 when every dependency answers within 3 s, else 503; `checks` says which one failed and why. For readiness probes and load balancers.",
		Tags:        []string{"health"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		out := &HealthOutput{}
		out.Body.Status = "ok"
		out.Body.Checks = map[string]string{}
		names := make([]string, 0, len(s.deps.Ready))
		for n := range s.deps.Ready {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := s.deps.Ready[n](ctx); err != nil {
				s.log.WarnContext(ctx, "not ready", "check", n, "err", err)
				out.Body.Checks[n] = "unavailable"
				out.Body.Status = "unavailable"
				continue
			}
			out.Body.Checks[n] = "ok"
		}
		if out.Body.Status != "ok" {
			return nil, huma.NewError(http.StatusServiceUnavailable, "not ready", checkDetails(out.Body.Checks)...)
		}
		return out, nil
	})
}

func checkDetails(checks map[string]string) []error {
	var out []error
	for n, st := range checks {
		if st != "ok" {
			out = append(out, &huma.ErrorDetail{Location: n, Message: st})
		}
	}
	return out
}
