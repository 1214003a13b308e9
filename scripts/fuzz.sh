#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target for SECONDS over its seed corpus
# (tests/fuzz/seeds.txt). A crash leaves its input in BUILD/crashes/; copy
# it to tests/fuzz/regressions/TARGET/ so that `make test` replays it.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
# FUZZ_RUNS=N: a fixed number of inputs from a fixed seed instead of a time
# budget, so that a CI run is repeatable (the same inputs every time)
if [ -n "${FUZZ_RUNS:-}" ]; then
	limit="-runs=$FUZZ_RUNS -seed=1"
else
	limit="-max_total_time=$SECONDS_EACH"
fi
# FUZZ_ONLY="feed page": only those targets (default: all of them)
status=0
while read -r target dirs; do
	case "$target" in ''|'#'*) continue ;; esac
	case " ${FUZZ_ONLY:-$target} " in *" $target "*) ;; *) continue ;; esac
	corpus="$BUILD/corpus/$target"
	# a repeatable run starts from the seeds alone, not from what earlier
	# runs added to the working corpus
	[ -n "${FUZZ_RUNS:-}" ] && corpus="$BUILD/corpus-ci/$target" && rm -rf "$corpus"
	mkdir -p "$corpus" "$BUILD/crashes"
	# shellcheck disable=SC2086
	out=$("$BUILD/fuzz/fuzz_$target" $limit -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$BUILD/crashes/$target-" "$corpus" $dirs \
		"tests/fuzz/regressions/$target" 2>&1)
	rc=$?
	execs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
	speed=$(printf '%s\n' "$out" | sed -n 's/^stat::average_exec_per_sec: *//p')
	cov=$(printf '%s\n' "$out" | grep -o 'cov: [0-9]*' | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf '%-7s ok     %8s runs  %6s/s  %s\n' "$target" "${execs:-?}" "${speed:-?}" "$cov"
	else
		printf '%-7s CRASH  (exit %d)\n' "$target" "$rc"
		printf '%s\n' "$out" | grep -E 'ERROR|SUMMARY|artifact' | head -n 5 | sed 's/^/    /'
		status=1
	fi
done <tests/fuzz/seeds.txt
exit $status
