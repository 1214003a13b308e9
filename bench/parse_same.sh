#!/usr/bin/env bash
# bench/parse_same.sh: shows that two builds of the parser write the same
# bytes: `bench_parse --dump` of both over the corpora and generated feeds.
# usage: bash bench/parse_same.sh OLD_BENCH_PARSE [NEW_BENCH_PARSE]
# (build the old one from an earlier commit, e.g. in a scratch worktree)
set -eu
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
	# bench/run.sh runs every bench/*.sh without arguments
	echo "-- parse_same: bash bench/parse_same.sh OLD_BENCH_PARSE compares two builds (skipped)"
	exit 0
fi
OLD=$1
NEW=${2:-${BUILD:-build}/bench/bench_parse}
DATA="${BUILD:-build}/bench/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# the input list: path, URL (the base for relative links), Content-Type
[ -f "$DATA/feeds50/gen-049.xml" ] ||
	python3 tests/gen/genfeeds.py "$DATA/feeds50" --feeds 50 --items 100 >/dev/null
[ -f "$DATA/feeds-paged/gen-009.xml" ] ||
	python3 tests/gen/genfeeds.py "$DATA/feeds-paged" --feeds 10 --items 30 --seed 3 --pages 50 >/dev/null
python3 - "$DATA" >"$tmp/list" <<'EOF'
import glob, json, os, sys
data = sys.argv[1]
for p in sorted(glob.glob(data + "/feeds50/gen-*.xml")) + sorted(glob.glob(data + "/feeds-paged/*.xml")):
    print(p + "\t\t")
    print(p + "\thttps://Gen.News.Example:443/feed/?utm_source=x\tapplication/rss+xml")
corpus = "../shared/corpora"
if os.path.isdir(corpus + "/feeds"):
    expect = json.load(open(corpus + "/feeds/expect.json"))
    for rel in sorted(expect):
        path = corpus + "/feeds/" + rel
        http = expect[rel].get("http") or {}
        ctype = (http.get("headers") or {}).get("Content-Type", "")
        print(path + "\t\t")
        print(path + "\t" + http.get("url", "http://example.org/feeds/x.xml") + "\t" + ctype)
if os.path.isdir(corpus + "/pages"):
    for d in sorted(glob.glob(corpus + "/pages/*/source.html")):
        print(d + "\t\t")
        print(d + "\thttp://www.example.com/news/2026/story.html#top\ttext/html")
EOF
"$OLD" --dump <"$tmp/list" >"$tmp/old"
"$NEW" --dump <"$tmp/list" >"$tmp/new"
n=$(wc -l <"$tmp/list")
if cmp -s "$tmp/old" "$tmp/new"; then
	echo "same: $n documents, $(wc -c <"$tmp/new") bytes of output, identical"
else
	echo "DIFFERENT: $(diff "$tmp/old" "$tmp/new" | grep -c '^<') of $n documents"
	diff "$tmp/old" "$tmp/new" | cut -c1-300 | head -20
	exit 1
fi
