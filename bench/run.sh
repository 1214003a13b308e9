#!/usr/bin/env bash
# make bench: every benchmark beside its peer, with ratios. Numbers are
# printed, never asserted: timing belongs here, not in tests.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/bench/data"
ratio() { python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(f'{a[\"mb_per_s\"]/max(b[\"mb_per_s\"],0.001):.1f}x')" "$1" "$2"; }

echo "== text normalizer: core/text tokenizer vs Python unicodedata + re"
[ -f "$BUILD/bench/data/text.txt" ] || python3 bench/mktext.py "$BUILD/bench/data/text.txt" 8
c=$("$BUILD/bench/bench_text" "$BUILD/bench/data/text.txt" 5)
p=$("${PEER_PY:-/usr/bin/python3}" bench/text_peer.py "$BUILD/bench/data/text.txt" 5)
echo "pressmon: $c"
echo "python:   $p"
echo "ratio (MB/s): $(ratio "$c" "$p")"

for extra in bench/*.sh; do
	case "$extra" in bench/run.sh) continue ;; esac
	echo
	BUILD=$BUILD bash "$extra"
done
