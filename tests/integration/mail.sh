#!/usr/bin/env bash
# The digest by mail: 'pressmon report --mail-to ... --smtp ...' against a
# local SMTP sink this test starts (tests/servers/smtpsink.py). Checks what
# arrived — envelope, headers, both parts, the HTML equal to digest.html —
# and that a refused connection, a rejected recipient or a wrong password is
# a clear error with exit 1 that never shows the password.
source "$(dirname "$0")/lib.sh"
FIX="$ROOT/tests/fixtures/archive"
export PRESSMON_DB="$TMP/a.db" PRESSMON_CONFIG="$TMP/none.conf"
unset PRESSMON_SMTP_USER PRESSMON_SMTP_PASSWORD

"$PM" archive import "$FIX/digest-week.ndjson" >/dev/null 2>"$TMP/import.log"
check "fixture archive imported" test $? -eq 0

python3 "$ROOT/tests/servers/smtpsink.py" "$TMP/inbox" "$TMP/port" digest:s3cret-pw 2>"$TMP/sink.log" &
PIDS+=($!)
for _ in $(seq 1 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
port=$(cat "$TMP/port" 2>/dev/null)
check "smtp sink started" test -n "$port"
SMTP="smtp://127.0.0.1:$port"

report() { # out-dir, extra args... -> exit code in $rc, stderr in $TMP/err
	local out=$1
	shift
	"$PM" report --date 2026-03-08 --feed-health "$FIX/feed-health.json" --out "$out" "$@" \
		>"$TMP/stdout" 2>"$TMP/err"
	rc=$?
}
count() { ls "$TMP/inbox"/*.eml 2>/dev/null | wc -l; }

# usage errors: exit 2, nothing sent
report "$TMP/o0" --mail-to media@example.org
check_eq "--mail-to without --smtp: exit 2" "$rc" 2
report "$TMP/o0" --smtp "$SMTP"
check_eq "--smtp without --mail-to: exit 2" "$rc" 2
report "$TMP/o0" --mail-to 'not an address' --smtp "$SMTP"
check_eq "bad recipient address: exit 2" "$rc" 2
report "$TMP/o0" --mail-to media@example.org --smtp "http://user:pw-in-url@127.0.0.1:$port"
check_eq "--smtp not smtp: exit 2" "$rc" 2
check "a bad --smtp is not echoed (it may hold a password)" bash -c "! grep -q pw-in-url '$TMP/err'"
check_eq "nothing sent by usage errors" "$(count)" 0

# the digest, to two recipients
report "$TMP/out" --mail-to media@example.org,desk@example.net --mail-from digest@example.org \
	--smtp "$SMTP" --log-level info
check_eq "mailed: exit 0" "$rc" 0
check "stdout still lists the files" grep -q '/2026-03-08/digest.html$' "$TMP/stdout"
check_eq "one message arrived" "$(count)" 1
python3 - "$TMP/inbox/1.eml" "$TMP/inbox/1.json" "$TMP/out/2026-03-08/digest.html" <<'PY' || fail "the message as received"
import email, email.policy, json, sys
raw = open(sys.argv[1], "rb").read()
env = json.load(open(sys.argv[2]))
html_file = open(sys.argv[3], encoding="utf-8").read()
assert env["from"] == "digest@example.org", env
assert env["rcpt"] == ["media@example.org", "desk@example.net"], env
assert env["auth"] is None, env
for line in raw.split(b"\r\n"):
    assert len(line) <= 998, len(line)
assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
assert all(b < 128 for b in raw), "8-bit bytes in a 7-bit message"
m = email.message_from_bytes(raw, policy=email.policy.default)
assert m["Subject"] == "ICC press digest \u2014 2026-03-08", m["Subject"]
assert m["From"] == "digest@example.org", m["From"]
assert [a.addr_spec for a in m["To"].addresses] == ["media@example.org", "desk@example.net"], m["To"]
assert m["Date"].datetime is not None and m["Message-ID"].endswith("@example.org>"), (m["Date"], m["Message-ID"])
assert m["MIME-Version"] == "1.0"
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
parts = list(m.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], parts
for p in parts:
    assert p.get_content_charset() == "utf-8"
    assert p["Content-Transfer-Encoding"] == "quoted-printable"
text = parts[0].get_content().replace("\r\n", "\n")
html = parts[1].get_content().replace("\r\n", "\n")
assert html == html_file, "the HTML part differs from digest.html"
assert text.startswith("ICC press digest \u2014 2026-03-08\n=====")
assert "\nStories\n-------\n" in text and "**" not in text and "\\(" not in text, text[:400]
assert "<https://news.example.org/" in text, "links keep their URL"
PY
ok
check "the log names the server, not a password" grep -q "msg=mail_sent smtp=smtp://127.0.0.1:$port" "$TMP/err"

# a rejected recipient: exit 1, the server's answer in the message
report "$TMP/out" --mail-to media@example.org,reject-me@example.org --smtp "$SMTP"
check_eq "rejected recipient: exit 1" "$rc" 1
check "rejected recipient: says so" grep -q "cannot mail the digest.*550" "$TMP/err"
check_eq "rejected recipient: nothing delivered" "$(count)" 1

# a refused connection: a port where nothing listens
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
report "$TMP/out" --mail-to media@example.org --smtp "smtp://127.0.0.1:$closed"
check_eq "refused connection: exit 1" "$rc" 1
check "refused connection: says so" grep -qi "cannot mail the digest through 'smtp://127.0.0.1:$closed.*connect" "$TMP/err"

# login from the environment, then from the URL; a wrong password
PRESSMON_SMTP_USER=digest PRESSMON_SMTP_PASSWORD=s3cret-pw \
	report "$TMP/out" --mail-to media@example.org --smtp "$SMTP" --log-level debug
check_eq "login from the environment: exit 0" "$rc" 0
check "login from the environment: authenticated" grep -q '"auth": "digest"' "$TMP/inbox/2.json"
check "login from the environment: no password in the log" bash -c "! grep -q s3cret-pw '$TMP/err'"
report "$TMP/out" --mail-to media@example.org --smtp "smtp://digest:s3cret-pw@127.0.0.1:$port" --log-level debug
check_eq "login from the URL: exit 0" "$rc" 0
check "login from the URL: authenticated" grep -q '"auth": "digest"' "$TMP/inbox/3.json"
check "login from the URL: no password in the log" bash -c "! grep -q s3cret-pw '$TMP/err'"
report "$TMP/out" --mail-to media@example.org --smtp "smtp://digest:wrong-pw@127.0.0.1:$port"
check_eq "wrong password: exit 1" "$rc" 1
check "wrong password: says so" grep -qi "cannot mail.*\(login\|auth\)" "$TMP/err"
check "wrong password: not shown" bash -c "! grep -q wrong-pw '$TMP/err'"

# the sender from feeds.conf
printf '[pressmon]\nmail_from = desk@example.org\n' >"$TMP/feeds.conf"
PRESSMON_CONFIG="$TMP/feeds.conf" report "$TMP/out" --mail-to media@example.org --smtp "$SMTP"
check_eq "mail_from from feeds.conf: exit 0" "$rc" 0
check "mail_from from feeds.conf: the envelope sender" grep -q '"from": "desk@example.org"' "$TMP/inbox/4.json"
# and the default
report "$TMP/o5" --mail-to media@example.org --smtp "$SMTP" --format json
check_eq "default sender: exit 0" "$rc" 0
check "default sender: pressmon@localhost" grep -q '"from": "pressmon@localhost"' "$TMP/inbox/5.json"
check "--format json with mail still writes the HTML it sends" test -s "$TMP/o5/2026-03-08/digest.html"
summary
