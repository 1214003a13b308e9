#!/usr/bin/env python3
"""tests/servers/badhttp.py: a small, deliberately misbehaving HTTP server for
the fetch tests (Python standard library only, 127.0.0.1 only).

It prints one JSON line with its ports, then serves until killed or until
--lifetime seconds pass:
  {"http": P, "alt": P2, "hang": P3, "tls": P4 or null}
http and alt serve the same routes (alt stands for "another loopback
service"); hang accepts TCP connections and never answers (a TLS handshake
against it times out); tls serves the routes over TLS with the certificate
given by --cert/--key (self-signed: verification must fail).

Routes (query strings are ignored unless stated):
  /feed.xml      small RSS with ETag "v1" and Last-Modified; 304 when the
                 request's If-None-Match or If-Modified-Since matches;
                 gzip-encoded when the client accepts gzip; with
                 Content-Language: en-GB and Content-Location: /feeds/main.xml
  /slow          headers, then one byte a second (slowloris)
  /drip          200 bytes every 50 ms for up to 30 s (fast enough for the
                 low-speed limit, too long for the total timeout)
  /endless       64 KiB chunks without end (up to 30 s)
  /bomb          64 MiB of zeros as a ~64 KiB gzip body
  /loop          302 to itself
  /to-file       302 to file:///etc/passwd
  /to-alt        302 to http://127.0.0.1:ALT/feed.xml
  /moved         301 to /feed.xml
  /temp          302 to /feed.xml
  /gone          410
  /busy          429 with Retry-After: 120
  /unavail       503 with Retry-After as an HTTP date about 300 s ahead
  /error         500
  /notfound      404
  /sleep?ms=N    a small body after N ms (concurrency measurements)
  /page/NAME     a small HTML page
  /log           JSON list of the requests seen so far (path, port, ua,
                 inm, ims, ae, t, conn), and the peak of concurrent requests
  /reset         clears the log
"""
import argparse
import email.utils
import gzip
import io
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
STATE = {"inflight": 0, "peak": 0}
PORTS = {}
FEED_LM = "Wed, 01 Jan 2025 00:00:00 GMT"
FEED = (b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<rss version="2.0"><channel><title>Test feed</title>'
        b'<link>http://example.test/</link>'
        b'<item><title>Judges meet in plenary</title>'
        b'<link>http://example.test/a1</link><guid>a1</guid></item>'
        b'</channel></rss>\n')
BOMB = None


def make_bomb():
    buf = io.BytesIO()
    zeros = b"\0" * (1 << 20)
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as z:
        for _ in range(64):
            z.write(zeros)
    return buf.getvalue()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "badhttp/1"

    def log_message(self, fmt, *args):
        pass

    def finish_body(self, code, body, ctype="text/plain", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, code, where):
        self.finish_body(code, b"moved\n", headers=[("Location", where)])

    def stream(self, ctype, seconds, chunk, pause):
        """Writes chunk every pause seconds, read-until-close framing."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        end = time.time() + seconds
        try:
            while time.time() < end:
                self.wfile.write(chunk)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        port = self.server.server_address[1]
        with LOCK:
            if path not in ("/log", "/reset"):
                LOG.append({
                    "path": path, "port": port, "t": time.time(),
                    "ua": self.headers.get("User-Agent", ""),
                    "inm": self.headers.get("If-None-Match", ""),
                    "ims": self.headers.get("If-Modified-Since", ""),
                    "ae": self.headers.get("Accept-Encoding", ""),
                    "conn": "%s:%d" % self.client_address[:2],
                })
            STATE["inflight"] += 1
            STATE["peak"] = max(STATE["peak"], STATE["inflight"])
        try:
            self.route(path, query)
        finally:
            with LOCK:
                STATE["inflight"] -= 1

    def route(self, path, query):
        if path == "/log":
            with LOCK:
                body = json.dumps({"requests": LOG, "peak": STATE["peak"]}).encode()
            return self.finish_body(200, body, "application/json")
        if path == "/reset":
            with LOCK:
                LOG.clear()
                STATE["peak"] = 0
            return self.finish_body(200, b"ok\n")
        if path == "/feed.xml":
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm == '"v1"' or (inm is None and ims == FEED_LM):
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return None
            hdrs = [("ETag", '"v1"'), ("Last-Modified", FEED_LM),
                    ("Content-Language", "en-GB"), ("Content-Location", "/feeds/main.xml")]
            body = FEED
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(FEED)
                hdrs.append(("Content-Encoding", "gzip"))
            return self.finish_body(200, body, "application/rss+xml; charset=utf-8", hdrs)
        if path == "/slow":
            return self.stream("application/rss+xml", 30, b"<", 1.0)
        if path == "/drip":
            return self.stream("application/rss+xml", 30, b"x" * 200, 0.05)
        if path == "/endless":
            return self.stream("application/rss+xml", 30, b"y" * 65536, 0)
        if path == "/bomb":
            return self.finish_body(200, BOMB, "application/rss+xml",
                                    [("Content-Encoding", "gzip")])
        if path == "/loop":
            return self.redirect(302, "/loop")
        if path == "/to-file":
            return self.redirect(302, "file:///etc/passwd")
        if path == "/to-alt":
            return self.redirect(302, "http://127.0.0.1:%d/feed.xml" % PORTS["alt"])
        if path == "/moved":
            return self.redirect(301, "/feed.xml")
        if path == "/temp":
            return self.redirect(302, "/feed.xml")
        if path == "/gone":
            return self.finish_body(410, b"gone\n")
        if path == "/busy":
            return self.finish_body(429, b"slow down\n", headers=[("Retry-After", "120")])
        if path == "/unavail":
            when = email.utils.formatdate(time.time() + 300, usegmt=True)
            return self.finish_body(503, b"later\n", headers=[("Retry-After", when)])
        if path == "/error":
            return self.finish_body(500, b"oops\n")
        if path == "/notfound":
            return self.finish_body(404, b"no such page\n")
        if path == "/sleep":
            ms = 200
            for kv in query.split("&"):
                if kv.startswith("ms="):
                    ms = min(int(kv[3:] or 0), 10000)
            time.sleep(ms / 1000.0)
            return self.finish_body(200, FEED, "application/rss+xml")
        if path.startswith("/page/"):
            name = path[6:].encode("ascii", "replace")[:64]
            body = (b"<!doctype html><html><head><title>Page " + name +
                    b"</title></head><body><p>Test page " + name + b".</p></body></html>\n")
            return self.finish_body(200, body, "text/html; charset=utf-8")
        return self.finish_body(404, b"unknown route\n")


def hang_server(sock):
    held = []
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        held.append(conn)  # never answered, closed when the server exits
        if len(held) > 256:
            held.pop(0).close()


def main():
    global BOMB
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--lifetime", type=float, default=300.0)
    a = ap.parse_args()
    BOMB = make_bomb()

    servers = []
    main_srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    alt_srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    servers += [main_srv, alt_srv]
    PORTS["http"] = main_srv.server_address[1]
    PORTS["alt"] = alt_srv.server_address[1]
    tls_port = None
    if a.cert and a.key:
        tls_srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        tls_srv.socket = ctx.wrap_socket(tls_srv.socket, server_side=True)
        servers.append(tls_srv)
        tls_port = tls_srv.server_address[1]
    hang = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hang.bind(("127.0.0.1", 0))
    hang.listen(64)
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    threading.Thread(target=hang_server, args=(hang,), daemon=True).start()
    print(json.dumps({"http": PORTS["http"], "alt": PORTS["alt"],
                      "hang": hang.getsockname()[1], "tls": tls_port}), flush=True)
    time.sleep(a.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
