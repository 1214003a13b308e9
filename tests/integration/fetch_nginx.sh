#!/usr/bin/env bash
# tests/integration/fetch_nginx.sh: `pressmon fetch --once` against a real
# nginx (Debian; its own ETag, Last-Modified and gzip) serving the fixture
# feeds of tests/servers/feeds, with a real redis-server: conditional GET,
# 304 writes nothing, a touched or changed file is fetched again, gzip on
# the wire and decoded bodies on raw. Last line: "N passed, N failed".
BUILD=${BUILD:-build}
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PRESSMON_BIN=${PRESSMON_BIN:-$_root/$BUILD/pressmon}
# shellcheck source=tests/integration/lib.sh
. "$_root/tests/integration/lib.sh"
# shellcheck source=tests/servers/nginx.sh
. "$ROOT/tests/servers/nginx.sh"

NGINX_PID=""
stop_nginx() {
	# TERM to the master: it stops its workers (a KILL would orphan them)
	if [ -n "$NGINX_PID" ]; then
		kill -TERM "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	fi
}
trap 'stop_nginx; cleanup' EXIT
trap 'exit 130' INT TERM HUP PIPE

if ! nginx_find; then
	# deps.sh installs nginx; this only happens when it could not
	echo "SKIP nginx not installed (scripts/deps.sh install could not provide it)" >&2
	echo "0 passed, 0 failed"
	exit 0
fi
[ -x "$PM" ] || make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$BUILD/pressmon" >/dev/null ||
	{ echo "cannot build $PM" >&2; echo "0 passed, 1 failed"; exit 1; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

DOC=$TMP/doc
mkdir -p "$DOC"
cp "$ROOT"/tests/servers/feeds/alpha.rss "$ROOT"/tests/servers/feeds/beta.atom \
	"$ROOT"/tests/servers/feeds/gamma.xml "$DOC/"
# a fixed past mtime, so that "touched" below is a real change of Last-Modified
touch -d '2024-03-04 10:00:00 UTC' "$DOC"/*
nginx_start "$TMP/nginx" "$DOC" on ||
	{ echo "0 passed, 1 failed"; exit 1; }
start_redis r || { echo "0 passed, 1 failed"; exit 1; }
SOCK=$TMP/r.sock
rc() { redis-cli -s "$SOCK" --raw "$@"; }
LOG=$TMP/nginx/access.log

cat >"$TMP/feeds.conf" <<EOF
[pressmon]
user_agent_contact = https://test.example/contact

[feed alpha]
url = http://127.0.0.1:$NGINX_PORT/alpha.rss
name = Alpha Gazette
country = NL
region = europe
lang = en
type = commercial
interval = 600

[feed beta]
url = http://127.0.0.1:$NGINX_PORT/beta.atom
name = Bulletin Beta
country = FR
region = europe
lang = fr
type = ngo
interval = 600

[feed gamma]
url = http://127.0.0.1:$NGINX_PORT/gamma.xml
name = Gamma Weekly
country = KE
region = africa
lang = en
type = public
interval = 600
EOF

fetch_once() { # label
	"$PM" fetch --once --redis "unix://$SOCK" --config "$TMP/feeds.conf" \
		--log-level info >>"$TMP/fetch.log" 2>&1
	check_eq "$1: pressmon fetch --once exit status" "$?" 0
}
# sha1 of the body of FEED's newest raw entry
raw_sha() { # feed
	rc EVAL "local r = redis.call('XRANGE', KEYS[1], '-', '+')
		for i = #r, 1, -1 do
			local f, m = r[i][2], {}
			for k = 1, #f, 2 do m[f[k]] = f[k + 1] end
			if m.feed == ARGV[1] then return redis.sha1hex(m.body) end
		end
		return ''" 1 pm:raw "$1"
}
raw_field() { # feed field: that field of the feed's newest raw entry
	rc EVAL "local r = redis.call('XRANGE', KEYS[1], '-', '+')
		for i = #r, 1, -1 do
			local f, m = r[i][2], {}
			for k = 1, #f, 2 do m[f[k]] = f[k + 1] end
			if m.feed == ARGV[1] then return m[ARGV[2]] end
		end
		return ''" 1 pm:raw "$1" "$2"
}
sha_of() { sha1sum "$1" | cut -d' ' -f1; }
# log lines of requests for URI (without the leading slash); nginx writes
# a '"' inside a logged header as \x22
log_for() { grep -F "\"/$1\"" "$LOG" | sed 's/\\x22/"/g'; }
last_log() { log_for "$1" | tail -n 1; }

# ---- first pass: 200, decoded bodies on raw, validators stored ----------
fetch_once "first pass"
check_eq "first pass: 3 documents on raw" "$(rc XLEN pm:raw)" 3
for f in alpha:alpha.rss beta:beta.atom gamma:gamma.xml; do
	id=${f%%:*} file=${f#*:}
	line=$(last_log "$file")
	check_eq "$id: nginx answered 200" "${line%% *}" 200
	# gzip on the wire: nginx says so, and sent fewer bytes than the file has
	enc=$(echo "$line" | awk '{print $5}')
	check_eq "$id: Content-Encoding on the wire" "$enc" gzip
	sent=$(echo "$line" | awk '{print $3}')
	size=$(stat -c %s "$DOC/$file")
	check "$id: body on the wire ($sent bytes) smaller than the file ($size)" [ "$sent" -lt "$size" ]
	check_eq "$id: raw body is the decoded file" "$(raw_sha "$id")" "$(sha_of "$DOC/$file")"
	check_eq "$id: raw status" "$(raw_field "$id" status)" 200
	etag=$(rc HGET "pm:feed:{$id}" etag)
	lm=$(rc HGET "pm:feed:{$id}" last_modified)
	check "$id: ETag stored in feed:{$id} ('$etag')" [ -n "$etag" ]
	check_eq "$id: Last-Modified stored" "$lm" "Mon, 04 Mar 2024 10:00:00 GMT"
	check_eq "$id: feed status" "$(rc HGET "pm:feed:{$id}" status)" 200
done
check_eq "alpha: content type from nginx" "$(raw_field alpha content_type)" "application/rss+xml"
check_eq "beta: content type from nginx" "$(raw_field beta content_type)" "application/atom+xml"
check_eq "gamma: content type from nginx" "$(raw_field gamma content_type)" "text/xml"
etag_alpha=$(rc HGET 'pm:feed:{alpha}' etag)

# ---- second pass: conditional, 304, nothing new on raw ------------------
declare -A etag_before
for id in alpha beta gamma; do etag_before[$id]=$(rc HGET "pm:feed:{$id}" etag); done
fetch_once "second pass"
check_eq "second pass: nothing new on raw" "$(rc XLEN pm:raw)" 3
for f in alpha:alpha.rss beta:beta.atom gamma:gamma.xml; do
	id=${f%%:*} file=${f#*:}
	line=$(last_log "$file")
	check_eq "$id: second request answered 304" "${line%% *}" 304
	check "$id: stored ETag sent as If-None-Match ($line)" grep -qF "\"${etag_before[$id]}\"" <<<"$line"
	check "$id: If-Modified-Since sent" grep -qF '"Mon, 04 Mar 2024 10:00:00 GMT"' <<<"$line"
	check_eq "$id: feed status after 304" "$(rc HGET "pm:feed:{$id}" status)" 304
	check_eq "$id: failures after 304" "$(rc HGET "pm:feed:{$id}" failures)" 0
done
# nginx weakens the ETag of a gzipped 200 (W/"x") but sends the strong one
# with a 304; both name the same version of the file
check_eq "alpha: same ETag after the 304" "$(rc HGET 'pm:feed:{alpha}' etag | sed 's#^W/##')" "${etag_alpha#W/}"

# ---- touched and changed files: 200 again --------------------------------
touch -d '2024-03-05 12:00:00 UTC' "$DOC/alpha.rss" # same bytes, newer mtime
sed 's#<title>Council debates#<title>Update: Council debates#' "$ROOT/tests/servers/feeds/gamma.xml" >"$DOC/gamma.xml"
touch -d '2024-03-05 12:00:00 UTC' "$DOC/gamma.xml"
fetch_once "third pass"
check_eq "third pass: two new documents on raw" "$(rc XLEN pm:raw)" 5
check_eq "alpha (touched): 200 again" "$(last_log alpha.rss | cut -d' ' -f1)" 200
check_eq "gamma (changed): 200 again" "$(last_log gamma.xml | cut -d' ' -f1)" 200
check_eq "beta (untouched): 304 again" "$(last_log beta.atom | cut -d' ' -f1)" 304
check_eq "alpha: new Last-Modified stored" "$(rc HGET 'pm:feed:{alpha}' last_modified)" "Tue, 05 Mar 2024 12:00:00 GMT"
check "alpha: new ETag stored" [ "$(rc HGET 'pm:feed:{alpha}' etag | sed 's#^W/##')" != "${etag_alpha#W/}" ]
check_eq "gamma: raw body is the changed file" "$(raw_sha gamma)" "$(sha_of "$DOC/gamma.xml")"
check "gamma: the change is in the body" grep -q 'Update: Council' <<<"$(raw_field gamma body)"

# ---- and quiet again ------------------------------------------------------
fetch_once "fourth pass"
check_eq "fourth pass: nothing new on raw" "$(rc XLEN pm:raw)" 5
check_eq "fourth pass: 3 requests, all 304" \
	"$(tail -n 3 "$LOG" | cut -d' ' -f1 | sort | uniq -c | tr -s ' ')" " 3 304"
check_eq "requests in all: 12" "$(wc -l <"$LOG")" 12
# an unexpected request count has been seen once on a loaded machine: keep
# what would explain it
[ "$(wc -l <"$LOG")" -eq 12 ] || { echo "access log:"; cat "$LOG"; echo "fetch log:"; cat "$TMP/fetch.log"; } >&2
check_eq "no failures or errors in the fetcher's log" \
	"$(grep -cE 'fetch_failed|level=(error|warn)' "$TMP/fetch.log")" 0

if [ "$FAILED" -ne 0 ]; then
	echo "--- nginx access log" >&2
	cat "$LOG" >&2
	echo "--- fetcher log" >&2
	tail -n 30 "$TMP/fetch.log" >&2
fi
summary
