#!/usr/bin/env python3
"""Hold the conformance failures against tests/conformance-exceptions.txt.

usage: conformance_exceptions.py --exceptions FILE --pressmon BIN --tools DIR
                                 --pages DIR [--feed-log FILE]...

A feed case fails when feedcheck.py prints `FAIL <case>: ...` for it (the
logs of `feedcheck.py --show N` runs); a page fails a metadata field when
pagecheck.py's own comparison says so, and fails `text` when its main-text
F1 is below TEXT_F1_FAIL. Prints how many exceptions are listed, every
failure that is not listed and every listed case that now passes; exits 1
when a failure is not listed (a regression, or a new case to judge).
"""
import argparse, json, os, re, sys
from concurrent.futures import ThreadPoolExecutor

TEXT_F1_FAIL = 0.8  # a page whose text F1 is below this counts as failing


def read_exceptions(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 3 or not all(parts):
                sys.exit(f"{path}:{no}: want 'PATH | FIELD | REASON'")
            rows.append(tuple(parts))
    return rows


def feed_failures(logs):
    # the case name is reliable; the failing paths are read when the
    # (300-character) assertion dump was not cut before them
    out = {}
    for log in logs:
        with open(log, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"FAIL (\S+): (.*)", line)
                if m:
                    paths = set(re.findall(r'"path": "([^"]+)"', m.group(2)))
                    out["feeds/" + m.group(1)] = paths or {m.group(2)[:40]}
    return out


def page_failures(tools, pages, binary):
    sys.path.insert(0, tools)
    import pagecheck as pc

    names = sorted(d for d in os.listdir(pages) if os.path.isdir(os.path.join(pages, d)))

    def one(name):
        d = os.path.join(pages, name)
        _, doc = pc.run(binary, os.path.join(d, "source.html"), "http://fakehost/test/page.html")
        with open(os.path.join(d, "expected-metadata.json"), encoding="utf-8") as f:
            meta = json.load(f)
        with open(os.path.join(d, "expected-text.txt"), encoding="utf-8") as f:
            text = f.read()
        return name, doc or {}, meta, text

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        rows = list(ex.map(one, names))
    same = lambda w, g: pc.fold(w) == pc.fold(g)
    checks = {"title": ("title", same), "byline": ("byline", pc.same_byline),
              "published": ("publishedTime", pc.same_date),
              "lang": ("lang", lambda w, g: pc.fold(w).split("-")[0] == pc.fold(g).split("-")[0]),
              "site_name": ("siteName", same)}
    out = {}
    for name, doc, meta, text in rows:
        bad = set()
        for field, (key, eq) in checks.items():
            want = meta.get(key)
            if want and not (doc.get(field) and eq(want, doc.get(field))):
                bad.add(field)
        if pc.prf([pc.tp_fp_fn(text, doc.get("text", ""))])[2] < TEXT_F1_FAIL:
            bad.add("text")
        if bad:
            out["pages/" + name] = bad
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exceptions", required=True)
    ap.add_argument("--pressmon", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--pages", required=True)
    ap.add_argument("--feed-log", action="append", default=[])
    o = ap.parse_args()
    listed = read_exceptions(o.exceptions)
    fails = feed_failures(o.feed_log)
    fails.update(page_failures(o.tools, o.pages, o.pressmon))

    listed_keys = {(p, f) for p, f, _ in listed}
    listed_cases = {p for p, _, _ in listed}
    unlisted, stale = [], []
    for case, fields in sorted(fails.items()):
        if case.startswith("feeds/"):
            # feed lines are matched by case: the field is for the reader
            if case not in listed_cases:
                unlisted.append(f"{case} | {', '.join(sorted(fields))}")
        else:
            unlisted += [f"{case} | {f}" for f in sorted(fields) if (case, f) not in listed_keys]
    for case, field, _ in listed:
        if case.startswith("feeds/") and not o.feed_log:
            continue  # no feed run to judge them by
        failing = fails.get(case)
        if failing is None or (case.startswith("pages/") and field not in failing):
            stale.append(f"{case} | {field}")
    nfeeds = sum(1 for p, _, _ in listed if p.startswith("feeds/"))
    print(f"exceptions: {len(listed)} listed ({nfeeds} feeds, {len(listed) - nfeeds} pages) "
          f"in {o.exceptions}; {len(unlisted)} failures not listed, {len(stale)} listed now pass")
    for u in unlisted:
        print(f"  NOT LISTED {u}")
    for s in stale:
        print(f"  NOW PASSES {s}")
    sys.exit(1 if unlisted else 0)


if __name__ == "__main__":
    main()
