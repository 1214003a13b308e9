#!/usr/bin/env python3
"""Writes the rule sets and Hyperscan term lists of bench/rules.sh.
usage: mkrules.py gen N RULES_OUT TERMS_OUT   N generated rules over 100 tags, each a list
                                              of two invented words; the first 15 rules also
                                              hold a word of the benchmark text, so every
                                              size does the same matching work and differs
                                              only in the rules that do not match
       mkrules.py extract RULES_DIR TERMS_OUT the literal terms of real rule files
Terms are written one per line as literals (a wildcard's prefix, the "="
of an exact-case term dropped) for Hyperscan's literal API."""
import glob, os, random, re, sys

TEXT_WORDS = ("international criminal court warrant security council referral prosecutor judges "
              "states parties cooperation victims reparations hearing statute").split()


def pattern(term):
    return term.replace("*", "")


def gen(n, rules_out, pats_out):
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    terms, lines = [], [f"# {n} generated rules (bench/mkrules.py)"]
    for t in range(100):
        lines.append(f"tag t{t}")
    for i in range(n):
        words = ["".join(rng.choice(letters) for _ in range(rng.randint(6, 10))) for _ in range(2)]
        if i < len(TEXT_WORDS):
            words.append(TEXT_WORDS[i] + "*")
        lines.append(f"list l{i} = " + ", ".join(words))
        lines.append(f"rule t{i % 100}/r{i}: $l{i}")
        terms += words
    open(rules_out, "w").write("\n".join(lines) + "\n")
    open(pats_out, "w").write("\n".join(pattern(t) for t in terms) + "\n")


def extract(rules_dir, pats_out):
    terms = set()
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.rules"))):
        text = re.sub(r"#[^\n\"]*", "", open(path, encoding="utf-8").read())
        for m in re.finditer(r"^list [^=]*=(.*?)(?=^\S|\Z)", text, re.M | re.S):
            for term in re.findall(r'="[^"]*"|"[^"]*"|[^,\s]+', m.group(1)):
                term = term.lstrip("=").strip('"')
                if term:
                    terms.add(term)
    open(pats_out, "w").write("\n".join(pattern(t) for t in sorted(terms)) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        extract(sys.argv[2], sys.argv[3])
