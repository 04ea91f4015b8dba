package elastic

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksOnlyUsedEndpoints proves the store links the typedapi packages
// of the endpoints it calls, not the root client, whose typed API pulls in
// every endpoint (hundreds of packages, tens of megabytes of binary).
func TestLinksOnlyUsedEndpoints(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	var endpoints int
	seen := map[string]bool{}
	for _, d := range strings.Fields(string(out)) {
		seen[d] = true
		switch {
		case d == "github.com/elastic/go-elasticsearch/v8",
			d == "github.com/elastic/go-elasticsearch/v8/typedapi",
			d == "github.com/elastic/go-elasticsearch/v8/esapi":
			t.Errorf("search/elastic links %s, which carries the whole API", d)
		case strings.HasPrefix(d, "github.com/elastic/go-elasticsearch/v8/typedapi/core/"),
			strings.HasPrefix(d, "github.com/elastic/go-elasticsearch/v8/typedapi/indices/"):
			endpoints++
		}
	}
	// The list must be this package's: it holds the endpoints it calls.
	for _, want := range []string{
		"github.com/elastic/go-elasticsearch/v8/typedapi/core/msearch",
		"github.com/elastic/elastic-transport-go/v8/elastictransport",
	} {
		if !seen[want] {
			t.Errorf("search/elastic does not depend on %s; is this its list?", want)
		}
	}
	if endpoints != 11 {
		t.Errorf("search/elastic links %d endpoint packages, want the 11 in client.go", endpoints)
	}
}
