#!/bin/sh
# scripts/conformance.sh BIN: scores `BIN parse --file` on the shared corpora
# (feedparser's feed cases, Readability's pages). Run from the repo root.
set -u
BIN=${1:-build/pressmon}
CORPORA=${CORPORA:-../shared/corpora}
TOOLS=${TOOLS:-../shared/tools}
SHOW=${SHOW:-0}
rc=0
if [ ! -d "$CORPORA/feeds" ]; then
	echo "conformance: no corpora at '$CORPORA'" >&2
	exit 2
fi
for group in core sanitize; do
	python3 "$TOOLS/feedcheck.py" --pressmon "$BIN" --corpus "$CORPORA/feeds" \
		--group "$group" --show "$SHOW" || rc=1
done
python3 "$TOOLS/pagecheck.py" --pressmon "$BIN" --pages "$CORPORA/pages" --show "$SHOW" || rc=1
exit $rc
