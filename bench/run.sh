#!/usr/bin/env bash
# make bench: every benchmark beside its peer, with ratios. Numbers are
# printed, never asserted: timing belongs here, not in tests.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/bench/data"
ratio() { python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(f'{a[\"mb_per_s\"]/max(b[\"mb_per_s\"],0.001):.1f}x')" "$1" "$2"; }

echo "== text normalizer: core/text tokenizer vs utf8proc_map and Python unicodedata + re"
echo "   (article-sized pieces; MB/s per CPU second, since other load on the machine skews wall time)"
D=$BUILD/bench/data
[ -f "$D/text.txt" ] || python3 bench/mktext.py "$D/text.txt" 8
[ -f "$D/text-en.txt" ] || python3 bench/mktext.py "$D/text-en.txt" 8 en
[ -f "$D/text-mixed.txt" ] || python3 bench/mktext.py "$D/text-mixed.txt" 4 ar,ru,fr
num() { sed -n "s/.*\"$2\": *\([0-9.]*\).*/\1/p" <<<"$1"; }
for kind in en mixed press; do
	file=$D/text-$kind.txt
	[ "$kind" = press ] && file=$D/text.txt
	c=$("$BUILD/bench/bench_text" "$file" 5)
	p=$("${PEER_PY:-/usr/bin/python3}" bench/text_peer.py "$file" 2)
	printf '  %-6s pressmon %7s MB/cpu-s (wall %s MB/s)  utf8proc_map %6s MB/cpu-s  ratio %sx  identical to utf8proc_map: %s\n' \
		"$kind" "$(num "$c" mb_per_cpu_s)" "$(num "$c" mb_per_s)" "$(num "$c" utf8proc_map_mb_per_cpu_s)" \
		"$(awk -v a="$(num "$c" mb_per_cpu_s)" -v b="$(num "$c" utf8proc_map_mb_per_cpu_s)" 'BEGIN{printf "%.1f", a/b}')" \
		"$([ "$(num "$c" tokens_unlike_utf8proc_map)" = 0 ] && echo yes || echo "NO ($(num "$c" tokens_unlike_utf8proc_map) tokens differ)")"
	printf '  %-6s python   %7s MB/s (wall)   ratio pressmon/python (wall) %s\n' "$kind" "$(num "$p" mb_per_s)" "$(ratio "$c" "$p")"
done

for extra in bench/*.sh; do
	case "$extra" in bench/run.sh) continue ;; esac
	echo
	BUILD=$BUILD bash "$extra"
done
