#!/usr/bin/env python3
"""Compares the archive (pressmon archive export, on stdin) with the
analyst's expectations in samples/expected.json: per item, required tags
missing, tags outside required+acceptable, misinformation claims found and
missed. Voice, tone and per-feed tags are not judged here.

usage: pressmon archive export | sample_accuracy.py samples/expected.json [--strict]
Prints one line per problem and a summary; with --strict exits 1 on any
problem in the topic tags or claims."""
import json, sys
from collections import Counter

JUDGED = ("icc", "unsc", "unsc-referral", "unsc-deferral", "arrest-warrant", "cooperation",
          "rome-statute", "icj", "complementarity", "victims", "asp", "sanctions", "situation:")


def judged(tag):
    return any(tag == j or (j.endswith(":") and tag.startswith(j)) for j in JUDGED)


def main():
    exp = json.load(open(sys.argv[1], encoding="utf-8"))
    strict = "--strict" in sys.argv
    arts = [json.loads(l) for l in sys.stdin if l.strip()]
    by_url = {a["url"]: a for a in arts}
    by_title = {a["title"]: a for a in arts}
    tp, fp, fn = Counter(), Counter(), Counter()
    problems = 0
    claims_found = claims_missed = claims_wrong = 0
    for it in exp["items"]:
        a = by_url.get(it.get("link")) or by_title.get(it.get("title"))
        if a is None:
            print(f"MISSING item {it['feed']}: {it['title'][:60]}")
            problems += 1
            continue
        got = {t["tag"] for t in a.get("tags", []) if judged(t["tag"])}
        req = set(it.get("required", []))
        ok = req | set(it.get("acceptable", []))
        for t in req & got:
            tp[t] += 1
        for t in req - got:
            fn[t] += 1
            problems += 1
            print(f"MISS  {t:24} {it['feed']}: {it['title'][:60]}")
        for t in got - ok:
            fp[t] += 1
            problems += 1
            print(f"EXTRA {t:24} {it['feed']}: {it['title'][:60]}")
        claims = {m["claim"] for m in a.get("misinfo", [])}
        want = it.get("misinfo")
        want = want if isinstance(want, list) else [want] if want else []
        want = {w["claim"] if isinstance(w, dict) else w for w in want}
        claims_found += len(claims & want)
        for c in want - claims:
            claims_missed += 1
            problems += 1
            print(f"CLAIM MISSED {c} {it['feed']}: {it['title'][:60]}")
        for c in claims - want:
            claims_wrong += 1
            problems += 1
            print(f"CLAIM WRONG  {c} {it['feed']}: {it['title'][:60]}")
    P = sum(tp.values()) / max(1, sum(tp.values()) + sum(fp.values()))
    R = sum(tp.values()) / max(1, sum(tp.values()) + sum(fn.values()))
    print(f"topic tags: precision {P:.3f} recall {R:.3f} "
          f"({sum(tp.values())} right, {sum(fp.values())} extra, {sum(fn.values())} missed); "
          f"claims: {claims_found} found, {claims_missed} missed, {claims_wrong} wrong")
    sys.exit(1 if strict and problems else 0)


if __name__ == "__main__":
    main()
