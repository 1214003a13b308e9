# bench/lib.sh: helpers the benchmark scripts share (sourced; needs $TMP).

# CPU seconds (user + sys) of every finished child so far, from `times`;
# run in this shell (a $(...) subshell would see only its own children)
kids_cpu() { # VAR
	times >"$TMP/times"
	printf -v "$1" '%s' "$(tail -n 1 "$TMP/times" |
		awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } print s }')"
}

# CPU seconds of the redis-server at $REDIS_PID (Linux /proc: utime + stime in ticks)
redis_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$REDIS_PID/stat"; }

# redis_start SOCK DIR: a redis-server without persistence on the unix
# socket SOCK, files in DIR; sets REDIS_PID and returns once it answers
# PING (or after 10 s, when the caller's first command will fail).
redis_start() {
	mkdir -p "$2"
	redis-server --port 0 --unixsocket "$1" --unixsocketperm 700 --dir "$2" \
		--save '' --appendonly no --daemonize no --loglevel warning >"$2/redis.log" 2>&1 &
	REDIS_PID=$!
	for _ in $(seq 1 200); do
		[ "$(redis-cli -s "$1" ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
}

# One line on how fast the machine is right now: the CPU time of a fixed
# Python loop. On the VMs measured the same code ran up to a third slower
# from one hour to the next; a benchmark prints this at its start and end
# so that numbers from different runs can be told apart from such swings.
speed_check() { # LABEL
	python3 -c '
import sys, time
t = time.process_time()
s = 0
for i in range(3000000):
    s += i * i
print(f"speed check ({sys.argv[1]}): {time.process_time() - t:.3f} s of CPU for a fixed loop (lower is faster)")' "$1"
}
