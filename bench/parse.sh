#!/usr/bin/env bash
# bench/parse.sh: feed parsing throughput, pm_parse_document() vs Python
# feedparser (Debian python3-feedparser), on the same files; run by bench/run.sh.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA="$BUILD/bench/data"
mkdir -p "$DATA"

# feedparser comes from Debian, so it is under /usr/bin/python3 even when
# another python3 (pyenv, venv) is first on PATH
PEER_PY=
for py in python3 /usr/bin/python3; do
	if command -v "$py" >/dev/null && "$py" -c 'import feedparser' 2>/dev/null; then
		PEER_PY=$py
		break
	fi
done

ratio() { # C json, peer json: feeds/s and MB/s ratios, and the counts check
	python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
r = lambda k: a[k] / max(b[k], 0.001)
cpu = (b["cpu_ms"] / b["rounds"]) / max(a["cpu_ms"] / a["rounds"], 0.001)
print("%.1fx feeds/s, %.1fx MB/s (wall); %.1fx by CPU time per pass"
      % (r("feeds_per_s"), r("mb_per_s"), cpu))
if (a["entries"], a["bozo"]) != (b["entries"], b["bozo"]):
    print("note: counts differ: entries %d vs %d, bozo %d vs %d"
          % (a["entries"], b["entries"], a["bozo"], b["bozo"]))' "$1" "$2"
}

# bench_parse runs under the malloc settings `pressmon parse` gives itself
# (cli/main.c): huge pages where the kernel offers them, and a larger
# tcache. A GLIBC_TUNABLES set by the caller is kept (empty: glibc's
# defaults).
if [ -z "${GLIBC_TUNABLES+set}" ]; then
	GLIBC_TUNABLES=glibc.malloc.tcache_count=1000
	case $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) in
	*"[always]"* | *"[madvise]"*) GLIBC_TUNABLES=glibc.malloc.hugetlb=1:$GLIBC_TUNABLES ;;
	esac
fi
echo "bench_parse malloc settings: GLIBC_TUNABLES=$GLIBC_TUNABLES (as the parse worker)"

one() { # title, C rounds, peer rounds, files...
	local title=$1 cr=$2 pr=$3 c p
	shift 3
	echo "-- $title ($# files)"
	c=$(GLIBC_TUNABLES=$GLIBC_TUNABLES "$BUILD/bench/bench_parse" "$cr" "$@")
	echo "pressmon:   $c"
	if [ -z "$PEER_PY" ]; then
		echo "peer missing: apt-get install python3-feedparser"
		return
	fi
	p=$("$PEER_PY" bench/parse_peer.py "$pr" "$@")
	echo "feedparser: $p"
	echo "ratio: $(ratio "$c" "$p")"
}

echo "== feed parsing: pm_parse_document vs Python feedparser"
# (a) realistic size: 50 generated RSS 2.0 feeds of 100 items (about 3.4 MB)
[ -f "$DATA/feeds50/gen-049.xml" ] ||
	python3 tests/gen/genfeeds.py "$DATA/feeds50" --feeds 50 --items 100 >/dev/null
one "generated: 50 feeds x 100 items" 10 2 "$DATA"/feeds50/gen-*.xml
# the parse stage's own CPU per article, short of Redis: parsing, the
# article objects (canonical URL, id, fingerprint) and their JSON text
echo "-- parse stage without Redis (bench_parse --stage), same 50 feeds"
s=$(GLIBC_TUNABLES=$GLIBC_TUNABLES "$BUILD/bench/bench_parse" --stage 10 "$DATA"/feeds50/gen-*.xml)
echo "pressmon:   $s"
python3 -c 'import json, sys; print("CPU per article: %.1f us" % json.loads(sys.argv[1])["cpu_us_per_entry"])' "$s"

# (b) the public corpus: many tiny files, every format and breakage
CORPUS=../shared/corpora/feeds
if [ -d "$CORPUS" ]; then
	mapfile -t files < <(find "$CORPUS" -name '*.xml' -type f | LC_ALL=C sort)
	[ "${#files[@]}" -gt 0 ] && one "corpus: $CORPUS/**/*.xml" 20 3 "${files[@]}"
else
	echo "-- corpus: $CORPUS not present, skipped"
fi
