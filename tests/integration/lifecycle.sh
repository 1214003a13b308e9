#!/usr/bin/env bash
# Worker lifecycle: SIGHUP reloads feeds.conf (a broken file is refused and
# the worker keeps going), SIGTERM stops a continuous `pressmon run` with
# exit 0 and its embedded Redis shut down.
source "$(dirname "$0")/lib.sh"
unset PRESSMON_REDIS
sed "s|file:samples/|file://$ROOT/samples/|" "$ROOT/feeds.conf" >"$TMP/feeds.conf"
export PRESSMON_CONFIG="$TMP/feeds.conf" PRESSMON_VAR="$TMP/var" PRESSMON_DB="$TMP/a.db"
export PRESSMON_RULES="$ROOT/classify/rules"

"$PM" run --log-level info 2>"$TMP/log" &
pm=$!
PIDS+=($pm)
for _ in $(seq 1 400); do grep -q worker_started "$TMP/log" && break; sleep 0.05; done
check "run started" grep -q worker_started "$TMP/log"

cp "$TMP/feeds.conf" "$TMP/good.conf"
printf '[feed extra]\nurl = file://%s/samples/feeds/red-andina.xml\nregion = mars\n' "$ROOT" >>"$TMP/feeds.conf"
kill -HUP "$pm"
for _ in $(seq 1 400); do grep -q reload_refused "$TMP/log" && break; sleep 0.05; done
check "a broken feeds.conf is refused, naming file:line" grep -q "reload_refused.*feeds.conf:[0-9]*: region 'mars'" "$TMP/log"
check "the worker keeps running" kill -0 "$pm"

cp "$TMP/good.conf" "$TMP/feeds.conf"
printf '[feed extra]\nurl = file://%s/samples/feeds/red-andina.xml\nregion = americas\n' "$ROOT" >>"$TMP/feeds.conf"
kill -HUP "$pm"
for _ in $(seq 1 400); do grep -q 'msg=reloaded' "$TMP/log" && break; sleep 0.05; done
check "a good feeds.conf is loaded" grep -q 'msg=reloaded.*feeds=11' "$TMP/log"

kill -TERM "$pm"
t0=$(date +%s)
wait "$pm"
rc=$?
check_eq "SIGTERM: exit code" "$rc" 0
check "SIGTERM: stopped within 10 s" test $(( $(date +%s) - t0 )) -le 10
check "the embedded redis-server is gone" bash -c "! redis-cli -s '$TMP/var/redis.sock' ping >/dev/null 2>&1"
check "log says stopped" grep -q 'msg=stopped' "$TMP/log"
summary
