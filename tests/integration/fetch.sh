#!/usr/bin/env bash
# tests/integration/fetch.sh: the fetch engine against a real redis-server and
# the misbehaving HTTP server (tests/servers/badhttp.py), through the
# integration half of build/tests/test_fetch. Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD/tests/test_fetch
TMP=$(mktemp -d /tmp/pm-fetch.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "fetch.sh: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

if [ ! -x "$BIN" ]; then
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BUILD/tests/test_fetch" >/dev/null ||
		die "cannot build $BIN"
fi
command -v redis-server >/dev/null || die "redis-server is not installed"
command -v python3 >/dev/null || die "python3 is not installed"

# a private redis-server on a unix socket
redis-server --port 0 --unixsocket "$TMP/redis.sock" --unixsocketperm 700 \
	--dir "$TMP" --save '' --appendonly no --daemonize no --loglevel warning \
	>"$TMP/redis.log" 2>&1 &
PIDS+=($!)

# a self-signed certificate for the TLS-verification case (skipped without openssl)
CERT_ARGS=()
if command -v openssl >/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
		-days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1; then
	CERT_ARGS=(--cert "$TMP/cert.pem" --key "$TMP/key.pem")
fi

# the server lives at most 120 s even if this script is killed hard
python3 "$ROOT/tests/servers/badhttp.py" --lifetime 120 "${CERT_ARGS[@]}" >"$TMP/ports.json" 2>"$TMP/server.log" &
PIDS+=($!)

for _ in $(seq 1 100); do
	[ -s "$TMP/ports.json" ] && [ -S "$TMP/redis.sock" ] && break
	sleep 0.05
done
[ -s "$TMP/ports.json" ] || die "test server did not start: $(cat "$TMP/server.log")"
[ -S "$TMP/redis.sock" ] || die "redis-server did not start: $(cat "$TMP/redis.log")"

PORTS=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["http"], p["alt"], p["hang"], p["tls"] or 0)' "$TMP/ports.json") ||
	die "cannot read the server's ports"

# no proxy may stand between the fetcher and 127.0.0.1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export PM_TEST_REDIS="unix://$TMP/redis.sock" PM_TEST_HTTP="$PORTS" PM_TEST_DIR="$TMP"
"$BIN" >"$TMP/test.out" 2>"$TMP/test.log"
rc=$?
# PM_FETCH_KEEP_LOG=FILE keeps the fetcher's log lines for a look afterwards
if [ -n "${PM_FETCH_KEEP_LOG:-}" ]; then cp "$TMP/test.log" "$PM_FETCH_KEEP_LOG"; fi
grep -E '^FAIL|^  ' "$TMP/test.log" >&2
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$TMP/test.log"; then
	tail -n 20 "$TMP/test.log" >&2
fi
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/test.out"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/test.out" | tail -n 1)
if [ -z "$summary" ]; then
	echo "fetch.sh: test_fetch ended without a summary (exit $rc)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$summary"
exit "$rc"
