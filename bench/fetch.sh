#!/usr/bin/env bash
# bench/fetch.sh: one fetcher polling 5,000 distinct small feeds from a
# private nginx on loopback (keep-alive), at 64 and 256 concurrent
# transfers: first every answer a 200, then every answer a 304 (the stored
# validators sent back). Beside it `curl --parallel` on the same URL list in
# the same run, as a ratio. Numbers are printed, never asserted.
# Run by `make bench` (bench/run.sh) or alone: BUILD=build bash bench/fetch.sh
# Knobs: BENCH_FEEDS (5000), BENCH_CONC ("64 256"), BENCH_NGINX_WORKERS (1),
# BENCH_BINS (bench_fetch binaries to compare, alternating in each round;
# default $BUILD/bench/bench_fetch), BENCH_ROUNDS (1), BENCH_CURL=0 (no curl
# passes), BENCH_PERF=1 (record the fetch loop of each pressmon pass with perf into
# $BUILD/bench/; for call graphs through libcurl build with
# CFLAGS="-O2 -g -fno-omit-frame-pointer" and set BENCH_PERF_ARGS="--call-graph dwarf").
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
N=${BENCH_FEEDS:-5000}
CONCS=${BENCH_CONC:-64 256}
BINS=${BENCH_BINS:-$ROOT/$BUILD/bench/bench_fetch}
ROUNDS=${BENCH_ROUNDS:-1}
PEER="python3 $ROOT/bench/fetch_peer.py"
# shellcheck source=tests/servers/nginx.sh
. "$ROOT/tests/servers/nginx.sh"

echo "== fetch: $N feeds from a local nginx, one fetcher vs curl --parallel"
if ! nginx_find; then
	echo "SKIP nginx not installed (make deps installs it)"
	exit 0
fi
[ -n "${BENCH_BINS:-}" ] || [ -x "$BINS" ] ||
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BUILD/bench/bench_fetch" >/dev/null

TMP=$(mktemp -d /tmp/pm-bench-fetch.XXXXXX)
NGINX_PID="" REDIS_PID=""
cleanup() {
	set +e # a failed kill or wait must not end the trap before rm
	[ -n "$NGINX_PID" ] && { kill -TERM "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; }
	[ -n "$REDIS_PID" ] && { kill -TERM "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; }
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

$PEER gen "$TMP/doc" "$N"
# one mtime for every file, so one If-Modified-Since fits them all (curl's 304 pass)
touch -d '2024-03-04 10:00:00 UTC' "$TMP"/doc/feed/*.xml
IMS="Mon, 04 Mar 2024 10:00:00 GMT"
# gzip off: the files are ~600 bytes and the benchmark is about the client
nginx_start "$TMP/nginx" "$TMP/doc" off "${BENCH_NGINX_WORKERS:-1}"
source bench/lib.sh # redis_start
redis_start "$TMP/redis.sock" "$TMP"
R="redis-cli -s $TMP/redis.sock"

{
	printf '[pressmon]\nuser_agent_contact = https://bench.example/\n'
	for i in $(seq 1 "$N"); do
		printf '[feed b%d]\nurl = http://127.0.0.1:%s/feed/%d.xml\nname = B%d\ncountry = NL\nregion = europe\nlang = en\ntype = wire\n' \
			"$i" "$NGINX_PORT" "$i" "$i"
	done
} >"$TMP/feeds.conf"
: >"$TMP/curl.cfg"
for i in $(seq 1 "$N"); do
	printf 'url = "http://127.0.0.1:%s/feed/%d.xml"\noutput = "/dev/null"\n' "$NGINX_PORT" "$i" >>"$TMP/curl.cfg"
done

nginx_pids() { echo "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"; }
# CPU seconds used so far by PIDS (utime + stime; comm has no spaces here).
# awk, not python: starting python costs more than a pass on a small VM
cpu_of() { # pid...
	local p
	for p in "$@"; do cat "/proc/$p/stat"; done |
		awk -v t="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { printf "%.2f", s / t }'
}
statuses() { # status counts in the access log since the last call
	local s
	s=$(cut -d' ' -f1 "$TMP/nginx/access.log" | sort | uniq -c | awk '{printf "%s%s×%s", sep, $2, $1; sep=" "}')
	: >"$TMP/nginx/access.log"
	echo "${s:-none}"
}
field() { sed -n "s/.*\"$2\": \([^,}]*\).*/\1/p" <<<"$1"; } # json key: a number
calc() { awk "BEGIN { printf \"$1\", $2 }"; }                   # format expression

# one pressmon pass of BIN: prints its line, sets RPS
pm_pass() { # label conc
	local c0r c1r c0n c1n out tag=""
	c0r=$(cpu_of "$REDIS_PID") c0n=$(cpu_of $(nginx_pids))
	if [ -n "${BENCH_PERF:-}" ]; then # where the time goes: perf report -i FILE
		rm -f "$TMP/perf.ctl" "$TMP/perf.ack"
		mkfifo "$TMP/perf.ctl" "$TMP/perf.ack"
		# shellcheck disable=SC2086 # BENCH_PERF_ARGS is a list of options
		out=$(BENCH_PERF_CTL="$TMP/perf.ctl,$TMP/perf.ack" perf record -q ${BENCH_PERF_ARGS:--g} \
			-D -1 --control "fifo:$TMP/perf.ctl,$TMP/perf.ack" \
			-o "$(dirname "$BIN")/perf-fetch-$1-$2.data" -- \
			"$BIN" "$TMP/feeds.conf" "unix://$TMP/redis.sock" "$2" 2>/dev/null)
	else
		out=$("$BIN" "$TMP/feeds.conf" "unix://$TMP/redis.sock" "$2")
	fi
	c1r=$(cpu_of "$REDIS_PID") c1n=$(cpu_of $(nginx_pids))
	RPS=$(field "$out" req_per_s)
	if [ -n "${BENCH_BINS:-}" ]; then tag=${BIN%/bench/bench_fetch} tag=" (${tag#"$ROOT"/})"; fi
	printf '  pressmon%s %-4s c=%-4s %6s req/s  cpu %s s/1k req  rss %5s MiB  (redis %s, nginx %s s/1k)  [%s; raw +%s; schedule %ss]\n' \
		"$tag" "$1" "$2" "$RPS" "$(field "$out" cpu_s_per_1000)" "$(field "$out" maxrss_mib)" \
		"$(calc %.3f "($c1r - $c0r) * 1000 / $N")" "$(calc %.3f "($c1n - $c0n) * 1000 / $N")" \
		"$(statuses)" "$(field "$out" raw_written)" "$(field "$out" schedule_s)"
}
curl_pass() { # label conc [header]
	local out hdr=() c0n c1n
	[ $# -ge 3 ] && hdr=(-H "$3")
	c0n=$(cpu_of $(nginx_pids))
	out=$($PEER run /dev/null -- curl -s --no-progress-meter --parallel --parallel-immediate \
		--parallel-max "$2" "${hdr[@]}" -K "$TMP/curl.cfg")
	c1n=$(cpu_of $(nginx_pids))
	CRPS=$(calc %.0f "$N / $(field "$out" seconds)")
	printf '  curl     %-4s c=%-4s %6s req/s  cpu %s s/1k req  rss %5s MiB  (nginx %s s/1k)  [%s]\n' "$1" "$2" "$CRPS" \
		"$(calc %.3f "$(field "$out" cpu_s) * 1000 / $N")" "$(field "$out" maxrss_mib)" \
		"$(calc %.3f "($c1n - $c0n) * 1000 / $N")" "$(statuses)"
}

# warm the page cache and nginx
curl -s --no-progress-meter --parallel --parallel-max 64 -K "$TMP/curl.cfg" >/dev/null || true
statuses >/dev/null
for c in $CONCS; do
	for round in $(seq 1 "$ROUNDS"); do
		[ "$ROUNDS" -gt 1 ] && echo "  -- c=$c round $round"
		ratios=""
		for BIN in $BINS; do
			$R FLUSHALL >/dev/null
			pm_pass 200 "$c"
			r200=$RPS
			pm_pass 304 "$c"
			r304=$RPS
			ratios="$ratios $r200:$r304"
		done
		[ "${BENCH_CURL:-1}" = 0 ] && continue
		curl_pass 200 "$c"
		c200=$CRPS
		curl_pass 304 "$c" "If-Modified-Since: $IMS"
		c304=$CRPS
		for r in $ratios; do
			echo "  ratio pressmon/curl (req/s) at c=$c: 200s $(calc %.2f "${r%%:*} / $c200")  304s $(calc %.2f "${r##*:} / $c304")"
		done
	done
done
