#!/usr/bin/env bash
# bench/digest: 'pressmon report' for the day with 20,000 articles
# (2026-06-15) in the 1,000,000-article archive of bench/archive.sh (built
# there, reused here). Target: under 2 s. Median of RUNS (5) runs, process
# start and writing the three files included; CPU time beside wall time,
# because the machine may be shared.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PM=$PWD/$BUILD/pressmon
DB=${ARCHIVE_DB:-$PWD/$BUILD/bench/data/archive-1m.db}
RUNS=${RUNS:-5}
echo "== digest: pressmon report --date 2026-06-15 on the 1,000,000-article archive"
if [ ! -f "$DB" ]; then
	echo "no archive at $DB: run bench/archive.sh first (it builds it once)"
	exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 - "$RUNS" "$PM" "$DB" "$TMP" <<'PY'
import json, resource, statistics, subprocess, sys, time
runs, pm, db, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
import os
# as shipped (pressmon runs itself with glibc's malloc asking for
# transparent huge pages: cli/main.c), and with that turned off by an empty
# GLIBC_TUNABLES (a digest touches ~180 MB of fresh heap; on this VM each
# 4 KiB page fault is expensive). The runs alternate.
variants = [("as shipped, huge pages", {}), ("GLIBC_TUNABLES= (4 KiB pages)", {"GLIBC_TUNABLES": ""})]
wall = {v: [] for v, _ in variants}
cpu = {v: [] for v, _ in variants}
for i in range(runs):
    for v, extra in variants:
        env = dict(os.environ)
        env.pop("GLIBC_TUNABLES", None)
        env.update(extra)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run([pm, "report", "--date", "2026-06-15", "--db", db, "--out", f"{tmp}/out"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        wall[v].append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[v].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        if p.returncode:
            sys.exit(f"report failed ({p.returncode}): {p.stderr.decode()[-400:]}")
d = json.load(open(f"{tmp}/out/2026-06-15/digest.json"))
print(f"day: {d['scope']['archived']} articles archived, {len(d['stories'])} stories")
for v, _ in variants:
    w, c = wall[v], cpu[v]
    print(f"pressmon report ({v}): {statistics.median(w):.2f} s wall (median of {runs}; "
          f"min {min(w):.2f}, max {max(w):.2f}), {statistics.median(c):.2f} s CPU; target < 2 s")
PY
