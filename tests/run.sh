#!/usr/bin/env bash
# Runs the unit test binaries and the integration scripts, each of which
# ends with "N passed, N failed"; sums them up into the same last line.
# usage: tests/run.sh [unit|integration|all]   (BUILD selects the build dir)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export PRESSMON_BIN="$PWD/$BUILD/pressmon"
what=${1:-all}
total_pass=0 total_fail=0 broken=()

run_one() { # name, command...
	local name=$1 out rc line p f
	shift
	local start=$SECONDS
	out=$("$@" 2>"$BUILD/tests/$name.stderr")
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$line" ]; then
		broken+=("$name (exit $rc, no summary line)")
		total_fail=$((total_fail + 1))
		printf '%-28s BROKEN (exit %d) — see %s\n' "$name" "$rc" "$BUILD/tests/$name.stderr"
		tail -n 20 "$BUILD/tests/$name.stderr" | sed 's/^/    /'
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed}
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		[ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
		printf '%-28s %s (exit %d, %ds)\n' "$name" "$line" "$rc" $((SECONDS - start))
		grep -hE '^FAIL|^not ok' "$BUILD/tests/$name.stderr" 2>/dev/null | head -n 20 | sed 's/^/    /'
		printf '%s\n' "$out" | grep -E '^FAIL|^not ok' | head -n 20 | sed 's/^/    /'
	else
		printf '%-28s %s (%ds)\n' "$name" "$line" $((SECONDS - start))
	fi
}

mkdir -p "$BUILD/tests"
if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.stderr) continue ;; esac
		run_one "$(basename "$t")" "$t"
	done
fi
if [ "$what" = integration ] || [ "$what" = all ]; then
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		[ "$(basename "$s")" = lib.sh ] && continue
		run_one "$(basename "$s" .sh)" bash "$s"
	done
	# the labelled set: F1 >= 0.95 for every tag and claim (make eval)
	run_one classify_eval python3 tests/classify/eval.py
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
