#!/usr/bin/env bash
# bench/parse_worker.sh: CPU of the parse worker per article, for one or
# more builds on the same input: generated feeds are fetched into a fresh
# redis-server (unix socket, no persistence), then `pressmon parse --once
# --batch=4` runs alone and its user + system time is read from `times`.
# Builds take turns, ROUNDS times, so that a busy machine hurts them alike.
# With CALLGRIND=1 the worker runs under valgrind and its instruction
# count is printed instead (use fewer articles: it is ~50x slower).
# usage: bash bench/parse_worker.sh [PRESSMON...]   (default: build/pressmon)
# env: ARTICLES (100000, in feeds of 500), ROUNDS (2), CALLGRIND (0)
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTICLES=${ARTICLES:-100000}
ROUNDS=${ROUNDS:-2}
CALLGRIND=${CALLGRIND:-0}
ITEMS=500
FEEDS=$(( (ARTICLES + ITEMS - 1) / ITEMS ))
[ $# -gt 0 ] || set -- "$ROOT/${BUILD:-build}/pressmon"

TMP=$(mktemp -d /tmp/pm-parse-worker.XXXXXX)
REDIS_PID=
cleanup() {
	set +e # a failed kill or wait must not end the trap before rm
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source bench/lib.sh # kids_cpu, redis_cpu, redis_start

python3 tests/gen/genfeeds.py "$TMP/feeds" --feeds "$FEEDS" --items "$ITEMS" >/dev/null
export PRESSMON_CONFIG="$TMP/feeds/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
echo "== parse worker: $((FEEDS * ITEMS)) generated articles ($FEEDS feeds x $ITEMS items), --batch=4"
for r in $(seq 1 "$ROUNDS"); do
	for pm in "$@"; do
		sock="$TMP/r.sock"
		rm -rf "$TMP/r"
		redis_start "$sock" "$TMP/r"
		export PRESSMON_REDIS="unix://$sock"
		"$pm" fetch --once --log-level warn
		kids_cpu c0
		r0=$(redis_cpu)
		if [ "$CALLGRIND" = 1 ]; then
			ir=$(valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null \
				"$pm" parse --once --batch=4 --log-level warn 2>&1 >/dev/null |
				awk '/Collected/ { gsub(",", "", $4); print $4 }')
		else
			"$pm" parse --once --batch=4 --log-level warn
		fi
		kids_cpu c1
		r1=$(redis_cpu)
		n=$(redis-cli -s "$sock" xlen pm:articles)
		if [ "$CALLGRIND" = 1 ]; then
			python3 -c 'import sys; ir, n = int(sys.argv[1]), int(sys.argv[2]); print("%s: %d articles, %d instructions, %.0f per article" % (sys.argv[3], n, ir, ir / max(n, 1)))' "$ir" "$n" "$pm"
		else
			python3 -c 'import sys; c, n, rc = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[4]); print("%s: %d articles, worker CPU %.2f s = %.1f us/article (redis %.2f s)" % (sys.argv[3], n, c, c * 1e6 / max(n, 1), rc))' \
				"$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$c0" "$c1")" "$n" "$pm" \
				"$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$r0" "$r1")"
		fi
		kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
		REDIS_PID=
	done
done
