#!/usr/bin/env bash
# make demo: the whole pipeline over the bundled sample feeds with the
# embedded Redis, then the digest for the sample day. No network needed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${PRESSMON_BIN:-build/pressmon}
SAMPLE_DAY=2026-11-24
export PRESSMON_CONFIG=${PRESSMON_CONFIG:-feeds.conf}
export PRESSMON_DB=${PRESSMON_DB:-var/archive.db}
mkdir -p var out

echo "== pressmon run --once (fetch, parse, classify, archive over samples/)"
start=$(date +%s%N)
"$BIN" run --once --log-level warn
end=$(date +%s%N)
echo "   done in $(( (end - start) / 1000000 )) ms"

echo "== what was tagged (pressmon query --count-by tag)"
"$BIN" query --count-by tag --format table

echo "== Security Council referrals (pressmon query --tag unsc-referral)"
"$BIN" query --tag unsc-referral --format table --fields published,source,title --limit 10

echo "== digest for $SAMPLE_DAY"
"$BIN" report --date "$SAMPLE_DAY" --out out
echo
echo "Open out/$SAMPLE_DAY/digest.html in a browser (or read out/$SAMPLE_DAY/digest.md)."
