#!/usr/bin/env bash
# tests/integration/chaos.sh: the fault tests of issue 8 — 2,000 generated
# articles (a quarter of them read from full pages) through two fetch, two
# parse, two classify workers and one archive worker on one Redis,
#   A. with 10 SIGKILLs of a random worker at random moments (each killed
#      worker restarted at once), and
#   B. with redis-server (AOF on) stopped and started again mid-run, and
#   C. with redis-server killed (SIGKILL: a crash) and started again;
# each then drains (every feed fetched, every stream with nothing pending
# and nothing undelivered, per `pressmon status --format json`), and its
# archive must equal an undisturbed `pressmon run --once`'s: same ids, one
# row each, the same tags (and title, text, misinformation flags) for every
# article, nothing in dead.
# The choices (which worker, when) come from a seeded RNG; the seed is
# printed and CHAOS_SEED=N replays them; CHAOS_PARTS="A" runs one part,
# CHAOS_KEEP=DIR keeps the worker logs of a failed run. Bounded: CHAOS_LIMIT
# seconds (default 150, 300 for a sanitizer build) for the whole script, then
# it fails. About 40-70 s here. Last line: "N passed, N failed".
BUILD=${BUILD:-build}
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PRESSMON_BIN=${PRESSMON_BIN:-$_root/$BUILD/pressmon}
# shellcheck source=tests/integration/lib.sh
. "$_root/tests/integration/lib.sh"

# under AddressSanitizer (make test-asan) every worker runs 2-3 times slower
case $PM in *asan*) LIMIT=${CHAOS_LIMIT:-300} ;; *) LIMIT=${CHAOS_LIMIT:-150} ;; esac
SEED=${CHAOS_SEED:-$(( ($$ + $(date +%s)) % 32768 ))}
KILLS=${CHAOS_KILLS:-10}
PARTS=${CHAOS_PARTS:-A B C} # A: kills, B: Redis restart, C: Redis crash
IDLE=2 # --claim-idle: a killed worker's entries wait this long for another
RANDOM=$SEED
echo "chaos: seed $SEED (CHAOS_SEED=$SEED replays the same choices)" >&2
[ -x "$PM" ] || { echo "no $PM: run make first" >&2; echo "0 passed, 1 failed"; exit 1; }

# The hard timeout: a watchdog signals this shell, whose handler fails the
# test and exits (the EXIT trap of lib.sh then kills every process started).
# Long steps run as background jobs waited on, so the signal is seen at once.
( trap 'kill "$s" 2>/dev/null; exit 0' TERM
  sleep "$LIMIT" & s=$!
  wait "$s" && kill -USR1 $$ ) 2>/dev/null &
WATCHDOG=$!
trap 'fail "hard timeout: still running after ${LIMIT}s"; summary; exit 1' USR1
trap 'kill -TERM "$WATCHDOG" 2>/dev/null; cleanup' EXIT

python3 "$ROOT/tests/gen/genfeeds.py" "$TMP/feeds" --feeds 20 --items 100 --pages 25 --seed "$SEED"
export PRESSMON_CONFIG="$TMP/feeds/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
unset PRESSMON_REDIS PRESSMON_DB

# --- helpers -----------------------------------------------------------------

# pipeline_state URL: one line from `pressmon status --format json`:
#   "idle L" when every feed was fetched and no stream has pending or
#   undelivered entries (L: the stream lengths, to see that nothing moved
#   between two looks), else "busy ...". Then "archived=N dead=N".
pipeline_state() {
	PRESSMON_REDIS=$1 "$PM" status --format json 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    print("busy no-status archived=0 dead=?"); sys.exit()
st = s["streams"]
names = ("raw", "pages", "articles", "tagged")
work = sum(st[n]["pending"] + max(st[n]["lag"], 0) + (st[n]["lag"] < 0) for n in names)
unfetched = sum(1 for f in s["feeds"] if not f.get("last_ok"))
t = st["tagged"]
archived = t["length"] - max(t["lag"], 0) - t["pending"]
lengths = ",".join(str(st[n]["length"]) for n in names)
state = "idle" if work == 0 and unfetched == 0 else "busy"
dead = st["dead"]["length"]
done = sum(st[n]["length"] - max(st[n]["lag"], 0) - st[n]["pending"] for n in names)
print(f"{state} {lengths} unfetched={unfetched} work={work} archived={archived} dead={dead} done={done}")
'
}

# wait_drained URL DEADLINE_S: waits (polling) until two looks in a row say
# idle with the same stream lengths; returns 1 at the deadline.
wait_drained() {
	local url=$1 deadline=$2 prev="" cur
	while [ "$SECONDS" -lt "$deadline" ]; do
		cur=$(pipeline_state "$url")
		case $cur in
		idle*) [ "$cur" = "$prev" ] && return 0 ;;
		esac
		prev=$cur
		sleep 0.2
	done
	echo "not drained: $cur" >&2
	return 1
}

ROLES=(fetch fetch parse parse classify classify archive)
WPID=()
# The workers run in slices of SLICE seconds: between slices they are
# stopped (SIGSTOP) while the test looks at the work done and decides on a
# fault. A look costs more time than the whole run of 2,000 articles takes
# on a fast build, so without slices every fault landed after the work was
# done; with them, a fault lands at its point of the work however fast the
# workers and however slow the looks. (Redis is never stopped: a held
# entry can go idle and be claimed by the other worker of its role, which
# is one more fault the pipeline must survive.)
SLICE=0.05 # set from the reference run's time below: about 25 slices a run
pause_workers() { kill -STOP "${WPID[@]}" 2>/dev/null; }
resume_workers() { kill -CONT "${WPID[@]}" 2>/dev/null; }
run_slice() { resume_workers; sleep "$SLICE"; pause_workers; }

# start_worker SLOT URL DB LOGPREFIX
start_worker() {
	local slot=$1
	"$PM" "${ROLES[$slot]}" --redis "$2" --db "$3" --claim-idle "$IDLE" --log-level warn \
		2>>"$4-$slot-${ROLES[$slot]}.log" &
	WPID[slot]=$!
	PIDS+=($!)
}
start_workers() { # URL DB LOGPREFIX
	local slot
	for slot in "${!ROLES[@]}"; do start_worker "$slot" "$@"; done
}
# stop_workers NAME: SIGTERM to every worker; each must exit 0
stop_workers() {
	local slot rc bad=0
	resume_workers
	for slot in "${!ROLES[@]}"; do kill -TERM "${WPID[slot]}" 2>/dev/null; done
	for slot in "${!ROLES[@]}"; do
		wait "${WPID[slot]}"
		rc=$?
		[ "$rc" -eq 0 ] || { bad=$((bad + 1)); echo "$1: worker $slot (${ROLES[slot]}) exited $rc" >&2; }
	done
	check_eq "$1: every worker exits 0 on SIGTERM" "$bad" 0
}

# start_redis_at NAME [ARGS]: redis-server on $TMP/NAME.sock with AOF on,
# like the embedded one and deploy/redis.conf; data in $TMP/NAME-data
# survives a restart. Sets RPID.
start_redis_at() {
	local name=$1
	shift
	mkdir -p "$TMP/$name-data"
	redis-server --port 0 --unixsocket "$TMP/$name.sock" --unixsocketperm 700 --dir "$TMP/$name-data" \
		--appendonly yes --appendfsync everysec --save '' --daemonize no \
		--loglevel warning "$@" >/dev/null 2>&1 &
	RPID=$!
	PIDS+=($RPID)
	for _ in $(seq 1 200); do
		[ "$(redis-cli -s "$TMP/$name.sock" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	echo "redis-server $name did not start" >&2
	return 1
}

# compare_archives NAME DB: the archive against the reference's export
compare_archives() {
	local name=$1 db=$2 report
	PRESSMON_DB=$db "$PM" archive export >"$TMP/$name.ndjson" 2>"$TMP/$name.export.err"
	check "$name: archive export works" test $? -eq 0
	report=$(python3 - "$TMP/ref.ndjson" "$TMP/$name.ndjson" "$db" <<'EOF'
import json, sqlite3, sys
def load(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    return rows, {r["id"]: r for r in rows}
def essence(a):
    tags = sorted((t["tag"], round(t["score"], 6)) for t in a.get("tags") or [])
    mis = sorted((m["claim"], m.get("sentence")) for m in a.get("misinfo") or [])
    return (a.get("url"), a.get("title"), a.get("text"), a.get("summary"), a.get("published"),
            (a.get("source") or {}).get("id"), tags, mis)
ref_rows, ref = load(sys.argv[1])
got_rows, got = load(sys.argv[2])
db = sqlite3.connect(f"file:{sys.argv[3]}?mode=ro", uri=True)
rows, distinct = db.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone()
print("exported", len(got_rows))
print("exported_dups", len(got_rows) - len(got))
print("db_rows", rows)
print("db_dup_rows", rows - distinct)
print("missing", len(set(ref) - set(got)))
print("extra", len(set(got) - set(ref)))
diff = [i for i in ref if i in got and essence(ref[i]) != essence(got[i])]
print("differ", len(diff))
print("differ_tags", sum(1 for i in diff if essence(ref[i])[6] != essence(got[i])[6]))
print("first_differ", diff[0] if diff else "-")
print("tagged", sum(1 for a in got_rows if a.get("tags")))
EOF
)
	get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$report"; }
	echo "$report" | tr '\n' ' ' | sed "s/^/  $name: /" >&2
	echo >&2
	check_eq "$name: every article archived" "$(get exported)" "$(wc -l <"$TMP/ref.ndjson")"
	check_eq "$name: no article exported twice" "$(get exported_dups)" 0
	check_eq "$name: one row per article in the database" "$(get db_rows)" "$(get exported)"
	check_eq "$name: no id on two rows" "$(get db_dup_rows)" 0
	check_eq "$name: no article of the reference missing" "$(get missing)" 0
	check_eq "$name: no article the reference lacks" "$(get extra)" 0
	check_eq "$name: tags equal for every article" "$(get differ_tags)" 0
	check_eq "$name: every article equal to the reference's (tags, text, flags)" "$(get differ)" 0
	# the full-text index (its own file, its own thread: archive/ftsidx.h)
	# holds one entry per article, has applied its whole queue, and finds
	# what the reference's finds
	local fts
	fts=$(python3 - "$db" <<'EOF'
import sqlite3, sys
a = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
f = sqlite3.connect(f"file:{sys.argv[1]}-fts?mode=ro", uri=True)
n = a.execute("SELECT count(*) FROM articles").fetchone()[0]
docs = f.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
hwm = a.execute("SELECT seq FROM sqlite_sequence WHERE name = 'fts_queue'").fetchone()[0]
applied = f.execute("SELECT v FROM fts_state WHERE k = 'applied'").fetchone()[0]
print(docs - n, hwm - applied)
EOF
)
	check_eq "$name: one full-text entry per article, the whole queue applied" "$fts" "0 0"
	check_eq "$name: a text query finds what the reference's finds" \
		"$(PRESSMON_DB=$db "$PM" query --count-by type --format csv 'court OR warrant*' 2>&1)" \
		"$(PRESSMON_DB=$TMP/ref.db "$PM" query --count-by type --format csv 'court OR warrant*' 2>&1)"
}

# group_summary URL: "pending dead" over all groups, straight from Redis
redis_leftovers() {
	local s=$1 n=0 g
	for g in raw:parse pages:fetch articles:classify tagged:archive; do
		n=$((n + $(redis-cli -s "$s" xpending "pm:${g%%:*}" "${g#*:}" | head -n 1)))
	done
	echo "pending=$n dead=$(redis-cli -s "$s" xlen pm:dead)"
}

# --- the reference: one undisturbed `run --once` -----------------------------

start_redis_at ref || { echo "0 passed, 1 failed"; exit 1; }
t0=$(date +%s%N)
"$PM" run --once --redis "unix://$TMP/ref.sock" --db "$TMP/ref.db" --log-level warn 2>"$TMP/ref.log" &
wait $!
check "reference run exits 0" test $? -eq 0
T_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
PRESSMON_DB="$TMP/ref.db" "$PM" archive export >"$TMP/ref.ndjson"
echo "reference: $(wc -l <"$TMP/ref.ndjson") articles in ${T_MS} ms; $(redis_leftovers "$TMP/ref.sock")" >&2
check_eq "reference archived every article" "$(wc -l <"$TMP/ref.ndjson")" 2000
# the text query compare_archives repeats finds articles of several types
check "reference: the text query finds articles" \
	test "$(PRESSMON_DB=$TMP/ref.db "$PM" query --count-by type --format csv 'court OR warrant*' | wc -l)" -ge 3
check_eq "reference: nothing dead or pending" "$(redis_leftovers "$TMP/ref.sock")" "pending=0 dead=0"
check "reference: a quarter of the articles came from pages" \
	test "$(grep -c '"url":"file://' "$TMP/ref.ndjson")" -eq 500
SLICE=$(python3 -c "import sys; print(round(max(0.05, min(1.0, int(sys.argv[1]) / 1000 / 25)), 3))" "$T_MS")
echo "workers run in slices of ${SLICE}s between looks" >&2
# the work, counted as entries all stages finish (acknowledge): faults
# are placed at random points of it
TOTAL=0
for s in raw pages articles tagged; do TOTAL=$((TOTAL + $(redis-cli -s "$TMP/ref.sock" xlen "pm:$s"))); done

# --- A: random SIGKILLs ------------------------------------------------------

if [[ " $PARTS " == *" A "* ]]; then
start_redis_at kill || { summary; exit 1; }
URL="unix://$TMP/kill.sock"
# The kill moments: random points of the work, as the number of entries
# all stages have finished (acknowledged), so that they land while there is
# work however fast the machine runs today.
mapfile -t AT < <(for _ in $(seq 1 "$KILLS"); do echo $(( TOTAL * (1 + RANDOM % 85) / 100 )); done | sort -n)
echo "A: kills when ${AT[*]} of $TOTAL entries are done" >&2
t0=$(date +%s%N)
start_workers "$URL" "$TMP/kill.db" "$TMP/kill"
pause_workers
kills=0 mid=0 k=0
while [ "$k" -lt "$KILLS" ] && [ "$SECONDS" -lt $((LIMIT - 20)) ]; do
	run_slice
	state=$(pipeline_state "$URL")
	done_now=${state##*done=}
	while [ "$k" -lt "$KILLS" ] && { [ "${done_now:-0}" -ge "${AT[k]}" ] || [ "${state%% *}" = idle ]; }; do
		slot=$((RANDOM % ${#ROLES[@]}))
		kill -9 "${WPID[slot]}" 2>/dev/null && kills=$((kills + 1))
		wait "${WPID[slot]}" 2>/dev/null
		start_worker "$slot" "$URL" "$TMP/kill.db" "$TMP/kill"
		kill -STOP "${WPID[slot]}" 2>/dev/null
		case $state in busy*) mid=$((mid + 1)) ;; esac
		k=$((k + 1))
		echo "  kill $k at $(( ($(date +%s%N) - t0) / 1000000 )) ms: ${ROLES[slot]} worker $slot; before: $state" >&2
	done
done
resume_workers
wait_drained "$URL" $((SECONDS + 45))
check "A (kills): the pipeline drains" test $? -eq 0
echo "A: drained after $(( ($(date +%s%N) - t0) / 1000000 )) ms; $kills kills, $mid while work remained" >&2
stop_workers "A (kills)"
check_eq "A (kills): $KILLS workers killed" "$kills" "$KILLS"
check "A (kills): most kills landed while work remained ($mid of $kills)" test "$mid" -ge $((KILLS / 2))
check_eq "A (kills): nothing dead or pending" "$(redis_leftovers "$TMP/kill.sock")" "pending=0 dead=0"
compare_archives A "$TMP/kill.db"
fi

# --- B and C: redis-server restarted, or killed, mid-run -------------------

# redis_fault PART NAME SIGNAL: the workers on a Redis that gets SIGNAL at a
# random point of the work (TERM: a restart by the service manager, the
# server writes its append-only file out; KILL: a crash, the last second of
# writes may be lost, so the work of that second must be done again), stays
# away a second, and comes back.
redis_fault() {
	local part=$1 name=$2 sig=$3 at before lost
	start_redis_at "$name" || { fail "$part: redis-server did not start"; return; }
	URL="unix://$TMP/$name.sock"
	at=$(( TOTAL * (10 + RANDOM % 50) / 100 ))
	start_workers "$URL" "$TMP/$name.db" "$TMP/$name"
	pause_workers
	t0=$(date +%s%N)
	while [ "$SECONDS" -lt $((LIMIT - 20)) ]; do
		run_slice
		before=$(pipeline_state "$URL")
		[ "${before##*done=}" -ge "$at" ] && break
	done
	kill -"$sig" "$RPID"
	wait "$RPID" 2>/dev/null
	resume_workers
	echo "$part: redis-server got SIG$sig after $(( ($(date +%s%N) - t0) / 1000000 )) ms ($at of $TOTAL entries done); before: $before" >&2
	case $before in busy*) ok ;; *) fail "$part: Redis went away after the work was done" ;; esac
	sleep 1 # Redis stays away a moment: the workers must notice and back off
	# then it takes a while to read its append-only file back, as a large one
	# does, answering LOADING meanwhile (0.1 ms per command of the file:
	# about a second here; key-load-delay is a debugging setting of redis-server)
	start_redis_at "$name" --key-load-delay 100
	check "$part: redis-server came back with its data" \
		test "$(redis-cli -s "$TMP/$name.sock" exists pm:raw)" = 1
	wait_drained "$URL" $((SECONDS + 40))
	check "$part: the pipeline drains" test $? -eq 0
	echo "$part: drained after $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
	stop_workers "$part"
	lost=$(cat "$TMP/$name"-*.log | grep -c 'dependency_unavailable\|redis_lost')
	check "$part: the workers noticed the lost connection ($lost log lines)" test "$lost" -gt 0
	echo "$part: $(cat "$TMP/$name"-*.log | grep -c 'LOADING') log lines of workers told to wait while Redis loaded" >&2
	check_eq "$part: nothing dead or pending" "$(redis_leftovers "$TMP/$name.sock")" "pending=0 dead=0"
	compare_archives "$part" "$TMP/$name.db"
}

[[ " $PARTS " == *" B "* ]] && redis_fault "B (Redis restart)" restart TERM
[[ " $PARTS " == *" C "* ]] && redis_fault "C (Redis crash)" crash KILL

if [ "$FAILED" -ne 0 ]; then
	echo "seed $SEED; worker logs (last lines):" >&2
	for f in "$TMP"/kill-*.log "$TMP"/restart-*.log "$TMP"/crash-*.log; do
		[ -s "$f" ] && { echo "== $(basename "$f")"; tail -n 5 "$f"; } >&2
	done
	[ -n "${CHAOS_KEEP:-}" ] && mkdir -p "$CHAOS_KEEP" && cp -r "$TMP"/*.log "$CHAOS_KEEP"/
fi
summary
