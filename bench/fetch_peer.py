#!/usr/bin/env python3
"""bench/fetch_peer.py: helpers of bench/fetch.sh (standard library only).

  fetch_peer.py run OUT -- CMD...   runs CMD with stdout to OUT, prints JSON:
                                    wall seconds, CPU seconds (user+sys) and
                                    peak RSS (MiB) of CMD
  fetch_peer.py cpu PID...          CPU seconds (user+sys) used so far by PIDs
  fetch_peer.py gen DIR N           N small RSS files DIR/feed/1.xml .. N.xml
"""
import json
import os
import resource
import subprocess
import sys
import time


def run(out, cmd):
    with open(out, "wb") as f:
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdout=f)
        wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"exit": p.returncode, "seconds": round(wall, 3),
                      "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
                      "maxrss_mib": round(ru.ru_maxrss / 1024, 1)}))
    return 0


def cpu(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    print(f"{total / tick:.2f}")
    return 0


def gen(d, n):
    os.makedirs(os.path.join(d, "feed"), exist_ok=True)
    for i in range(1, n + 1):
        with open(os.path.join(d, "feed", f"{i}.xml"), "w") as f:
            f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench feed {i}</title>
<link>http://bench.example/{i}/</link><description>benchmark feed {i}</description>
<item><title>Item {i}-1</title><link>http://bench.example/{i}/1</link><guid>b-{i}-1</guid>
<description>A short summary written for the benchmark.</description></item>
<item><title>Item {i}-2</title><link>http://bench.example/{i}/2</link><guid>b-{i}-2</guid>
<description>Another short summary written for the benchmark.</description></item>
</channel></rss>
""")
    return 0


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "run" and a[2] == "--":
        return run(a[1], a[3:])
    if a and a[0] == "cpu":
        return cpu(a[1:])
    if len(a) == 3 and a[0] == "gen":
        return gen(a[1], int(a[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
