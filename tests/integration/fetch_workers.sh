#!/usr/bin/env bash
# tests/integration/fetch_workers.sh: two `pressmon fetch` workers (no --once)
# started together on one redis-server share the schedule: over 1.8
# intervals every one of 200 feeds is fetched exactly once in the first
# interval and never twice within an interval, and both workers take part.
# The feeds are served by tests/servers/feedfarm.py under 200 host names
# (fN.localhost resolves to 127.0.0.1 inside libcurl), so the per-host delay
# does not serialize them. About 20 s. Last line: "N passed, N failed".
BUILD=${BUILD:-build}
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PRESSMON_BIN=${PRESSMON_BIN:-$_root/$BUILD/pressmon}
# shellcheck source=tests/integration/lib.sh
. "$_root/tests/integration/lib.sh"
trap 'exit 130' INT TERM HUP PIPE

NFEEDS=${NFEEDS:-200}
INTERVAL=10 # the shortest interval feeds.conf allows
[ -x "$PM" ] || make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BUILD/pressmon" >/dev/null ||
	{ echo "cannot build $PM" >&2; echo "0 passed, 1 failed"; exit 1; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

python3 "$ROOT/tests/servers/feedfarm.py" --log "$TMP/requests.log" --lifetime 90 \
	>"$TMP/port.json" 2>"$TMP/server.err" &
PIDS+=($!)
start_redis r || { echo "0 passed, 1 failed"; exit 1; }
for _ in $(seq 1 100); do [ -s "$TMP/port.json" ] && break; sleep 0.05; done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$TMP/port.json") ||
	{ echo "feedfarm did not start: $(cat "$TMP/server.err")" >&2; echo "0 passed, 1 failed"; exit 1; }

{
	printf '[pressmon]\nuser_agent_contact = https://test.example/contact\n'
	for i in $(seq 1 "$NFEEDS"); do
		printf '\n[feed f%d]\nurl = http://f%d.localhost:%s/feed/%d.xml\nname = Farm %d\n' "$i" "$i" "$PORT" "$i" "$i"
		printf 'country = NL\nregion = europe\nlang = en\ntype = commercial\ninterval = %d\n' "$INTERVAL"
	done
} >"$TMP/feeds.conf"

# both workers at once, for 1.8 intervals
start=$(date +%s.%N)
W=()
for w in 1 2; do
	"$PM" fetch --redis "$REDIS_URL" --config "$TMP/feeds.conf" --log-level info \
		>"$TMP/worker$w.log" 2>&1 &
	W+=($!)
	PIDS+=($!)
done
# 1.8 intervals: every feed comes round a second time even when a loaded
# machine spreads the first round over a few seconds, and no third time
stop_at=$(python3 -c "print($start + $INTERVAL * 1.8)")
while python3 -c "import sys, time; sys.exit(0 if time.time() < $stop_at else 1)"; do sleep 0.5; done
for p in "${W[@]}"; do kill -TERM "$p" 2>/dev/null; done
for i in 1 2; do
	wait "${W[$((i - 1))]}"
	check_eq "worker $i exits 0 on SIGTERM" "$?" 0
done

# per feed: how often, and the shortest gap between two of its requests;
# the interval windows start at the first request the server saw
report=$(python3 - "$TMP/requests.log" "$NFEEDS" "$INTERVAL" <<'EOF'
import sys
from collections import defaultdict
log, n, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
times = defaultdict(list)
for line in open(log):
    t, host, path = line.split()
    times[path].append(float(t))
t0 = min(min(v) for v in times.values())
first_window = [sum(1 for t in times.get(f"/feed/{i}.xml", []) if t < t0 + interval)
                for i in range(1, n + 1)]
gaps = [b - a for v in times.values() for a, b in zip(sorted(v), sorted(v)[1:])]
print("feeds_requested", sum(1 for i in range(1, n + 1) if f"/feed/{i}.xml" in times))
print("unknown_paths", sum(1 for p in times if not p.startswith("/feed/")))
print("first_window_once", sum(1 for c in first_window if c == 1))
print("first_window_twice", sum(1 for c in first_window if c > 1))
print("requests", sum(len(v) for v in times.values()))
print("fetched_twice_in_all", sum(1 for v in times.values() if len(v) == 2))
print("min_gap_ms", int(min(gaps) * 1000) if gaps else -1)
print("first_round_s", round(max(min(v) for v in times.values()) - t0, 2))
EOF
)
get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$report"; }
echo "$report" | sed 's/^/  /' >&2
check_eq "every feed requested" "$(get feeds_requested)" "$NFEEDS"
check_eq "no other paths requested" "$(get unknown_paths)" 0
check_eq "feeds fetched exactly once in the first interval" "$(get first_window_once)" "$NFEEDS"
check_eq "feeds fetched more than once in the first interval" "$(get first_window_twice)" 0
# due again INTERVAL after the first fetch ended, so within the run every
# feed comes round a second time, and never sooner than the interval
check_eq "every feed fetched exactly twice in 1.8 intervals" "$(get fetched_twice_in_all)" "$NFEEDS"
check "shortest gap between two fetches of a feed ($(get min_gap_ms) ms) is at least the interval" \
	[ "$(get min_gap_ms)" -ge $((INTERVAL * 1000)) ]
# what the workers say they fetched adds up to what the server saw, and
# both took a share: the schedule was shared, not won by one worker
n1=$(grep -c 'msg=fetched kind=feed' "$TMP/worker1.log")
n2=$(grep -c 'msg=fetched kind=feed' "$TMP/worker2.log")
echo "  worker1_fetched $n1, worker2_fetched $n2" >&2
check_eq "fetches logged by the workers = requests seen by the server" "$((n1 + n2))" "$(get requests)"
check "worker 1 fetched some feeds ($n1)" [ "$n1" -gt 0 ]
check "worker 2 fetched some feeds ($n2)" [ "$n2" -gt 0 ]
check_eq "no failed fetches" "$(cat "$TMP"/worker*.log | grep -c 'fetch_failed')" 0
check_eq "raw holds one document per request" "$(redis-cli -s "$TMP/r.sock" XLEN pm:raw)" "$(get requests)"
check_eq "every feed still on the schedule" "$(redis-cli -s "$TMP/r.sock" ZCARD pm:sched)" "$NFEEDS"
if [ "$FAILED" -ne 0 ]; then
	tail -n 5 "$TMP"/worker*.log >&2
fi
summary
