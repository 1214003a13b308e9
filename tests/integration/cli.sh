#!/usr/bin/env bash
# The command line as users meet it: --help and --version, exit codes of
# the interface contract (0 ok, 2 usage/input, 3 dependency), one-line
# messages naming the file or field, and the OPML round trip.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
unset PRESSMON_REDIS PRESSMON_DB PRESSMON_CONFIG

expect_rc() { # description, wanted rc, command...
	local d=$1 want=$2 got
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else fail "$d: exit $got, want $want ($(head -c 200 "$TMP/err"))"; fi
}
stderr_has() { # description, text
	if grep -qF -- "$2" "$TMP/err"; then ok; else fail "$1: stderr lacks '$2': $(head -c 300 "$TMP/err")"; fi
}
one_line() {
	if [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok; else fail "$1: message is $(wc -l <"$TMP/err") lines"; fi
}

expect_rc "--version" 0 "$PM" --version
check "version names pressmon" grep -q '^pressmon [0-9]' "$TMP/out"
expect_rc "--help" 0 "$PM" --help
for c in run fetch parse classify archive report query status opml rules; do
	expect_rc "$c --help" 0 "$PM" "$c" --help
	check "$c --help prints usage" grep -qi 'usage' "$TMP/out"
done
expect_rc "unknown command" 2 "$PM" frobnicate
stderr_has "unknown command" "'frobnicate' is not a command"
expect_rc "unknown option" 2 "$PM" query --bogus
one_line "unknown option"
expect_rc "report without --date" 2 "$PM" report
stderr_has "report without --date" "--date"
expect_rc "bad --count-by" 2 "$PM" query --count-by fortnight
one_line "bad --count-by"
expect_rc "bad --since" 2 "$PM" query --since 2026-02-30
stderr_has "bad --since" "2026-02-30"
expect_rc "parse a missing file" 2 "$PM" parse --file "$TMP/nope.xml"
stderr_has "parse a missing file" "nope.xml"
one_line "parse a missing file"

# the one-document commands work from any directory, without Redis
expect_rc "classify an HTML page from elsewhere" 0 "$PM" classify --file "$ROOT/samples/pages/myanmar-veto-statement.html"
check "classify found the Court" grep -q '"tag":"icc"' "$TMP/out"
expect_rc "parse a feed from elsewhere" 0 "$PM" parse --file "$ROOT/samples/feeds/meridian-wire.xml"
check "parse says atom10" grep -q '"format":"atom10"' "$TMP/out"
# response headers for one document: a base for links, a language
printf '<rss version="2.0"><channel><title>t</title><item><title>a</title><link>n/1</link></item></channel></rss>' >"$TMP/rel.xml"
expect_rc "parse with --header" 0 "$PM" parse --file "$TMP/rel.xml" --url https://a.example/rss \
	--header 'Content-Location: /x/feed.xml' --header 'content-language: sw' --header 'X-Other: 1'
check "Content-Location is the base" grep -q '"link":"https://a.example/x/n/1"' "$TMP/out"
check "Content-Language is the language" grep -q '"language":"sw"' "$TMP/out"
expect_rc "--header without a colon" 2 "$PM" parse --file "$TMP/rel.xml" --header 'Content-Language'
one_line "--header without a colon"

# dependencies unavailable: exit 3
expect_rc "status without redis" 3 "$PM" status --config "$ROOT/feeds.conf" --redis "unix://$TMP/none.sock"
expect_rc "parse worker options in any order" 3 "$PM" parse --batch 4 --once --config "$ROOT/feeds.conf" --redis "unix://$TMP/none.sock"
expect_rc "query on a missing archive directory" 3 "$PM" query --db "$TMP/no/such/dir/a.db"

# feeds.conf errors name file:line
printf '[feed a]\nurl = file:x.xml\ntype = tabloid\n' >"$TMP/bad.conf"
expect_rc "bad feeds.conf" 2 "$PM" opml export --config "$TMP/bad.conf"
stderr_has "bad feeds.conf" "bad.conf:3: type 'tabloid'"
one_line "bad feeds.conf"

# a bad rule file names file:line:col
printf 'tag x threshold 1\nrule x/y weight 1: ("unclosed\n' >"$TMP/bad.rules"
expect_rc "bad rules" 2 "$PM" rules check --rules "$TMP/bad.rules"
check "bad rules message is file:line:col" grep -Eq 'bad\.rules:[0-9]+:[0-9]+: ' "$TMP/err"

# OPML: export, import into an empty configuration, export again: same feeds
expect_rc "opml export" 0 "$PM" opml export --config "$ROOT/feeds.conf"
cp "$TMP/out" "$TMP/a.opml"
check "opml export is well-formed" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/a.opml"
: >"$TMP/empty.conf"
expect_rc "opml import" 0 "$PM" opml import "$TMP/a.opml" --config "$TMP/empty.conf"
cp "$TMP/out" "$TMP/imported.conf"
expect_rc "imported sections load" 0 "$PM" opml export --config "$TMP/imported.conf"
check "round trip keeps every feed and attribute" cmp -s "$TMP/a.opml" "$TMP/out"
expect_rc "opml import of a non-OPML file" 2 "$PM" opml import "$ROOT/samples/feeds/savanna-ledger.xml"
stderr_has "opml import of a non-OPML file" "not <opml>"
summary
