#!/usr/bin/env bash
# 'pressmon metrics' over HTTP, fetched with curl: the same Prometheus text
# as 'status --format prometheus', 404 elsewhere, 503 (not a crash) while
# Redis is down and 200 again once it is back, exit 0 on SIGTERM. Also the
# processing rate over the last minute after a run of the samples.
source "$(dirname "$0")/lib.sh"

start_redis m || { fail "redis-server"; summary; exit 1; }
export PRESSMON_REDIS=$REDIS_URL PRESSMON_DB="$TMP/m.db"
export PRESSMON_CONFIG="$ROOT/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
cd "$TMP"

# the processing rate: everything the run did happened in the last minute
"$PM" run --once --log-level warn 2>"$TMP/run.log"
check "run --once exits 0" test $? -eq 0
sleep 1.1 # the rate counts whole seconds: let the last one end
"$PM" status --format json >"$TMP/status.json"
check "status exits 0" test $? -eq 0
python3 - "$TMP/status.json" <<'PY' || fail "status: rate over the last minute"
import json, sys
st = json.load(open(sys.argv[1]))["streams"]
for name in ("raw", "pages", "articles", "tagged"):
    r = st[name]["rate"]
    assert r["window_s"] == 60, r
    # drained: every entry added was acknowledged by the stage reading it
    assert r["added"] == st[name]["length"] and r["acked"] == r["added"], (name, r, st[name])
assert st["tagged"]["rate"]["acked"] == 60, st["tagged"]
assert st["dead"]["rate"]["added"] == 0, st["dead"]
PY
ok
# the run closed its writer: the full-text index has applied everything
check_eq "status: the full-text index is there and up to date" \
	"$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["archive"]; print(a["fts"], a["fts_pending"])' "$TMP/status.json")" \
	"True 0"
"$PM" status >"$TMP/status.txt"
check "status table has the rate columns" grep -q 'in/min *done/min' "$TMP/status.txt"
check "status table: tagged, 60 in and done" grep -Eq '^tagged +60 +0 +0 +0\.0 +[0-9]+ +60 +60$' "$TMP/status.txt"
check "status table: the archive's full-text index" grep -Eq '^archive .* bytes\), full-text index 0 changes behind$' "$TMP/status.txt"

expect_usage() { # description, args...
	local d=$1
	shift
	"$PM" metrics "$@" >/dev/null 2>"$TMP/usage.err"
	check_eq "$d: exit 2" "$?" 2
}
expect_usage "no --listen"
expect_usage "--listen without port" --listen 127.0.0.1
expect_usage "--listen with a bad port" --listen 127.0.0.1:99999
expect_usage "--listen with unbracketed IPv6" --listen ::1:9464

"$PM" metrics --listen 127.0.0.1:0 --log-level info 2>"$TMP/metrics.log" &
mp=$!
PIDS+=($mp)
port=
for _ in $(seq 1 200); do
	port=$(sed -n 's/.*msg=metrics_listening.* port=\([0-9]*\).*/\1/p' "$TMP/metrics.log")
	[ -n "$port" ] && break
	sleep 0.05
done
check "metrics logs its port" test -n "$port"
URL="http://127.0.0.1:$port"

code=$(curl -s -o "$TMP/m1.txt" -D "$TMP/h1.txt" -w '%{http_code}' --max-time 20 "$URL/metrics")
check_eq "GET /metrics" "$code" 200
check "content type is the Prometheus text format" grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/h1.txt"
"$PM" status --format prometheus >"$TMP/status.prom"
# the rate may move between the two reads: compare everything else exactly
strip() { grep -v '_last_minute{' "$1"; }
if diff <(strip "$TMP/status.prom") <(strip "$TMP/m1.txt") >"$TMP/m.diff"; then ok; else
	fail "/metrics differs from status --format prometheus"
	head -n 20 "$TMP/m.diff" >&2
fi
check "/metrics has the tagged stream's rate" grep -q '^pressmon_stream_acked_last_minute{stream="tagged",group="archive"} [0-9]' "$TMP/m1.txt"
check "/metrics has feed health" grep -q '^pressmon_feed_failures{feed="meridian-wire",health="ok"} 0' "$TMP/m1.txt"
check "/metrics has the full-text index's lag" grep -q '^pressmon_archive_fts_pending 0$' "$TMP/m1.txt"

# computed per request: a new entry shows in the next scrape
redis-cli -s "${REDIS_URL#unix://}" XADD pm:raw '*' kind feed body x >/dev/null
curl -s --max-time 20 "$URL/metrics" >"$TMP/m2.txt"
check "each scrape reads Redis anew" grep -q '^pressmon_stream_length{stream="raw"} 15$' "$TMP/m2.txt"

check_eq "other paths: 404" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$URL/")" 404
check_eq "/metrics/x: 404" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$URL/metrics/x")" 404
check_eq "POST: 405" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -d x "$URL/metrics")" 405
check_eq "HEAD: 200" "$(curl -s -I -o /dev/null -w '%{http_code}' --max-time 20 "$URL/metrics")" 200

# Redis goes away: 503 with a message, the server stays up
redis_pid=${PIDS[0]}
kill "$redis_pid"
wait "$redis_pid" 2>/dev/null
code=$(curl -s -o "$TMP/m3.txt" -w '%{http_code}' --max-time 30 "$URL/metrics")
check_eq "Redis down: 503" "$code" 503
check "Redis down: the body says why" grep -q 'redis' "$TMP/m3.txt"
check "Redis down: the server is still running" kill -0 "$mp"

# Redis back on the same socket: 200 again
start_redis m || fail "redis-server restart"
code=$(curl -s -o "$TMP/m4.txt" -w '%{http_code}' --max-time 30 "$URL/metrics")
check_eq "Redis back: 200" "$code" 200
check "Redis back: metrics again" grep -q '^pressmon_stream_length{stream="raw"}' "$TMP/m4.txt"

kill -TERM "$mp"
t0=$(date +%s)
wait "$mp"
check_eq "SIGTERM: exit 0" "$?" 0
check "SIGTERM: stopped within 10 s" test $(( $(date +%s) - t0 )) -le 10
check "log says stopped" grep -q 'msg=stopped' "$TMP/metrics.log"

# a metrics server started while Redis is down serves 503 until it is up
"$PM" metrics --redis "unix://$TMP/none.sock" --listen 127.0.0.1:0 --log-level info 2>"$TMP/metrics2.log" &
mp=$!
PIDS+=($mp)
port=
for _ in $(seq 1 200); do
	port=$(sed -n 's/.*msg=metrics_listening.* port=\([0-9]*\).*/\1/p' "$TMP/metrics2.log")
	[ -n "$port" ] && break
	sleep 0.05
done
check "starts without Redis" test -n "$port"
[ -n "$port" ] && check_eq "no Redis yet: 503" \
	"$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "http://127.0.0.1:$port/metrics")" 503
kill -TERM "$mp"
wait "$mp"
check_eq "SIGTERM: exit 0 (no Redis)" "$?" 0
summary
