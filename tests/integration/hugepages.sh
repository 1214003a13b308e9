#!/usr/bin/env bash
# Huge pages: pressmon runs itself again with glibc's malloc asking for
# transparent huge pages (cli/main.c) when the kernel offers them, keeps its
# process id doing so, and leaves a GLIBC_TUNABLES the user set alone.
source "$(dirname "$0")/lib.sh"
unset GLIBC_TUNABLES
export PRESSMON_RULES="$ROOT/classify/rules" PRESSMON_CONFIG="$ROOT/feeds.conf"

start_redis hp || { echo "0 passed, 1 failed"; exit 1; }

# env_of NAME [VAR=VALUE]: starts a classify worker (a parse worker with
# CMD=parse), waits until it says it started and prints its GLIBC_TUNABLES
# as /proc sees it ("unset" when absent); $! is the pid the shell started,
# so a match is also the same pid
env_of() {
	local log=$TMP/$1.log pid v
	shift
	env "$@" "$PM" "${CMD:-classify}" --redis "$REDIS_URL" --log-level info 2>"$log" &
	pid=$!
	for _ in $(seq 1 200); do grep -q worker_started "$log" && break; sleep 0.05; done
	v=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^GLIBC_TUNABLES=//p')
	if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^GLIBC_TUNABLES='; then
		echo "set:$v"
	else
		echo unset
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo absent)
got=$(env_of default)
# glibc may cut /proc's copy of GLIBC_TUNABLES at its first ':', so the
# parse worker's full setting is read from its own start-up line
CMD=parse env_of parse >/dev/null
got_parse=$(sed -n 's/.*worker_started.* malloc="\([^"]*\)".*/\1/p' "$TMP/parse.log")
PRESSMON_DB="$TMP/hp.db" CMD=archive env_of archive >/dev/null
got_archive=$(sed -n 's/.*worker_started.* malloc="\([^"]*\)".*/\1/p' "$TMP/archive.log")
no_trim="glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864"
case $mode in
*"[always]"* | *"[madvise]"*)
	check_eq "with THP ($mode) the worker asks malloc for huge pages, same pid" "$got" \
		"set:glibc.malloc.hugetlb=1"
	check_eq "the parse worker also keeps more freed chunks per size" "$got_parse" \
		"glibc.malloc.hugetlb=1:glibc.malloc.tcache_count=1000"
	check_eq "the archive worker also keeps its heap between batches" "$got_archive" \
		"glibc.malloc.hugetlb=1:$no_trim" ;;
*)
	check_eq "without THP ($mode) nothing is set" "$got" unset
	check_eq "without THP the parse worker still keeps more freed chunks" "$got_parse" \
		"glibc.malloc.tcache_count=1000"
	check_eq "without THP the archive worker still keeps its heap" "$got_archive" "$no_trim" ;;
esac
check_eq "an empty GLIBC_TUNABLES turns it off" "$(env_of off GLIBC_TUNABLES=)" "set:"
check_eq "the user's GLIBC_TUNABLES is left alone" \
	"$(env_of own GLIBC_TUNABLES=glibc.malloc.arena_max=2)" "set:glibc.malloc.arena_max=2"
check "the worker started as usual" grep -q worker_started "$TMP/default.log"
"$PM" --version >/dev/null
check "--version runs without a second start" test $? -eq 0
summary
