#!/usr/bin/env python3
"""Writes N synthetic RSS 2.0 feeds of M items each, plus a feeds.conf, for
the crash, fault and throughput tests. Deterministic for a given seed; the
prose is generated from a small vocabulary written for these tests.

With --pages P, P percent of the feeds (chosen by the seed) get
fetch_pages = yes and items that carry only a one-sentence summary and link
to a full HTML page written beside the feeds (OUT_DIR/pages/, a file: URL
the fetcher may follow from a file: feed), so those articles travel through
the pages stream and the fetch workers' page path as well.

usage: genfeeds.py OUT_DIR [--feeds N] [--items M] [--seed S] [--pages P]
"""
import argparse, os, random
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

SUBJECTS = ["The International Criminal Court", "The ICC Prosecutor", "Judges at the ICC",
            "The UN Security Council", "A group of states parties", "The Registry of the Court",
            "Victims' lawyers", "Defence counsel", "A coalition of civil society groups",
            "The Assembly of States Parties", "The government", "The foreign minister"]
VERBS = ["issued an arrest warrant for", "called for the referral of", "debated the situation in",
         "welcomed the ratification by", "criticised the non-cooperation of",
         "opened hearings on", "requested a deferral concerning", "announced reparations in",
         "published a report on", "urged the surrender of a suspect from"]
OBJECTS = ["Darfur", "Libya", "the Central African Republic", "Mali", "Georgia",
           "Bangladesh and Myanmar", "Burundi", "the Philippines", "Venezuela", "Ukraine",
           "a former militia commander", "two senior officials", "the Rome Statute"]
FILLER = ["The decision follows months of consultations in The Hague.",
          "Observers said the move would test the Court's reach.",
          "Officials declined to comment on the timing.",
          "Rights groups described the step as overdue.",
          "Diplomats in New York expect a vote later this month.",
          "The statement was read out at a press briefing.",
          "Several delegations asked for more time to study the text.",
          "Local media reported celebrations among victims' families."]
REGIONS = [("africa", "KE"), ("europe", "FR"), ("americas", "BR"), ("asia-pacific", "PH"),
           ("middle-east", "JO")]
TYPES = ["wire", "public", "commercial", "ngo", "state"]


def article(rng):
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."
    body = [s] + [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
    return s.rstrip("."), " ".join(body)


def page_html(title, text):
    paras = "".join(f"<p>{escape(s)}</p>" for s in text.split(". ") if s)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
            f"{paras}</article></body></html>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages", type=int, default=0, help="percent of feeds read from pages")
    o = ap.parse_args()
    rng = random.Random(o.seed)
    # a generator of its own, so --pages 0 writes the same feeds as before
    page_rng = random.Random(o.seed + 1)
    paged_feeds = set(page_rng.sample(range(o.feeds), round(o.feeds * o.pages / 100)))
    os.makedirs(o.out, exist_ok=True)
    pages_dir = os.path.abspath(os.path.join(o.out, "pages"))
    if o.pages:
        os.makedirs(pages_dir, exist_ok=True)
    base = datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)
    conf = ["[pressmon]", "user_agent_contact = https://coalition.example/about", ""]
    for f in range(o.feeds):
        fid = f"gen-{f:03d}"
        region, country = REGIONS[f % len(REGIONS)]
        items = []
        paged = f in paged_feeds
        for i in range(o.items):
            title, text = article(rng)
            when = base - timedelta(minutes=rng.randint(0, 7 * 24 * 60))
            link = f"https://{fid}.news.example/{when:%Y/%m/%d}/story-{i:05d}"
            title = f"{title} ({fid} #{i})"
            if paged:
                # the feed says one sentence; the page has the story
                name = f"{fid}-{i:05d}.html"
                with open(os.path.join(pages_dir, name), "w", encoding="utf-8") as fh:
                    fh.write(page_html(title, text))
                link = f"file://{pages_dir}/{name}"
                text = text.split(". ")[0] + "."
            items.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f"<guid isPermaLink=\"true\">{link}</guid>"
                f"<pubDate>{format_datetime(when)}</pubDate>"
                f"<description>{escape(text)}</description></item>")
        xml = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
               f"<title>Generated feed {fid}</title><link>https://{fid}.news.example/</link>"
               f"<description>synthetic test feed</description>{''.join(items)}</channel></rss>\n")
        with open(os.path.join(o.out, f"{fid}.xml"), "w", encoding="utf-8") as fh:
            fh.write(xml)
        conf += [f"[feed {fid}]", f"url = file:{fid}.xml", f"name = Generated {f}",
                 f"country = {country}", f"region = {region}", "lang = en",
                 f"type = {TYPES[f % len(TYPES)]}", "interval = 600"]
        conf += ["fetch_pages = yes", ""] if paged else [""]
    with open(os.path.join(o.out, "feeds.conf"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(conf))


if __name__ == "__main__":
    main()
