#!/usr/bin/env bash
# The adaptive poll interval: a feed whose document changed is polled twice
# as often, an unchanged one half again as rarely, within its bounds; a feed
# without `adaptive = yes` keeps its interval.
source "$(dirname "$0")/lib.sh"
start_redis ad || { fail "redis-server"; summary; exit 1; }
export PRESSMON_REDIS=$REDIS_URL
cp "$ROOT/samples/feeds/red-andina.xml" "$TMP/a.xml"
cp "$ROOT/samples/feeds/red-andina.xml" "$TMP/b.xml"
cat >"$TMP/feeds.conf" <<CONF
[feed a]
url = file:a.xml
interval = 600
min_interval = 200
max_interval = 1000
adaptive = yes

[feed b]
url = file:b.xml
interval = 600
CONF
export PRESSMON_CONFIG="$TMP/feeds.conf"
state() { redis-cli -s "$TMP/ad.sock" hget "pm:feed:{$1}" adaptive_interval; }
fetch() { "$PM" fetch --once --log-level error; }

fetch
check_eq "new content: twice as often" "$(state a)" 300
check_eq "not adaptive: the configured interval" "$(state b)" 600
fetch
check_eq "unchanged: half again as rarely" "$(state a)" 450
fetch
fetch
check_eq "unchanged again: 675, then capped at max_interval" "$(state a)" 1000
echo "<!-- changed -->" >>"$TMP/a.xml"
fetch
check_eq "changed: halved" "$(state a)" 500
for _ in 1 2 3 4; do echo "<!-- $RANDOM -->" >>"$TMP/a.xml"; fetch; done
check_eq "changing all the time: floored at min_interval" "$(state a)" 200
due=$(redis-cli -s "$TMP/ad.sock" zscore pm:sched a)
now=$(( $(date +%s) * 1000 ))
check "next due about min_interval from now" test $(( (due - now) / 1000 )) -ge 190 -a $(( (due - now) / 1000 )) -le 200
summary
