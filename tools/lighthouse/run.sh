#!/bin/sh
# Starts bin/ragchat with the defaults (a fresh data directory, the sample
# corpus) on a free local port, runs Lighthouse against it $1 times (default
# 3) and prints the table of issue #12 with the machine's load.
set -eu
cd "$(dirname "$0")"
runs=${1:-3}
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
export CHROME_PATH
npm ci --no-audit --no-fund --loglevel=error
data=$(mktemp -d)
port=${LIGHTHOUSE_PORT:-18080}
RAGCHAT_ADDR=127.0.0.1:$port RAGCHAT_DATA_DIR=$data ../../bin/ragchat serve >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
i=0
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "the server did not get ready:" >&2
		cat "$data/server.log" >&2
		exit 1
	fi
	sleep 0.2
done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
node run.mjs "http://127.0.0.1:$port/" "$runs"
# The page leaves app.wasm to the service worker until first use, so
# Lighthouse may not see it: its size on the wire, as the server sends it.
br=$(curl -s -H 'Accept-Encoding: br' "http://127.0.0.1:$port/web/app.wasm" | wc -c)
echo "app.wasm with brotli: $br bytes ($(awk "BEGIN{printf \"%.2f\", $br/1048576}") MiB)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
