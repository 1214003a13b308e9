#!/usr/bin/env python3
"""The peer of bench_parse: Python feedparser (Debian python3-feedparser) on
the same files, same rounds, same JSON line. usage: parse_peer.py ROUNDS FILE..."""
import json, sys, time

try:
    import feedparser
except ImportError:
    print(json.dumps({"missing": "apt-get install python3-feedparser"}))
    sys.exit(0)

rounds = int(sys.argv[1])
docs = [open(p, "rb").read() for p in sys.argv[2:]]
size = sum(len(d) for d in docs)
entries = failed = 0
t0 = time.monotonic()
for r in range(rounds):
    for d in docs:
        try:
            f = feedparser.parse(d)
        except Exception:  # feedparser itself crashes on a few corpus files
            failed += r == 0
            continue
        if r == 0:
            entries += len(f.entries)
ms = max(1, int((time.monotonic() - t0) * 1000))
print(json.dumps({"docs": len(docs), "rounds": rounds, "entries": entries, "failed": failed, "ms": ms,
                  "docs_per_s": round(len(docs) * rounds / (ms / 1000)),
                  "entries_per_s": round(entries * rounds / (ms / 1000)),
                  "mb_per_s": round(size * rounds / 1e6 / (ms / 1000), 2)}))
