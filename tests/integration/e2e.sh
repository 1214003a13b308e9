#!/usr/bin/env bash
# End to end on the bundled samples against a real redis-server: run the
# whole pipeline once, then check the archive (exact contents against the
# golden file), the streams (drained, nothing dead), idempotence of a
# second run, the digest's numbers and its HTML.
# PM_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
source "$(dirname "$0")/lib.sh"
GOLD="$ROOT/tests/integration/expected"

start_redis e2e || { fail "redis-server"; summary; exit 1; }
export PRESSMON_REDIS=$REDIS_URL PRESSMON_DB="$TMP/e2e.db"
export PRESSMON_CONFIG="$ROOT/feeds.conf" PRESSMON_RULES="$ROOT/classify/rules"
cd "$TMP"

"$PM" run --once --log-level warn 2>"$TMP/run.log"
check "run --once exits 0" test $? -eq 0

# streams drained, nothing dead, every feed fetched
"$PM" status --format json >"$TMP/status.json"
check "status exits 0" test $? -eq 0
python3 - "$TMP/status.json" <<'PY' || fail "status: streams drained and feeds healthy"
import json, sys
s = json.load(open(sys.argv[1]))
st = s["streams"]
assert st["dead"]["length"] == 0, st["dead"]
for name in ("raw", "pages", "articles", "tagged"):
    assert st[name]["pending"] == 0 and st[name]["lag"] in (0, -1), (name, st[name])
assert len(s["feeds"]) == 10, len(s["feeds"])
bad = [f["id"] for f in s["feeds"] if f["health"] != "ok"]
assert not bad, bad
PY
ok

# the archive, normalized: url (checkout path removed), tags, claims
normalize() {
	"$PM" archive export | python3 -c '
import json, sys
root = sys.argv[1]
for l in sys.stdin:
    a = json.loads(l)
    url = a["url"].replace("file://" + root, "file://ROOT")
    tags = ",".join(sorted(t["tag"] for t in a["tags"]))
    claims = ",".join(sorted(m["claim"] for m in a["misinfo"]))
    src, pub = a["source"]["id"], a["published"] or "-"
    print(f"{url}\t{src}\t{pub}\t{tags}\t{claims}")
' "$ROOT" | sort
}
normalize >"$TMP/archive.tsv"
check_eq "60 sample items archived" "$(wc -l <"$TMP/archive.tsv")" 60
check_eq "ids unique" "$("$PM" archive export | python3 -c 'import sys,json; print(len({json.loads(l)["id"] for l in sys.stdin}))')" 60
if [ "${PM_UPDATE_GOLDEN:-}" = 1 ]; then cp "$TMP/archive.tsv" "$GOLD/e2e-archive.tsv"; fi
if diff -u "$GOLD/e2e-archive.tsv" "$TMP/archive.tsv" >"$TMP/archive.diff"; then ok; else
	fail "archive differs from tests/integration/expected/e2e-archive.tsv"
	head -n 40 "$TMP/archive.diff" >&2
fi

# what must hold whatever the golden file says
"$PM" archive export >"$TMP/export.ndjson"
python3 - "$TMP/export.ndjson" "$ROOT/samples/expected.json" <<'PY' || fail "sample semantics (traps, pages, sources)"
import json, sys
arts = [json.loads(l) for l in open(sys.argv[1])]
exp = json.load(open(sys.argv[2]))["items"]
by_url = {a["url"]: a for a in arts}
by_title = {a["title"]: a for a in arts}
for it in exp:
    a = by_url.get(it["link"]) or by_title.get(it["title"])
    assert a, ("missing", it["title"])
    tags = {t["tag"] for t in a["tags"]}
    if it["role"].startswith("trap"):
        assert "icc" not in tags, ("trap tagged icc", it["title"])
    assert a["source"]["region"] and a["source"]["type"], a["source"]
# the analyst's wire story: its copies share one cluster, nothing else joins
wire = {}
for it in exp:
    if it.get("cluster"):
        a = by_url.get(it["link"]) or by_title.get(it["title"])
        wire.setdefault(it["cluster"], set()).add(a["cluster"])
for label, clusters in wire.items():
    assert len(clusters) == 1, (label, clusters)
    members = [a for a in arts if a["cluster"] in clusters]
    n = sum(1 for it in exp if it.get("cluster") == label)
    assert len(members) == n, (label, len(members), n)
pages = [a for a in arts if a["url"].startswith("file://")]
assert len(pages) == 4, len(pages)
assert all(len(a["text"]) > 1000 for a in pages), [len(a["text"]) for a in pages]
PY
ok
python3 "$ROOT/tests/integration/sample_accuracy.py" "$ROOT/samples/expected.json" \
	<"$TMP/export.ndjson" | tail -n 1 >&2

# a second run changes nothing: seen keys and the idempotent archive
before=$(redis-cli -s "$TMP/e2e.sock" xlen pm:articles)
"$PM" run --once --log-level warn 2>>"$TMP/run.log"
check "second run exits 0" test $? -eq 0
check_eq "second run writes no article again" "$(redis-cli -s "$TMP/e2e.sock" xlen pm:articles)" "$before"
normalize >"$TMP/archive2.tsv"
check "archive unchanged by the second run" cmp -s "$TMP/archive.tsv" "$TMP/archive2.tsv"

# query: count by tag agrees with the export
"$PM" query --tag icc --count-by day --format json >"$TMP/byday.json"
check "query --count-by day exits 0" test $? -eq 0
check_eq "count-by day sums to the icc articles" \
	"$(python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(open(sys.argv[1]))))' "$TMP/byday.json")" \
	"$(grep -c 'icc' <(cut -f4 "$TMP/archive.tsv" | tr ',' '\n' | grep -x icc))"

# the digest for the sample day
"$PM" report --date 2026-11-24 --out "$TMP/out" >"$TMP/report.out"
check "report exits 0" test $? -eq 0
for f in digest.html digest.md digest.json; do
	check "report wrote $f" test -s "$TMP/out/2026-11-24/$f"
done
check "report wrote index.html" test -s "$TMP/out/index.html"
python3 - "$TMP/out/2026-11-24/digest.json" >"$TMP/digest-numbers.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["headline"]
out = {
    "articles": h["articles"]["count"], "outlets": h["outlets"]["count"],
    "countries": h["countries"]["count"], "languages": h["languages"]["count"],
    "articles_mean_prev7": h["articles"]["mean_prev7"],
    "stories": len(d["stories"]),
    "largest_story": max((s["articles"] for s in d["stories"]), default=0),
    "misinfo_articles": d["misinfo"]["articles"],
    "misinfo_claims": {c["claim"]: c["count"] for c in d["misinfo"]["claims"]},
    "unsc": len(d["unsc"]),
    "feed_health_feeds": d["feed_health"]["feeds"],
    "failing": len(d["feed_health"]["failing"]),
}
print(json.dumps(out, indent=1, sort_keys=True))
PY
if [ "${PM_UPDATE_GOLDEN:-}" = 1 ]; then cp "$TMP/digest-numbers.json" "$GOLD/e2e-digest.json"; fi
if diff -u "$GOLD/e2e-digest.json" "$TMP/digest-numbers.json" >&2; then ok; else
	fail "digest numbers differ from tests/integration/expected/e2e-digest.json"
fi
html="$TMP/out/2026-11-24/digest.html"
check "digest has no script" bash -c "! grep -qi '<script' '$html'"
check "digest loads nothing external" bash -c "! grep -Eqi '(src|href)=\"?(https?:)?//[^\"]*\\.(css|js|png|jpg|gif|svg)' '$html'"
check "digest names the sample day" grep -q '2026-11-24' "$html"

# the digest in a real browser: no console message at all (it has no
# script), and a screenshot kept for people to look at. A control page with
# a console.error shows the check can see one.
browse() { # page, screenshot
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chromium" --enable-logging=stderr --v=0 \
		--window-size=900,2400 --screenshot="$2" "file://$1" 2>&1 | grep 'CONSOLE' || true
}
printf '<html><body><script>console.error("control")</script></body></html>' >"$TMP/control.html"
check "the console check sees a console.error" test -n "$(browse "$TMP/control.html" "$TMP/control.png")"
shot="$(dirname "$PM")/digest-2026-11-24.png"   # kept in the build directory
rm -f "$shot"
console=$(browse "$html" "$shot")
check_eq "digest: no console messages in Chromium" "$console" ""
check "digest screenshot written" test -s "$shot"
summary
