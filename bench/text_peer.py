#!/usr/bin/env python3
"""The peer of bench_text: the same folding (NFKC, case fold, marks
stripped) and word tokenization with Python's unicodedata and re, the way a
Python pipeline would do it. usage: text_peer.py FILE [ROUNDS]"""
import json, re, sys, time, unicodedata

WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(s):
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return WORD.findall(s)


data = open(sys.argv[1], encoding="utf-8").read()
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = 0
t0 = time.monotonic()
for _ in range(rounds):
    n += len(tokenize(data))
ms = max(1, int((time.monotonic() - t0) * 1000))
size = len(data.encode("utf-8"))
print(json.dumps({"bytes": size, "rounds": rounds, "ms": ms,
                  "mb_per_s": round(size * rounds / 1e6 / (ms / 1000), 1),
                  "tokens_per_s": round(n / (ms / 1000))}))
