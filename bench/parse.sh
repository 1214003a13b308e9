#!/usr/bin/env bash
# Feed parsing beside Python feedparser on the same files in the same run:
# generated news-sized feeds, then the public test corpus (many tiny files).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
data="$BUILD/bench/data/feeds"
[ -d "$data" ] || python3 tests/gen/genfeeds.py "$data" --feeds 50 --items 100 --seed 3
ratio() { python3 -c "
import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
if 'missing' in b: print('peer missing:', b['missing']); sys.exit()
print(f'ratio (docs/s): {a[\"docs_per_s\"]/max(b[\"docs_per_s\"],1e-9):.1f}x; entries seen: pressmon {a[\"entries\"]}, feedparser {b[\"entries\"]}')" "$1" "$2"; }

echo "== feed parsing: generated feeds (50 feeds x 100 items) — pressmon vs feedparser"
files=$(ls "$data"/*.xml)
# shellcheck disable=SC2086
c=$("$BUILD/bench/bench_parse" 5 $files)
# shellcheck disable=SC2086
p=$("${PEER_PY:-/usr/bin/python3}" bench/parse_peer.py 1 $files)
echo "pressmon:   $c"
echo "feedparser: $p"
ratio "$c" "$p"

corpus=../shared/corpora/feeds
if [ -d "$corpus" ]; then
	echo
	echo "== feed parsing: the public corpus ($(find "$corpus" -name '*.xml' | wc -l) small files)"
	mapfile -t cf < <(find "$corpus" -name '*.xml' | sort)
	c=$("$BUILD/bench/bench_parse" 5 "${cf[@]}")
	p=$("${PEER_PY:-/usr/bin/python3}" bench/parse_peer.py 1 "${cf[@]}")
	echo "pressmon:   $c"
	echo "feedparser: $p"
	ratio "$c" "$p"
fi
