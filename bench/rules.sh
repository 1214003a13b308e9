#!/usr/bin/env bash
# bench/rules.sh: the classifier (normalization + term matching + every rule)
# beside Hyperscan matching the same literal terms, on the same text; the
# cost against the number of rules (100 and 10,000 generated) and against the
# text length. Run by bench/run.sh; MB/s by CPU time (the machine is shared),
# over enough rounds (100 ms or more of CPU each) that the clock's grain
# and a neighbour's cache traffic matter less.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DATA="$BUILD/bench/data"
B="$BUILD/bench/bench_rules"
mkdir -p "$DATA"

[ -f "$DATA/rules_text.txt" ] || python3 bench/mktext.py "$DATA/rules_text.txt" 1
for n in 100 10000; do
	[ -f "$DATA/gen_$n.rules" ] ||
		python3 bench/mkrules.py gen "$n" "$DATA/gen_$n.rules" "$DATA/gen_$n.terms"
done
python3 bench/mkrules.py extract classify/rules "$DATA/taxonomy.terms"
mb() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mb_per_s"])' "$1"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.001)))' "$1" "$2"; }
have_hs=1
"$B" hyperscan "$DATA/gen_100.terms" "$DATA/rules_text.txt" 1 >/dev/null 2>&1 || have_hs=0

echo "== rules: the taxonomy (classify/rules) on 1 MB of text, 4 KB articles"
c=$("$B" classify classify/rules "$DATA/rules_text.txt" 10 4000)
echo "pressmon:  $c"
if [ $have_hs = 1 ]; then
	h=$("$B" hyperscan "$DATA/taxonomy.terms" "$DATA/rules_text.txt" 20)
	echo "hyperscan: $h"
	echo "ratio pressmon/hyperscan (MB/s): $(ratio "$(mb "$c")" "$(mb "$h")")"
else
	echo "hyperscan: not built (install libhyperscan-dev, then rebuild $B)"
fi

echo
echo "== rules: 100 vs 10,000 generated rules (the same 15 matching; the rest never match)"
for docs in 4000 0; do
	[ "$docs" = 0 ] && what="one 1 MB document" || what="4 KB articles"
	a=$("$B" classify "$DATA/gen_100.rules" "$DATA/rules_text.txt" 10 "$docs")
	b=$("$B" classify "$DATA/gen_10000.rules" "$DATA/rules_text.txt" 10 "$docs")
	echo "pressmon, $what:   100 rules $(mb "$a") MB/s, 10,000 rules $(mb "$b") MB/s" \
		"(ratio $(ratio "$(mb "$b")" "$(mb "$a")"))"
done
if [ $have_hs = 1 ]; then
	a=$("$B" hyperscan "$DATA/gen_100.terms" "$DATA/rules_text.txt" 20)
	b=$("$B" hyperscan "$DATA/gen_10000.terms" "$DATA/rules_text.txt" 20)
	echo "hyperscan:   100 rules $(mb "$a") MB/s, 10,000 rules $(mb "$b") MB/s" \
		"(ratio $(ratio "$(mb "$b")" "$(mb "$a")"))"
fi

echo
echo "== rules: the classify stage's work per article without Redis (decode, classify, encode)"
if [ ! -s "$DATA/articles.ndjson" ]; then
	tmp=$(mktemp -d /tmp/pm-rules-bench.XXXXXX)
	python3 tests/gen/genfeeds.py "$tmp" --feeds 4 --items 500 >/dev/null
	for f in "$tmp"/*.xml; do "$BUILD/pressmon" parse --file "$f"; echo; done |
		python3 -c 'import json, sys
n = 0
for line in sys.stdin:
    if not line.strip(): continue
    for e in json.loads(line).get("entries", []):
        n += 1
        print(json.dumps({"id": "%016x" % n, "url": e["link"], "title": e["title"],
              "text": e["content"] or e["summary"] or "", "lang": "en",
              "summary": e["summary"] if e["content"] else "",
              "source": {"id": "gen", "name": "Generated", "region": "africa", "type": "wire"}}))' \
		>"$DATA/articles.ndjson"
	rm -rf "$tmp"
fi
echo "pressmon:  $("$B" articles classify/rules "$DATA/articles.ndjson" 5)"

echo
echo "== rules: the taxonomy on one document of growing length (linear: MB/s stays level)"
for size in 0.25 0.5 1 2; do
	f="$DATA/rules_text_$size.txt"
	[ -f "$f" ] || python3 bench/mktext.py "$f" "$size"
	r=$("$B" classify classify/rules "$f" 5 0)
	echo "$size MB: $r"
done
