#!/usr/bin/env bash
# Crash test: SIGKILL `pressmon run` (embedded Redis) at random moments
# while it works through 2,000 generated articles, start it again each
# time, and compare the archive with an undisturbed run's: same ids, no
# duplicates, nothing in dead.
source "$(dirname "$0")/lib.sh"

python3 "$ROOT/tests/gen/genfeeds.py" "$TMP/feeds" --feeds 20 --items 100 --seed 7
export PRESSMON_CONFIG="$TMP/feeds/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
unset PRESSMON_REDIS

# undisturbed, timed so that the kills below land inside a run
t0=$(date +%s%N)
PRESSMON_VAR="$TMP/var-a" PRESSMON_DB="$TMP/a.db" "$PM" run --once --log-level warn
check "undisturbed run exits 0" test $? -eq 0
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "undisturbed run: ${run_ms} ms" >&2
ids_of "$TMP/a.db" >"$TMP/a.ids"
check_eq "undisturbed run archived every article" "$(wc -l <"$TMP/a.ids")" 2000

# disturbed: kill -9 at random moments, then let it finish
kills=0
for i in 1 2 3 4 5; do
	PRESSMON_VAR="$TMP/var-b" PRESSMON_DB="$TMP/b.db" "$PM" run --once --claim-idle 1 --log-level error &
	pid=$!
	if [ "$i" -eq 1 ]; then
		# the first kill lands for sure: as soon as documents are fetched
		t=0
		for _ in $(seq 1 400); do
			[ "$(redis-cli -s "$TMP/var-b/redis.sock" xlen pm:raw 2>/dev/null)" -gt 0 ] 2>/dev/null && break
			sleep 0.025
		done
	else
		# the others anywhere between 5% and 70% of an undisturbed run
		ms=$(( run_ms * (5 + RANDOM % 66) / 100 ))
		t=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
		sleep "$t"
	fi
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	echo "kill $i after ${t}s: $(PRESSMON_DB="$TMP/b.db" "$PM" archive export 2>/dev/null | wc -l) archived" >&2
done
PRESSMON_VAR="$TMP/var-b" PRESSMON_DB="$TMP/b.db" "$PM" run --once --claim-idle 1 --log-level warn
check "final run after the kills exits 0" test $? -eq 0
echo "killed $kills times" >&2
check "at least one run was killed mid-way" test "$kills" -ge 1
ids_of "$TMP/b.db" >"$TMP/b.ids"
check_eq "no duplicates" "$(sort -u "$TMP/b.ids" | wc -l)" "$(wc -l <"$TMP/b.ids")"
check "same ids as the undisturbed run" cmp -s "$TMP/a.ids" "$TMP/b.ids"
# the final run stopped its embedded server; load its append-only file
# into a server of our own to look at the streams it left
redis-server --port 0 --unixsocket "$TMP/check.sock" --dir "$TMP/var-b/redis" \
	--appendonly yes --save '' --daemonize no --loglevel warning >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do [ "$(redis-cli -s "$TMP/check.sock" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
check_eq "nothing in dead" "$(redis-cli -s "$TMP/check.sock" xlen pm:dead)" 0
check_eq "nothing pending for the archive" \
	"$(redis-cli -s "$TMP/check.sock" xpending pm:tagged archive | head -n 1)" 0
summary
