#!/usr/bin/env bash
# bench/archive: the archive's import rate beside a plain batched FTS5 insert
# by the sqlite3 shell, then three analyst queries on a 1,000,000-article
# archive, each beside the sqlite3 shell running the equivalent SQL.
#
# Every query time is the median of RUNS runs (>= 5) of a whole process, start-up
# included, with its output written to /dev/null. The big archive is built
# once (bench/genarchive.py | pressmon archive import) and kept under
# $BUILD/bench/data; delete archive-1m.db there to build it again.
# Knobs: RUNS (7), IMPORT_N (20000), IMPORT_RUNS (5), ARCHIVE_N (1000000); ARCHIVE_DATA=DIR
# keeps the data there instead (another worktree's build/bench/data: the
# 1M archive and its index are 5.3 GB, built once); ARCHIVE_DB=PATH queries another archive (WEEK_SINCE/WEEK_UNTIL pick the week, default
# 2026-03-02..08), SKIP_IMPORT=1 skips part 1; COMPARE_PM (below) compares
# story clusters with another build, QUERY_CMP_PM the output of queries.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PM=$PWD/$BUILD/pressmon
DATA=${ARCHIVE_DATA:-$PWD/$BUILD/bench/data}
RUNS=${RUNS:-7}
IMPORT_N=${IMPORT_N:-20000}
IMPORT_RUNS=${IMPORT_RUNS:-5}
ARCHIVE_N=${ARCHIVE_N:-1000000}
[ "$RUNS" -ge 5 ] || RUNS=5
mkdir -p "$DATA"
command -v sqlite3 >/dev/null || { echo "peer missing: apt-get install sqlite3"; exit 0; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# runs "$@" RUNS times; prints "median_ms cpu_ms_median lines" (lines of
# stdout of the last run, to show both sides return the same rows)
timeit() {
	python3 - "$RUNS" "$@" <<'EOF'
import os, resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
wall, cpu, lines = [], [], 0
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall.append((time.perf_counter() - t0) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    if p.returncode:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()[-500:]}")
    lines = p.stdout.count(b"\n")
print(f"{statistics.median(wall):.1f} {statistics.median(cpu):.1f} {lines}")
EOF
}

# one timed run of "$@": prints "wall_s cpu_s"
once() {
	python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
w = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode:
    sys.exit(f"failed ({p.returncode}): {' '.join(sys.argv[1:])}")
print(f"{w:.2f} {r.ru_utime + r.ru_stime:.2f}")
EOF
}

# "wall cpu" pairs -> the median of each
median_pairs() {
	python3 -c "import statistics, sys
p = [tuple(map(float, a.split())) for a in sys.argv[1:]]
print(statistics.median(w for w, _ in p), statistics.median(c for _, c in p))" "$@"
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/max(float(sys.argv[2]),0.001):.2f}x')" "$1" "$2"; }

# ---- 1. import rate ----
# COMPARE_PM=/path/to/another/pressmon: import the same IMPORT_N articles
# with both builds and compare every article's story cluster and the
# clusters table (a schema change must leave clusters as they were); exits
# 1 when they differ, and runs nothing else.
if [ -n "${COMPARE_PM:-}" ]; then
	python3 bench/genarchive.py "$IMPORT_N" --seed 2 --days 30 > "$TMP/cmp.ndjson"
	for side in old new; do
		bin=$PM; [ $side = old ] && bin=$COMPARE_PM
		"$bin" archive import "$TMP/cmp.ndjson" --db "$TMP/$side.db" 2>/dev/null
		sqlite3 "$TMP/$side.db" "SELECT id, cluster FROM articles ORDER BY id" > "$TMP/$side.art"
		sqlite3 "$TMP/$side.db" "SELECT id, first_ts, size FROM clusters ORDER BY id" > "$TMP/$side.cl"
	done
	joined=$(awk -F'|' '$1 != $2' "$TMP/new.art" | wc -l)
	if cmp -s "$TMP/old.art" "$TMP/new.art" && cmp -s "$TMP/old.cl" "$TMP/new.cl"; then
		echo "clusters identical: $(wc -l < "$TMP/new.art") articles, $(wc -l < "$TMP/new.cl") clusters, $joined articles joined another's"
		exit 0
	fi
	echo "clusters differ: $(diff "$TMP/old.art" "$TMP/new.art" | grep -c '^>') articles, $(diff "$TMP/old.cl" "$TMP/new.cl" | grep -c '^>') cluster rows"
	exit 1
fi

if [ -z "${SKIP_IMPORT:-}" ]; then
echo "== archive import: pressmon vs a plain batched FTS5 insert (sqlite3 shell), $IMPORT_N articles"
SRC=$DATA/import-$IMPORT_N.ndjson
[ -f "$SRC" ] || python3 bench/genarchive.py "$IMPORT_N" --seed 2 --days 30 > "$SRC"
echo "input: $(du -m "$SRC" | cut -f1) MB, $(python3 -c "
import json,sys; n=t=0
for l in open(sys.argv[1]): a=json.loads(l); n+=1; t+=len(a['text'].encode())
print(f'{t//n} bytes of text per article on average')" "$SRC")"
# the peer: the same rows staged as lines, then inserted 5,000 per
# transaction into a table with the same text columns and an external-
# content FTS5 index kept by a trigger (unicode61, diacritics removed);
# no tags, clusters or signatures: the floor of what SQLite itself costs
{
	echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
	echo "CREATE TABLE raw(j TEXT);"
	echo ".mode ascii"
	printf '.separator "\037" "\\n"\n'
	echo ".import $SRC raw"
	echo "CREATE TABLE articles(id TEXT PRIMARY KEY, rid INTEGER UNIQUE, url TEXT, title TEXT, text TEXT,"
	echo "  summary TEXT, published TEXT, ts INTEGER, lang TEXT, source_id TEXT);"
	echo "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='rid',"
	echo "  tokenize='unicode61 remove_diacritics 2');"
	echo "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN"
	echo "  INSERT INTO articles_fts(rowid, title, text) VALUES (new.rid, new.title, new.text); END;"
	for ((lo = 0; lo < IMPORT_N; lo += 5000)); do
		echo "BEGIN; INSERT INTO articles SELECT j->>'id', raw.rowid, j->>'url', j->>'title', j->>'text',"
		echo "  j->>'summary', j->>'published', unixepoch(j->>'published'), j->>'lang', j->'source'->>'id'"
		echo "  FROM raw WHERE rowid > $lo AND rowid <= $((lo + 5000)); COMMIT;"
	done
} > "$TMP/peer.sql"
# IMPORT_RUNS rounds (5), each side into a new file, alternating: a
# single run swung by a third with the machine's state; the medians count
pm_runs=() peer_runs=()
for ((r = 0; r < IMPORT_RUNS; r++)); do
	rm -f "$TMP"/pm.db* "$TMP"/peer.db*
	pm_runs+=("$(once "$PM" archive import "$SRC" --db "$TMP/pm.db" 2>/dev/null)")
	peer_runs+=("$(once sh -c "sqlite3 '$TMP/peer.db' < '$TMP/peer.sql'")")
done
echo "pressmon runs (s wall, s CPU): ${pm_runs[*]}"
echo "sqlite3 runs:                  ${peer_runs[*]}"
read -r pw pc < <(median_pairs "${pm_runs[@]}")
read -r sw sc < <(median_pairs "${peer_runs[@]}")
python3 - "$IMPORT_N" "$pw" "$pc" "$sw" "$sc" <<'EOF'
import sys
n, pw, pc, sw, sc = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"pressmon: {pw:6.2f} s wall, {pc:6.2f} s CPU: {n/pw:7.0f} articles/s wall, {n/pc:7.0f} per CPU second")
print(f"sqlite3:  {sw:6.2f} s wall, {sc:6.2f} s CPU: {n/sw:7.0f} articles/s wall, {n/sc:7.0f} per CPU second")
print(f"pressmon takes {pw/sw:.2f}x the peer's wall time, {pc/sc:.2f}x its CPU time")
print(f"target: >= 10,000 articles/s wall, about 1.3x the peer's rate: {'met' if n/pw >= 10000 else 'not met'}"
      f" ({n/pw:.0f}/s, {sw/pw:.2f}x the peer's rate)")
EOF
rm -f "$TMP"/pm.db* "$TMP"/peer.db*
fi

# ---- 2. the 1,000,000-article archive ----
DB=${ARCHIVE_DB:-$DATA/archive-1m.db}
if [ ! -f "$DB" ]; then
	echo
	echo "building $DB ($ARCHIVE_N articles, 20,000 of them on 2026-06-15; once)"
	# an interrupted build goes on where it stopped: the generator is
	# deterministic and import skips what is stored (idempotent)
	read -r bw bc < <(once sh -c "python3 bench/genarchive.py $ARCHIVE_N --seed 1 --hot-count 20000 |
		'$PM' archive import - --db '$DB.tmp'")
	echo "built in $bw s wall, $bc s CPU (generator included): $(python3 -c "print(round($ARCHIVE_N/$bw))") articles/s"
	# the archive and its full-text index beside it (PATH-fts, schema 11)
	sqlite3 "$DB.tmp" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	sqlite3 "$DB.tmp-fts" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	mv "$DB.tmp" "$DB"
	mv "$DB.tmp-fts" "$DB-fts"
	rm -f "$DB.tmp-wal" "$DB.tmp-shm" "$DB.tmp-fts-wal" "$DB.tmp-fts-shm"
fi
# an archive kept from an older build is read only once a writer migrated
# it (docs/archive.md): an empty import opens it for writing
"$PM" archive import - --db "$DB" < /dev/null > /dev/null
# the sqlite3 shell cannot load pressmon's tokenizer: its full-text index
# is a contentless FTS5 table (unicode61) in a file beside, with the same
# time-ordered rowids (trid), so both sides can bound a phrase by date
PEER=${DB%.db}-peer-fts.db
if [ ! -f "$PEER" ]; then
	echo "building the sqlite3 shell's full-text index $PEER (once)"
	rm -f "$PEER.tmp"
	sqlite3 "$PEER.tmp" "CREATE VIRTUAL TABLE fts USING fts5(title, text, content='',
		tokenize='unicode61 remove_diacritics 2');
		ATTACH '$DB' AS arch;
		INSERT INTO fts(rowid, title, text) SELECT trid, title, text FROM arch.articles;"
	mv "$PEER.tmp" "$PEER"
fi
S1=${WEEK_SINCE:-2026-03-02} U1=${WEEK_UNTIL:-2026-03-08}
# QUERY_CMP_PM=/path/to/another/pressmon: run a set of queries and exports
# (every format, field choice, filter, sort, paging and count) on $DB with
# both builds and compare their output byte for byte; exits 1 when any
# differs, and runs nothing else. The dates suit the benchmark archive.
if [ -n "${QUERY_CMP_PM:-}" ]; then
	W="--since $S1 --until $U1" D="--since $S1 --until $S1"
	F=id,published,source,title
	cat > "$TMP/queries" <<-EOF
	--tag unsc-referral $W --format csv --fields $F
	$W --format csv --fields $F '"arrest warrant"'
	--tag unsc-referral $W --format csv
	--tag unsc-referral $W
	--tag unsc-referral $W --format json
	--tag unsc-referral $W --format ndjson
	--tag unsc-referral $W --format ndjson --fields id,tags,misinfo,source
	--tag unsc-referral $W --format json --fields id,title
	--tag unsc-referral $W --format csv --fields id,tags,misinfo,score,cluster,source_name,country,region,type,url,fetched,lang
	--tag unsc-referral $W --format csv --sort score --fields id,score,title
	--tag unsc-referral $W --format csv --sort published --limit 10 --offset 5
	--tag unsc-referral $W --format csv --fields id,text,summary,author --limit 50
	--tag 'situation:*' $D --format csv --fields id,tags
	--tag icc --tag voice:un $D --format csv --region africa --lang fr
	--tag icc $D --format table --type public
	--misinfo icc-death-penalty $D --format csv --fields id,misinfo,tags
	--misinfo icc-death-penalty $D --format ndjson
	$W --format ndjson '"arrest warrant"'
	$W --format csv --sort score --fields id,score,title '"arrest warrant"'
	$D --format table --tag icc warrant OR referral
	$D --format csv --tz Asia/Kathmandu --fields id,published,title court
	$D --format csv --limit 500 --fields id,published,source,lang,title
	$D --format csv --offset 100 --fields id,published,source,lang,title
	--tag arrest-warrant --since 2026-01-01 --until 2026-12-31 --count-by day --format csv
	--tag icc --since 2026-01-01 --until 2026-12-31 --count-by week --format json
	--tag icc --since 2026-01-01 --until 2026-12-31 --count-by month --format table --tz America/St_Johns
	--tag icc $W --count-by tag --format csv
	--tag icc $W --count-by source --format ndjson --limit 20
	$W --count-by region --format csv '"arrest warrant"'
	--tag voice:un $W --count-by lang --format csv
	--tag voice:un $W --count-by type --format csv --region europe
	--tag voice:un $W --count-by day --format csv --lang en
	--tag unsc-referral --limit 30 --format csv --fields id,published,title
	EOF
	n=0 bad=0
	while IFS= read -r line; do
		n=$((n + 1))
		eval "set -- $line"
		"$PM" query --db "$DB" "$@" > "$TMP/new" 2>&1 || true
		"$QUERY_CMP_PM" query --db "$DB" "$@" > "$TMP/old" 2>&1 || true
		cmp -s "$TMP/old" "$TMP/new" || { bad=$((bad + 1)); echo "differs: query $line"; }
	done < "$TMP/queries"
	for args in "--tag unsc-referral $D" "--full $D court"; do
		n=$((n + 1))
		"$PM" archive export --db "$DB" $args > "$TMP/new" 2>&1 || true
		"$QUERY_CMP_PM" archive export --db "$DB" $args > "$TMP/old" 2>&1 || true
		cmp -s "$TMP/old" "$TMP/new" || { bad=$((bad + 1)); echo "differs: archive export $args"; }
	done
	echo "$n queries and exports: $((n - bad)) identical, $bad differ"
	[ "$bad" = 0 ]
	exit
fi

echo
echo "== queries on $(sqlite3 "$DB" 'SELECT count(*) FROM articles') articles ($(du -m "$DB" | cut -f1) MB), median of $RUNS runs, process start included"
printf '%-34s %10s %10s %8s %8s %s\n' query "pressmon" "sqlite3" ratio rows "(ms wall; CPU ms in brackets)"
show() { # name, pressmon result, sqlite3 result
	set -- "$1" $2 $3
	printf '%-34s %10s %10s %8s %8s   pressmon CPU %s, sqlite3 CPU %s%s\n' "$1" "$2" "$5" \
		"$(ratio "$2" "$5")" "$4" "$3" "$6" "$([ "$4" = "$7" ] || echo "  (rows differ: $4 vs $7)")"
}
FIELDS=id,published,source,title
SEC() { python3 -c "import calendar,datetime,sys; print(calendar.timegm(datetime.date.fromisoformat(sys.argv[1]).timetuple()) + int(sys.argv[2])*86400)" "$@"; }
T0=$(SEC $S1 0) T1=$(SEC $U1 1)

p=$(timeit "$PM" query --db "$DB" --tag unsc-referral --since $S1 --until $U1 --format csv --fields $FIELDS)
s=$(timeit sqlite3 -csv -header "$DB" "SELECT a.id, a.published, a.source_id AS source, a.title
	FROM tags t JOIN articles a ON a.trid = t.article
	WHERE t.tag = 'unsc-referral' AND t.ts >= $T0 AND t.ts < $T1 ORDER BY a.ts DESC, a.id")
show "tag unsc-referral, $S1..$U1" "$p" "$s"

p=$(timeit "$PM" query --db "$DB" --since $S1 --until $U1 --format csv --fields $FIELDS '"arrest warrant"')
s=$(timeit sqlite3 -csv -header "$DB" "ATTACH '$PEER' AS p;
	SELECT a.id, a.published, a.source_id AS source, a.title
	FROM p.fts f JOIN articles a ON a.trid = f.rowid
	WHERE fts MATCH '\"arrest warrant\"' AND f.rowid >= $T0 * 1048576 AND f.rowid < $T1 * 1048576
	AND a.ts >= $T0 AND a.ts < $T1 ORDER BY a.ts DESC, a.id")
show "\"arrest warrant\", $S1..$U1" "$p" "$s"

Y0=$(SEC 2026-01-01 0) Y1=$(SEC 2026-12-31 1)
p=$(timeit "$PM" query --db "$DB" --tag arrest-warrant --since 2026-01-01 --until 2026-12-31 --count-by day --format csv)
s=$(timeit sqlite3 -csv -header "$DB" "SELECT date(ts, 'unixepoch') AS key, count(*) AS count FROM tags
	WHERE tag = 'arrest-warrant' AND ts >= $Y0 AND ts < $Y1 GROUP BY key ORDER BY key")
show "count by day, arrest-warrant, 2026" "$p" "$s"

p=$(timeit "$PM" query --db "$DB" --tag icc --since 2026-01-01 --until 2026-12-31 --count-by day --format csv)
s=$(timeit sqlite3 -csv -header "$DB" "SELECT date(ts, 'unixepoch') AS key, count(*) AS count FROM tags
	WHERE tag = 'icc' AND ts >= $Y0 AND ts < $Y1 GROUP BY key ORDER BY key")
show "count by day, icc (85%), 2026" "$p" "$s"
echo "target: < 100 ms median each; the plans: docs/archive.md"
