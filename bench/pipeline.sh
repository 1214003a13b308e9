#!/usr/bin/env bash
# bench/pipeline.sh: end-to-end throughput on generated articles (300,000
# by default: a full day of a large public news monitor; BENCH_ARTICLES
# sets another number, in feeds of 500 items): `pressmon run --once` with
# the embedded Redis, then the same work as separate workers one stage at a
# time (where the time goes), then 2 parse and 2 classify workers at once
# (the speed-up), then every stage's workers at once as a deployment runs
# them. Run by bench/run.sh.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
PM="$ROOT/$BUILD/pressmon"
ITEMS=500
FEEDS=$(( (${BENCH_ARTICLES:-300000} + ITEMS - 1) / ITEMS ))
N=$((FEEDS * ITEMS))
# parse gets small batches so that two workers share the documents (with
# the default 64 one worker would take them all in its first read); the
# single-worker runs use the same size so that the two compare.
PARSE_BATCH=4

TMP=$(mktemp -d /tmp/pm-bench.XXXXXX)
PIDS=()
RUN_PID=
cleanup() {
	local p
	# a kill or wait of a process that is gone fails: under set -e that
	# ended the trap before rm (and left gigabytes in /tmp)
	set +e
	# pressmon run stops its embedded redis-server on SIGTERM; if it is
	# gone already, shut that server down through its own socket
	[ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
	[ -S "$TMP/var/redis.sock" ] && redis-cli -s "$TMP/var/redis.sock" shutdown nosave >/dev/null 2>&1
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
source bench/lib.sh # kids_cpu, redis_cpu, redis_start, speed_check
sub() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$1" "$2"; }
archived() { PRESSMON_DB=$1 "$PM" query --count-by type --format csv | awk -F, 'NR > 1 { n += $2 } END { print n + 0 }'; }

echo "== pipeline: $N generated articles ($FEEDS feeds x $ITEMS items)"
speed_check start
python3 tests/gen/genfeeds.py "$TMP/feeds" --feeds "$FEEDS" --items "$ITEMS" >/dev/null
export PRESSMON_CONFIG="$TMP/feeds/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
unset PRESSMON_REDIS

# 1. everything in one process, embedded Redis (the default deployment)
export PRESSMON_VAR="$TMP/var" PRESSMON_DB="$TMP/run.db"
kids_cpu c0
t0=$(now)
"$PM" run --once --log-level warn &
RUN_PID=$!
wait "$RUN_PID"
RUN_PID=
t1=$(now)
kids_cpu c1
n=$(archived "$TMP/run.db")
s=$(secs "$t0" "$t1")
echo "run --once (embedded redis):  ${s} s, $n archived, $(rate "$n" "$s") articles/s (cpu: pressmon and its redis-server $(sub "$c0" "$c1") s)"
run_s=$s

# 2. one redis-server of our own, no persistence
redis_up() { # NAME: a fresh server on $TMP/NAME.sock; sets PRESSMON_REDIS, SOCK
	SOCK="$TMP/$1.sock"
	redis_start "$SOCK" "$TMP/$1"
	PIDS+=("$REDIS_PID")
	export PRESSMON_REDIS="unix://$SOCK"
}
xlen() { redis-cli -s "$SOCK" xlen "pm:$1"; }
stage() { # NAME ARGS...: runs one worker --once; sets T (wall seconds), CPU
	local a b c0 c1 r0 r1
	kids_cpu c0
	r0=$(redis_cpu) a=$(now)
	"$PM" "$@" --once --log-level warn
	b=$(now) r1=$(redis_cpu)
	kids_cpu c1
	T=$(secs "$a" "$b")
	CPU="cpu: worker $(sub "$c0" "$c1") s, redis $(sub "$r0" "$r1") s"
}
parallel() { # K NAME ARGS...: K workers of one stage at once; sets T
	local k=$1 a b p pids=()
	shift
	a=$(now)
	for _ in $(seq 1 "$k"); do
		"$PM" "$@" --once --log-level warn &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	b=$(now)
	T=$(secs "$a" "$b")
}

redis_up split
export PRESSMON_DB="$TMP/split.db"
echo "separate workers, one after another (redis-server on a unix socket, no persistence):"
stage fetch
f_s=$T
echo "  fetch     ${T} s  ($(xlen raw) documents -> raw; $CPU)"
stage parse --batch="$PARSE_BATCH"
p_s=$T
echo "  parse     ${T} s  ($(xlen articles) articles, $(rate "$(xlen articles)" "$T")/s; $CPU)"
stage classify
c_s=$T
echo "  classify  ${T} s  ($(xlen tagged) articles, $(rate "$(xlen tagged)" "$T")/s; $CPU)"
stage archive
a_s=$T
n=$(archived "$TMP/split.db")
echo "  archive   ${T} s  ($n archived, $(rate "$n" "$T")/s; $CPU)"
total=$(python3 -c "import sys; print('%.2f' % sum(map(float, sys.argv[1:])))" "$f_s" "$p_s" "$c_s" "$a_s")
echo "  total     ${total} s  ($(rate "$n" "$total") articles/s; run --once took ${run_s} s)"

# 3. two workers per stage at once, on a fresh server with the same input
redis_up par
export PRESSMON_DB="$TMP/par.db"
echo "two workers at once per stage (same input, fresh redis-server):"
stage fetch
parallel 2 parse --batch="$PARSE_BATCH"
echo "  2 x parse     ${T} s  ($(xlen articles) articles; 1 worker: ${p_s} s; speed-up $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$p_s" "$T"))"
parallel 2 classify
echo "  2 x classify  ${T} s  ($(xlen tagged) articles; 1 worker: ${c_s} s; speed-up $(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))" "$c_s" "$T"))"

# 4. every stage's workers at once, as a deployment runs them: one fetch,
# P parse, C classify and one archive worker started together and left
# running (no --once: a stage after the first would find its input empty
# and stop), timed until all N articles are archived, then stopped
together() { # NAME P C: sets T, TN, CPU
	local a b c0 c1 r0 r1 p start=$SECONDS pids=()
	redis_up "$1"
	export PRESSMON_DB="$TMP/$1.db"
	kids_cpu c0
	r0=$(redis_cpu) a=$(now)
	"$PM" fetch --log-level warn &
	pids+=($!)
	for _ in $(seq 1 "$2"); do "$PM" parse --batch="$PARSE_BATCH" --log-level warn & pids+=($!); done
	for _ in $(seq 1 "$3"); do "$PM" classify --log-level warn & pids+=($!); done
	"$PM" archive --log-level warn &
	pids+=($!)
	PIDS+=("${pids[@]}")
	TN=0
	while [ "$TN" -lt "$N" ] && [ $((SECONDS - start)) -lt 1800 ]; do
		sleep 0.5
		[ -f "$TMP/$1.db" ] && TN=$(archived "$TMP/$1.db" 2>/dev/null)
		TN=${TN:-0}
	done
	b=$(now) r1=$(redis_cpu)
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	kids_cpu c1
	T=$(secs "$a" "$b")
	CPU="cpu: workers $(sub "$c0" "$c1") s, redis $(sub "$r0" "$r1") s"
}
echo "every stage's workers at once, until all are archived (fresh redis-server each):"
together at1 1 1
echo "  1 parse, 1 classify, 1 archive:  ${T} s  ($TN archived, $(rate "$TN" "$T") articles/s; $CPU)"
together at2 2 2
echo "  2 parse, 2 classify, 1 archive:  ${T} s  ($TN archived, $(rate "$TN" "$T") articles/s; $CPU)"
speed_check end
