#!/usr/bin/env bash
# Redis restarts under a running pipeline: `pressmon run --once` on 2,000
# generated articles while redis-server (AOF on) is stopped and started
# again mid-run. The run must reconnect, finish, and archive exactly what
# an undisturbed run archives, with nothing dead.
source "$(dirname "$0")/lib.sh"

python3 "$ROOT/tests/gen/genfeeds.py" "$TMP/feeds" --feeds 20 --items 100 --seed 11
export PRESSMON_CONFIG="$TMP/feeds/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"

start_redis a
t0=$(date +%s%N)
PRESSMON_REDIS=$REDIS_URL PRESSMON_DB="$TMP/a.db" "$PM" run --once --log-level warn
check "undisturbed run exits 0" test $? -eq 0
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ids_of "$TMP/a.db" >"$TMP/a.ids"

# the disturbed run, on a server we stop and start on the same socket
mkdir -p "$TMP/b-data"
start_b() {
	redis-server --port 0 --unixsocket "$TMP/b.sock" --unixsocketperm 700 --dir "$TMP/b-data" \
		--appendonly yes --appendfsync always --save '' --daemonize no \
		--loglevel warning >/dev/null 2>&1 &
	BPID=$!
	PIDS+=($BPID)
	for _ in $(seq 1 200); do
		[ "$(redis-cli -s "$TMP/b.sock" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	return 1
}
start_b
PRESSMON_REDIS="unix://$TMP/b.sock" PRESSMON_DB="$TMP/b.db" "$PM" run --once --claim-idle 1 \
	--log-level warn 2>"$TMP/b.log" &
pm=$!
# stop Redis once work is under way (articles are flowing), not after a
# fixed time: on a loaded machine a timed stop may come before or after
ms=0
for _ in $(seq 1 400); do
	[ "$(redis-cli -s "$TMP/b.sock" xlen pm:articles 2>/dev/null)" -gt 0 ] 2>/dev/null && break
	sleep 0.025
	ms=$((ms + 25))
done
redis-cli -s "$TMP/b.sock" shutdown >/dev/null 2>&1   # saves the AOF, like a restart
wait "$BPID" 2>/dev/null
echo "redis stopped after ${ms} ms; $(PRESSMON_DB="$TMP/b.db" "$PM" archive export 2>/dev/null | wc -l) archived so far" >&2
sleep 1
start_b
check "redis came back" test $? -eq 0
wait "$pm"
check "run survives the restart and exits 0" test $? -eq 0
check "the run noticed the lost connection" grep -q 'redis_lost\|dependency_unavailable' "$TMP/b.log"
ids_of "$TMP/b.db" >"$TMP/b.ids"
check_eq "same number of articles" "$(wc -l <"$TMP/b.ids")" "$(wc -l <"$TMP/a.ids")"
check "same ids as the undisturbed run" cmp -s "$TMP/a.ids" "$TMP/b.ids"
check_eq "nothing in dead" "$(redis-cli -s "$TMP/b.sock" xlen pm:dead)" 0
summary
