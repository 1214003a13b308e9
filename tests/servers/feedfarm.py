#!/usr/bin/env python3
"""tests/servers/feedfarm.py: many small feeds from one loopback HTTP server,
logging every request, for the tests that count fetches per feed.

GET /feed/N.xml answers a small RSS document (200, keep-alive). Each request
is logged to --log as one line: "EPOCH_SECONDS HOST PATH". The port is
printed on stdout as JSON ({"http": PORT}); the server exits by itself after
--lifetime seconds so a killed test leaves nothing behind.
Python standard library only.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_LOCK = threading.Lock()
LOG = None

BODY = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Farm feed {n}</title>
<link>http://farm.example/{n}/</link><description>test feed {n}</description>
<item><title>Item of feed {n}</title><link>http://farm.example/{n}/1</link>
<guid>farm-{n}-1</guid><description>A line written for the tests.</description></item>
</channel></rss>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: our own log is enough
        pass

    def do_GET(self):
        with LOG_LOCK:
            LOG.write(f"{time.time():.3f} {self.headers.get('Host', '-')} {self.path}\n")
            LOG.flush()
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] == "feed" and parts[2].endswith(".xml"):
            body = BODY.format(n=parts[2][:-4][:32]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
        else:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()
    LOG = open(a.log, "a", encoding="utf-8")
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 512
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"http": srv.server_address[1]}), flush=True)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
