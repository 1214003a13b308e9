#!/usr/bin/env bash
# Fails when a source file includes a header its module may not use:
# the one-way layering of docs/ARCHITECTURE.md, and each third-party
# library confined to the module that owns it.
set -u
cd "$(dirname "$0")/.."

# module -> the project modules it may include (besides itself)
declare -A allow=(
	[core]=""
	[queue]="core"
	[fetch]="core queue"
	[parse]="core queue"
	[classify]="core queue"
	[archive]="core queue"
	[report]="core archive"
	[cli]="core queue fetch parse classify archive report cli"
	[tests]="*"
	[bench]="*"
)
# library header -> modules that may include it
declare -A libs=(
	[curl/]="fetch parse report"
	[libxml/]="parse"
	[utf8proc.h]="core"
	[hiredis]="queue"
	[sqlite3.h]="archive"
	[xxhash.h]="core"
	[microhttpd.h]="cli"
)
bad=0
while IFS= read -r file; do
	mod=${file%%/*}
	[ -n "${allow[$mod]+x}" ] || continue
	while IFS= read -r inc; do
		target=${inc%%/*}
		if [[ "$inc" == */* ]] && [ -n "${allow[$target]+x}" ] && [ "$target" != "$mod" ]; then
			if [ "${allow[$mod]}" != "*" ] && [[ " ${allow[$mod]} " != *" $target "* ]]; then
				echo "$file: includes \"$inc\": $mod may not depend on $target"
				bad=1
			fi
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
	while IFS= read -r inc; do
		for lib in "${!libs[@]}"; do
			if [[ "$inc" == "$lib"* ]]; then
				ok=${libs[$lib]}
				if [[ " $ok " != *" $mod "* ]] && [ "${allow[$mod]}" != "*" ]; then
					echo "$file: includes <$inc>: only $ok may use it"
					bad=1
				fi
			fi
		done
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$file")
done < <(git ls-files '*.c' '*.h'; git ls-files --others --exclude-standard '*.c' '*.h')
if [ "$bad" -ne 0 ]; then
	echo "check-deps: forbidden includes found (see docs/ARCHITECTURE.md)"
	exit 1
fi
echo "check-deps: module layering respected"
