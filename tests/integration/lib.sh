# tests/integration/lib.sh: shared by the integration scripts (sourced).
# A private redis-server per test, a scratch directory, ok/fail counting
# ending in "N passed, N failed", and cleanup of every process we started.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PM=${PRESSMON_BIN:-$ROOT/build/pressmon}
TMP=$(mktemp -d /tmp/pm-it.XXXXXX)
PASSED=0 FAILED=0
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# embedded redis-servers started under $TMP by pressmon run
	pkill -9 -f "redis-server.*$TMP" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { # description, command...
	local d=$1
	shift
	if "$@"; then ok; else fail "$d"; fi
}
check_eq() { # description, got, want
	if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# start_redis NAME: a redis-server on $TMP/NAME.sock (AOF on); sets REDIS_URL
start_redis() {
	local name=$1 i
	mkdir -p "$TMP/$name-data"
	redis-server --port 0 --unixsocket "$TMP/$name.sock" --unixsocketperm 700 \
		--dir "$TMP/$name-data" --appendonly yes --save '' --daemonize no \
		--loglevel warning >/dev/null 2>&1 &
	PIDS+=($!)
	REDIS_URL="unix://$TMP/$name.sock"
	for i in $(seq 1 200); do
		[ "$(redis-cli -s "$TMP/$name.sock" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "redis-server did not start" >&2
	return 1
}

# ids_of DB: sorted article ids in an archive
ids_of() {
	PRESSMON_DB=$1 "$PM" archive export 2>/dev/null |
		python3 -c 'import sys, json; [print(json.loads(l)["id"]) for l in sys.stdin if l.strip()]' | sort
}
