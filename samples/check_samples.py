#!/usr/bin/env python3
"""samples/check_samples.py: checks the bundled sample feeds and prints the
counts recorded in samples/README.md (items per feed and per UTC day, words).

Standard library only, so it runs wherever the demo runs. Usage, from the
repository root:
    python3 samples/check_samples.py             counts, word lengths, wire similarity,
                                                 and samples/expected.json against the feeds
    python3 samples/check_samples.py --markdown  print samples/EXPECTED.md from expected.json

It is a sanity check of the data, not of pressmon: it decodes the undefined
HTML entities of the deliberately ill-formed feed itself before parsing.
"""
import email.utils
import html
import json
import html.entities
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.abspath(__file__))
FEEDS = os.path.join(ROOT, "feeds")
PAGES = os.path.join(ROOT, "pages")
SAMPLE_DAY = "2026-11-24"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


EXPECTED_HEAD = """
# Expected tags for the sample feeds

What a careful human analyst gives each of the 60 sample items. The
classifier tests and the end-to-end tests are checked against this file.
It is generated from `samples/expected.json` (same content, machine-readable:
use that in tests) by `python3 samples/check_samples.py --markdown >
samples/EXPECTED.md`; `python3 samples/check_samples.py` checks that the JSON
lists every item of every feed exactly once and that each misinformation
sentence occurs verbatim in the item.

Items are identified by feed id and title (`expected.json` also has the guid
or Atom id, the link as written in the feed, and the UTC day of publication).

## Tags and the rules used

| tag | given when |
|---|---|
| `icc` | the item is about the International Criminal Court, not merely an acronym. Never on traps. |
| `unsc` | the UN Security Council acts or is discussed in relation to the Court. Implied by the two tags below. |
| `unsc-referral` | a concrete referral under Art 13(b) is stated, even as background (Darfur, Res 1593, 2005; Libya, Res 1970, 2011), or a referral draft is debated or vetoed (Myanmar, 2026; Syria, 2014). A generic mention of the mechanism alone is only *acceptable*. |
| `unsc-deferral` | an Article 16 deferral: a request, a draft, or the precedents (Res 1422/1487, Kenya 2013, AU requests on Bashir). |
| `arrest-warrant` | a warrant applied for, issued, unsealed, executed or outstanding. |
| `cooperation` | states' duty to arrest, surrender or assist, or a failure to (a wanted person visiting a state party). |
| `rome-statute` | the treaty as the subject: ratification, accession, withdrawal, amendments, number of states parties. |
| `icj` | the International Court of Justice is the subject. |
| `complementarity` | national proceedings for ICC crimes in relation to the Court (Art 17), including national trials explicitly framed as complementing the Statute system. |
| `victims` | victims' participation, reparations, the Trust Fund for Victims, victims' experience as the subject. |
| `asp` | the Assembly of States Parties. |
| `sanctions` | sanctions against Court officials and the responses to them. |
| `situation:<country>` | the ICC situation concerned: `sudan` (Darfur), `libya`, `myanmar` (the Bangladesh/Myanmar situation), `uganda`, `kenya`, `philippines`, `venezuela`, `palestine`, `ukraine`, `central-african-republic`, `mali`, `burundi`, `democratic-republic-of-the-congo`. Countries without an ICC situation (Syria, Colombia, Nepal, Sri Lanka, Guyana) get none. |

Misinformation claim ids: `icc-is-un-court` (the ICC called a UN court),
`veto-stops-icc` (a Council veto said to stop an ICC case or investigation),
`icc-prosecutes-states` (the ICC said to try or convict a country),
`icc-icj-confusion` (an ICJ act attributed to the ICC). The quoted sentence is
the one a digest should show. *Must not flag* marks control items that state
the facts correctly in words close to a misconception.

Source tags from feeds.conf (`civil-society` on kalinaw-watch,
`official-source` on red-andina and olg-weserhafen) come with every article
of those feeds and are not listed here; no trap item is in those feeds.

Suggested scoring: an item passes when the classifier emits every required
tag and nothing outside required ∪ acceptable; a trap passes when it gets no
ICC tag at all (`icj` is required on the ICJ trap).
"""
EXPECTED_TAIL = """
"""


def fix_entities(text):
    """Replace HTML named entities that XML does not define by numeric ones."""
    def repl(m):
        name = m.group(1)
        if name in XML_ENTITIES or name not in html.entities.name2codepoint:
            return m.group(0)
        return "&#%d;" % html.entities.name2codepoint[name]
    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", repl, text)


def plain(markup):
    """Markup to text, roughly: tags out, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))


def words(text):
    return len(re.findall(r"\w+", text))


def utc_day(value, atom):
    if not value:
        return None
    if atom:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        dt = email.utils.parsedate_to_datetime(value)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d")


def page_text(href):
    path = os.path.normpath(os.path.join(FEEDS, href))
    with open(path, encoding="utf-8") as f:
        src = f.read()
    m = re.search(r'<div class="story-body">(.*?)</div>', src, re.S)
    return plain(m.group(1) if m else "")


def load(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    wellformed = True
    try:
        root = ET.fromstring(src.encode("utf-8"))
    except ET.ParseError:
        wellformed = False
        root = ET.fromstring(fix_entities(src).encode("utf-8"))
    items = []
    if root.tag == "rss":
        for it in root.iter("item"):
            body = it.findtext("content:encoded", None, NS) or it.findtext("description") or ""
            items.append({
                "title": it.findtext("title"),
                "link": it.findtext("link"),
                "day": utc_day(it.findtext("pubDate"), False),
                "text": plain(body),
            })
        fmt = "RSS 2.0"
    else:
        for e in root.findall("atom:entry", NS):
            link = e.find("atom:link", NS).get("href")
            body = e.findtext("atom:content", None, NS) or e.findtext("atom:summary", None, NS) or ""
            text = plain(body)
            if e.find("atom:content", NS) is None and not link.startswith("http"):
                text = page_text(link)
            items.append({
                "title": e.findtext("atom:title", None, NS),
                "link": link,
                "day": utc_day(e.findtext("atom:published", None, NS) or e.findtext("atom:updated", None, NS), True),
                "text": text,
            })
        fmt = "Atom 1.0"
    return fmt, wellformed, items


def shingles(text, n=5):
    toks = re.findall(r"\w+", text.lower())
    return {tuple(toks[i:i + n]) for i in range(max(0, len(toks) - n + 1))}


TAGS = {"icc", "unsc", "unsc-referral", "unsc-deferral", "arrest-warrant", "cooperation",
        "rome-statute", "icj", "complementarity", "victims", "asp", "sanctions"}
CLAIMS = {"icc-is-un-court", "veto-stops-icc", "icc-prosecutes-states", "icc-icj-confusion"}


def all_items():
    out = {}
    for name in sorted(os.listdir(FEEDS)):
        if name.endswith(".xml"):
            for i in load(os.path.join(FEEDS, name))[2]:
                out[(name[:-4], i["title"])] = i
    return out


def check_expected():
    """Every feed item has exactly one entry in expected.json, and the entry
    uses only the agreed tag and claim names; misinformation sentences occur
    verbatim in the item's text. Returns the number of problems."""
    with open(os.path.join(ROOT, "expected.json"), encoding="utf-8") as f:
        exp = json.load(f)["items"]
    items = all_items()
    bad = 0
    seen = set()
    for e in exp:
        key = (e["feed"], e["title"])
        if key not in items or key in seen:
            print("expected.json: no such item or listed twice: %s / %s" % key)
            bad += 1
            continue
        seen.add(key)
        if items[key]["day"] != e["day"]:
            print("expected.json: day %s != feed day %s for %s / %s" % ((e["day"], items[key]["day"]) + key))
            bad += 1
        for t in e["required"] + e["acceptable"]:
            if t not in TAGS and not re.fullmatch(r"situation:[a-z-]+", t):
                print("expected.json: unknown tag %r in %s / %s" % ((t,) + key))
                bad += 1
        if set(e["required"]) & set(e["acceptable"]):
            print("expected.json: tag both required and acceptable in %s / %s" % key)
            bad += 1
        if e["role"] != "icc" and e["required"] not in ([], ["icj"]):
            print("expected.json: a trap with ICC tags: %s / %s" % key)
            bad += 1
        m = e["misinfo"]
        if m and (m["claim"] not in CLAIMS or m["sentence"] not in items[key]["text"]):
            print("expected.json: bad misinfo entry in %s / %s" % key)
            bad += 1
        for c in e["must_not_flag"]:
            if c not in CLAIMS:
                print("expected.json: unknown claim %r in %s / %s" % ((c,) + key))
                bad += 1
    for key in sorted(set(items) - seen):
        print("expected.json: item missing: %s / %s" % key)
        bad += 1
    print("expected.json: %d entries, %d problems" % (len(exp), bad))
    return bad


def markdown():
    with open(os.path.join(ROOT, "expected.json"), encoding="utf-8") as f:
        exp = json.load(f)["items"]
    print(EXPECTED_HEAD.strip() + "\n")
    print("| # | feed | day (UTC) | title | required tags | also acceptable | misinformation | role / cluster |")
    print("|---|---|---|---|---|---|---|---|")
    for n, e in enumerate(exp, 1):
        role = e["role"]
        if e["cluster"]:
            role += " · cluster `%s`" % e["cluster"]
        if e["must_not_flag"]:
            role += " · must not flag: " + ", ".join(e["must_not_flag"])
        if e["note"]:
            role += " · " + e["note"]
        print("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            n, e["feed"], e["day"] or "—", e["title"].replace("|", "\\|"),
            ", ".join("`%s`" % t for t in e["required"]) or "—",
            ", ".join("`%s`" % t for t in e["acceptable"]) or "—",
            ("`%s`: “%s”" % (e["misinfo"]["claim"], e["misinfo"]["sentence"])) if e["misinfo"] else "—",
            role.replace("|", "\\|")))
    print()
    print("## Summary\n")
    icc = [e for e in exp if e["role"] == "icc"]
    traps = Counter(e["role"] for e in exp if e["role"] != "icc")
    print("- %d items, %d about the ICC, %d traps (%s)." % (
        len(exp), len(icc), sum(traps.values()), ", ".join("%s %d" % (k[5:], v) for k, v in sorted(traps.items()))))
    print("- Misinformation: %s." % ", ".join("`%s` in %s" % (e["misinfo"]["claim"], e["feed"]) for e in exp if e["misinfo"]))
    clusters = defaultdict(list)
    for e in exp:
        if e["cluster"]:
            clusters[e["cluster"]].append(e["feed"])
    for k, v in clusters.items():
        print("- Wire cluster `%s`: %s — one story, shown once in the digest." % (k, ", ".join(v)))
    print("- Same event in different wording (NOT copies, should not merge as near-duplicates): the Myanmar veto "
          "(meridian-wire, lagoon-observer, kalinaw-watch, radio-hexagone, faro-andino, al-ufuq), the Abakar surrender "
          "(the wire cluster plus courrier-du-sahel), the Libyan commander in Tunisia (meridian-wire, courrier-du-sahel, "
          "al-ufuq), Sudan's deferral request (meridian-wire, savanna-ledger, red-andina, al-ufuq).")
    day = Counter((e["day"] == SAMPLE_DAY, e["role"] == "icc") for e in exp)
    print("- ICC items on %s: %d; in the seven days before: %d; undated: %d." % (
        SAMPLE_DAY, day[(True, True)], sum(1 for e in icc if e["day"] and e["day"] != SAMPLE_DAY),
        sum(1 for e in exp if not e["day"])))
    print()
    print("Required-tag counts over all items:\n")
    print("| tag | items (all days) | items on %s |" % SAMPLE_DAY)
    print("|---|---|---|")
    tc = Counter(t for e in exp for t in e["required"])
    td = Counter(t for e in exp if e["day"] == SAMPLE_DAY for t in e["required"])
    for t, n in sorted(tc.items(), key=lambda x: (-x[1], x[0])):
        print("| `%s` | %d | %d |" % (t, n, td[t]))


def main():
    if sys.argv[1:] == ["--markdown"]:
        markdown()
        return 0
    per_day = Counter()
    total = 0
    short = []
    texts = {}
    print("| feed | format | well-formed | items | on %s | earlier | undated | words min–max |" % SAMPLE_DAY)
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(os.listdir(FEEDS)):
        if not name.endswith(".xml"):
            continue
        fmt, ok, items = load(os.path.join(FEEDS, name))
        feed = name[:-4]
        days = Counter(i["day"] for i in items)
        wc = [words(i["text"]) for i in items]
        for i, w in zip(items, wc):
            texts[(feed, i["title"])] = i["text"]
            if not 80 <= w <= 300:
                short.append((feed, i["title"], w))
        for d, c in days.items():
            per_day[d or "undated"] += c
        total += len(items)
        print("| %s | %s | %s | %d | %d | %d | %d | %d–%d |" % (
            feed, fmt, "yes" if ok else "**no**", len(items), days.get(SAMPLE_DAY, 0),
            sum(c for d, c in days.items() if d and d != SAMPLE_DAY), days.get(None, 0), min(wc), max(wc)))
    print()
    print("| UTC day | items |")
    print("|---|---|")
    for d in sorted(per_day, key=lambda x: (x == "undated", x)):
        print("| %s | %d |" % (d, per_day[d]))
    print("| total | %d |" % total)
    print()
    if short:
        print("items outside 80–300 words:")
        for s in short:
            print("  %s: %s (%d words)" % s)
    # The wire cluster: Jaccard similarity of 5-word shingles against the wire original.
    wire = [k for k in texts if "Darfur" in (k[1] or "") and k[0] in ("meridian-wire", "savanna-ledger", "lagoon-observer")
            and "defer" not in k[1].lower()]
    base = shingles(texts[("meridian-wire", "ICC unseals warrant for Darfur commander after surrender by Central African Republic")])
    print("wire cluster (5-shingle Jaccard vs meridian-wire original):")
    for k in sorted(wire):
        s = shingles(texts[k])
        print("  %-16s %.2f  %s" % (k[0], len(base & s) / len(base | s), k[1]))
    print()
    return 1 if check_expected() else 0


if __name__ == "__main__":
    sys.exit(main())
