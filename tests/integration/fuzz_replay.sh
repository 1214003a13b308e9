#!/usr/bin/env bash
# Replays every fuzz target's seed corpus and every input that once crashed
# it (tests/fuzz/regressions/) through the target, in this build.
source "$(dirname "$0")/lib.sh"
BUILD_DIR=$(dirname "$PM")
cd "$ROOT"
while read -r target dirs; do
	case "$target" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	if out=$("$BUILD_DIR/fuzz/replay_$target" $dirs "tests/fuzz/regressions/$target" 2>&1); then
		n=${out%% passed*}
		PASSED=$((PASSED + n))
	else
		fail "fuzz target $target on its seeds: $(printf '%s' "$out" | tail -n 3)"
	fi
done <tests/fuzz/seeds.txt
summary
