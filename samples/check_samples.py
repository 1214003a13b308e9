#!/usr/bin/env python3
"""samples/check_samples.py: checks the bundled sample feeds and prints the
counts recorded in samples/README.md (items per feed and per UTC day, words).

Standard library only, so it runs wherever the demo runs. Usage, from the
repository root:  python3 samples/check_samples.py [--pages]

It is a sanity check of the data, not of pressmon: it decodes the undefined
HTML entities of the deliberately ill-formed feed itself before parsing.
"""
import email.utils
import html
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


def main():
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
