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
