#!/usr/bin/env python3
"""bench/genarchive: N synthetic tagged articles as archive NDJSON (the
DESIGN.md article object plus fingerprint and evidence), for the archive and
digest benchmarks. Deterministic for a given seed; every word is invented.

Shape, chosen to look like the pipeline's output:
- 400 outlets across the five regions and seven outlet types, 8 languages;
- times spread over --days days from --start (the dates of a year), with
  --hot-count of the N articles on --hot-day (the digest benchmark's day);
- ~2 KB bodies: sentences drawn from a pool of invented prose, plus one or
  two sentences that carry the key phrases of the article's tags;
- tags: icc on most, unsc-referral, arrest-warrant, situation:*, voice:*,
  tone:*, each with a score and one evidence span;
- --copies of the articles are wire copies of a recent one: a new headline,
  one sentence rewritten, a fingerprint a few bits away (story clusters);
- about 1% carry a misinformation flag.

usage: genarchive.py N [--seed 1] [--start 2026-01-01] [--days 365]
                       [--hot-day 2026-06-15] [--hot-count 0] [--copies 0.1]
                       > FILE.ndjson
"""
import argparse
import bisect
import json
import random
import sys
from datetime import datetime, timedelta, timezone

ap = argparse.ArgumentParser()
ap.add_argument("n", type=int)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--start", default="2026-01-01")
ap.add_argument("--days", type=int, default=365)
ap.add_argument("--hot-day", default="2026-06-15")
ap.add_argument("--hot-count", type=int, default=0)
ap.add_argument("--copies", type=float, default=0.1)
o = ap.parse_args()
rng = random.Random(o.seed)

REGIONS = ["africa", "americas", "asia-pacific", "europe", "middle-east"]
TYPES = ["wire", "public", "commercial", "commercial", "commercial", "state", "ngo", "igo", "court"]
LANGS = ["en", "en", "en", "en", "fr", "fr", "es", "ar", "pt", "sw", "ru", "de"]
COUNTRIES = {"africa": ["KE", "NG", "ZA", "SN", "UG", "CD"], "americas": ["US", "BR", "AR", "CO", "CA"],
             "asia-pacific": ["PH", "IN", "JP", "AU", "BD"], "europe": ["NL", "FR", "GB", "DE", "UA"],
             "middle-east": ["QA", "JO", "LB", "AE"]}
SYL = ["ka", "lo", "mi", "ren", "tu", "sa", "vor", "en", "di", "pa", "qu", "ol", "ze", "ni", "ra",
       "te", "bé", "ço", "ñu", "ão", "ür", "sh", "ath"]

# an invented vocabulary with Zipf frequencies, so that unrelated articles
# share common words and little else, as real prose does
vocab = sorted({"".join(rng.choice(SYL) for _ in range(rng.randint(1, 4))) for _ in range(30000)})
rng.shuffle(vocab)
cum, t = [], 0.0
for i in range(len(vocab)):
    t += 1.0 / (i + 1)
    cum.append(t)
total = t


def words(k):
    return [vocab[bisect.bisect_left(cum, rng.random() * total)] for _ in range(k)]


def sentence():
    return " ".join(words(rng.randint(8, 22))).capitalize() + "."


POOL = [sentence() for _ in range(60000)]

SITUATIONS = ["uganda", "drc", "sudan", "car", "kenya", "libya", "mali", "georgia", "burundi",
              "afghanistan", "palestine", "philippines", "venezuela", "ukraine"]
# invented people: the needles of the full-text benchmark (Zipf: a few are
# in the news a lot, most rarely)
PEOPLE = [" ".join(x.capitalize() for x in words(2)) for _ in range(200)]
PHRASES = {
    "icc": "the International Criminal Court in The Hague said {p} would appear before the judges",
    "unsc-referral": "the Security Council referral of the situation was debated as {p} spoke",
    "arrest-warrant": "an arrest warrant for {p} was issued by the Pre-Trial Chamber",
    "voice:victims": "victims and their lawyers told reporters that {p} must answer",
    "voice:government": "the minister of justice said the government would cooperate on {p}",
    "voice:defence": "the defence team for {p} called the case political",
    "voice:court": "a spokesperson for the Court confirmed the schedule for {p}",
    "voice:civil-society": "human rights groups welcomed the step against {p}",
    "voice:un": "the Secretary-General noted the proceedings involving {p}",
    "tone:critical": "critics said the Court had moved too slowly on {p}",
    "tone:supportive": "observers praised the Court for acting on {p}",
}
CLAIMS = [("icc-is-un-court", "The court is a United Nations body."),
          ("warrant-means-guilt", "The warrant shows the accused is guilty."),
          ("icc-death-penalty", "The court could sentence the accused to death."),
          ("veto-blocks-icc", "A veto in the Council stops the court's cases.")]

outlets = []
for i in range(400):
    region = REGIONS[i % 5] if rng.random() < 0.8 else rng.choice(REGIONS)
    name = " ".join(x.capitalize() for x in words(2)) + rng.choice([" Times", " Post", " Radio", " News", " Wire"])
    outlets.append({"id": f"outlet-{i:03d}", "name": name, "country": rng.choice(COUNTRIES[region]),
                    "region": region, "type": rng.choice(TYPES)})
out_w = [1.0 / (i + 1) ** 0.5 for i in range(len(outlets))]  # some outlets publish a lot more


def pick_person():
    return PEOPLE[min(int(rng.paretovariate(1.0)) - 1, len(PEOPLE) - 1)]


def make_tags(person):
    tags = []
    if rng.random() < 0.85:
        tags.append("icc")
    if rng.random() < 0.08:
        tags.append("unsc-referral")
    if rng.random() < 0.15:
        tags.append("arrest-warrant")
    if rng.random() < 0.5:
        tags.append("situation:" + SITUATIONS[min(int(rng.paretovariate(0.8)) - 1, len(SITUATIONS) - 1)])
    for v in ("voice:court", "voice:government", "voice:civil-society", "voice:victims",
              "voice:defence", "voice:un"):
        if rng.random() < 0.12:
            tags.append(v)
    r = rng.random()
    if r < 0.15:
        tags.append("tone:critical")
    elif r < 0.25:
        tags.append("tone:supportive")
    return tags


def body(tags, person):
    sents = rng.sample(POOL, rng.randint(11, 16))
    for tag in tags:
        if tag in PHRASES and rng.random() < 0.9:
            s = PHRASES[tag].format(p=person)
            sents.insert(rng.randrange(len(sents) + 1), s[0].upper() + s[1:] + ".")
    return sents


def tag_objs(tags, text):
    objs = []
    for tag in tags:
        key = PHRASES.get(tag, "")
        word = key.split()[1] if key else tag.split(":")[-1]
        at = text.find(word)
        ev = [{"field": "text", "start": max(at, 0), "end": max(at, 0) + len(word),
               "text": word, "rule": tag + "/1"}] if at >= 0 else []
        objs.append({"tag": tag, "score": round(rng.uniform(0.4, 1.0), 2), "evidence": ev})
    return objs


def flip(fp, bits):
    for b in rng.sample(range(64), bits):
        fp ^= 1 << b
    return fp


start = datetime.strptime(o.start, "%Y-%m-%d").replace(tzinfo=timezone.utc)
hot = datetime.strptime(o.hot_day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
span = o.days * 86400
recent = []  # (title, sents, fp, tags, person) of the last originals
w = sys.stdout.write
for i in range(o.n):
    if i < o.hot_count:
        when = hot + timedelta(seconds=86400 * i / max(o.hot_count, 1))
    else:
        when = start + timedelta(seconds=span * (i - o.hot_count) / max(o.n - o.hot_count, 1))
    src = rng.choices(outlets, weights=out_w)[0]
    if recent and rng.random() < o.copies:
        # a wire copy: new headline, a sentence rewritten, some bits of the
        # fingerprint changed (3 or fewer: SimHash finds it; more: MinHash)
        _, sents, fp, tags, person = recent[rng.randrange(len(recent))]
        sents = list(sents)
        sents[rng.randrange(len(sents))] = rng.choice(POOL)
        fp = flip(fp, rng.choice([1, 2, 3, 6, 9, 12]))
        title = sentence()[:-1]
    else:
        person = pick_person()
        tags = make_tags(person)
        sents = body(tags, person)
        title = f"{person}: " + " ".join(words(rng.randint(4, 9)))
        fp = rng.getrandbits(64)
        recent.append((title, sents, fp, tags, person))
        if len(recent) > 200:
            recent.pop(0)
    text = " ".join(sents)
    aid = f"{rng.getrandbits(64):016x}"
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    misinfo = []
    if rng.random() < 0.01:
        claim, sent = rng.choice(CLAIMS)
        misinfo.append({"claim": claim, "verdict": "false", "sentence": sent,
                        "correction": "See the Rome Statute.", "reference": "Rome Statute"})
    a = {"id": aid, "url": f"https://{src['id']}.example/{when:%Y/%m/%d}/{i}", "title": title,
         "text": text, "summary": sents[0], "author": None, "published": iso,
         "fetched": iso, "lang": rng.choice(LANGS), "source": src,
         "tags": tag_objs(tags, text), "misinfo": misinfo, "fingerprint": f"{fp:016x}"}
    w(json.dumps(a, ensure_ascii=False))
    w("\n")
