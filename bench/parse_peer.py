#!/usr/bin/env python3
"""The peer of bench_parse: the same files, held in memory as bytes, parsed
by the classic Python feedparser (Debian python3-feedparser), with the same
counts and rates on one JSON line. usage: parse_peer.py ROUNDS FILE..."""
import json, sys, time

import feedparser


def parse(d):
    try:
        return feedparser.parse(d)
    except Exception:
        # feedparser 6.0.10 raises on a few malformed corpus files (an
        # sgmllib assertion); counted like the C side's NULL returns
        return None


rounds = int(sys.argv[1])
docs = []
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        docs.append(f.read())
size = sum(len(d) for d in docs)
# an untimed first pass warms up (lazy imports, regex caches) and counts
entries = bozo = failed = 0
for d in docs:
    p = parse(d)
    if p is None:
        failed += 1
    else:
        entries += len(p.entries)
        bozo += bool(p.bozo)
c0 = time.process_time()
t0 = time.monotonic()
for _ in range(rounds):
    for d in docs:
        parse(d)
ms = max(1, int((time.monotonic() - t0) * 1000))
cpu_ms = round((time.process_time() - c0) * 1000)
s = ms / 1000
print(json.dumps({"feeds": len(docs), "entries": entries, "bozo": bozo, "failed": failed,
                  "bytes": size, "rounds": rounds, "ms": ms, "cpu_ms": cpu_ms,
                  "feeds_per_s": round(len(docs) * rounds / s),
                  "entries_per_s": round(entries * rounds / s),
                  "mb_per_s": round(size * rounds / 1e6 / s, 1)}))
