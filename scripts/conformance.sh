#!/bin/sh
# scripts/conformance.sh BIN: scores `BIN parse --file` on the shared corpora
# (feedparser's feed cases, Readability's pages), then holds every failing
# case against tests/conformance-exceptions.txt. Run from the repo root.
set -u
BIN=${1:-build/pressmon}
CORPORA=${CORPORA:-../shared/corpora}
TOOLS=${TOOLS:-../shared/tools}
SHOW=${SHOW:-0}
EXCEPTIONS=${EXCEPTIONS:-tests/conformance-exceptions.txt}
rc=0
if [ ! -d "$CORPORA/feeds" ]; then
	echo "conformance: no corpora at '$CORPORA'" >&2
	exit 2
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
for group in core sanitize; do
	# every failing case goes to the log; SHOW of them to the terminal
	python3 "$TOOLS/feedcheck.py" --pressmon "$BIN" --corpus "$CORPORA/feeds" \
		--group "$group" --show 1000000 >"$tmp/feeds-$group" || rc=1
	if [ "$SHOW" -gt 0 ]; then
		grep '^FAIL ' "$tmp/feeds-$group" | head -n "$SHOW"
	fi
	grep -v '^FAIL ' "$tmp/feeds-$group"
done
python3 "$TOOLS/pagecheck.py" --pressmon "$BIN" --pages "$CORPORA/pages" --show "$SHOW" || rc=1
python3 scripts/conformance_exceptions.py --exceptions "$EXCEPTIONS" --pressmon "$BIN" \
	--tools "$TOOLS" --pages "$CORPORA/pages" \
	--feed-log "$tmp/feeds-core" --feed-log "$tmp/feeds-sanitize" || rc=1
exit $rc
