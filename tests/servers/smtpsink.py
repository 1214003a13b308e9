#!/usr/bin/env python3
"""A small SMTP sink for the mail test (standard library only: Python 3.12
dropped smtpd, and the test must not depend on an installed package).

usage: smtpsink.py DIR PORTFILE [USER:PASSWORD]

Listens on 127.0.0.1 (a free port, written to PORTFILE once listening) and
stores each accepted message as DIR/N.eml with DIR/N.json holding the
envelope {"from", "rcpt", "auth"}. Recipients whose local part starts with
"reject" get 550. With USER:PASSWORD, AUTH PLAIN and LOGIN are offered and
checked (535 on a mismatch); a client that does not log in is still
accepted, so both cases can be tested against one sink.
"""
import base64
import json
import os
import socketserver
import sys
import threading

MAX_MESSAGE = 50 * 1024 * 1024
MAX_LINE = 4096
counter = 0
lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(MAX_LINE)
        if not line:
            raise EOFError
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self):
        try:
            self.session()
        except (EOFError, ConnectionError, OSError):
            pass

    def session(self):
        creds = self.server.creds
        mail_from, rcpt, auth = None, [], None
        self.send("220 sink.test ESMTP pressmon test sink")
        while True:
            line = self.readline()
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    self.send("250 sink.test")
                    continue
                self.send("250-sink.test")
                self.send("250-8BITMIME")
                if creds:
                    self.send("250-AUTH PLAIN LOGIN")
                self.send("250 SIZE %d" % MAX_MESSAGE)
            elif verb == "AUTH" and creds:
                parts = arg.split(" ")
                mech = parts[0].upper()
                if mech == "PLAIN":
                    if len(parts) > 1:
                        blob = parts[1]
                    else:
                        self.send("334 ")
                        blob = self.readline()
                    try:
                        _, user, pw = base64.b64decode(blob).decode().split("\0")
                    except Exception:
                        self.send("501 bad AUTH PLAIN")
                        continue
                elif mech == "LOGIN":
                    self.send("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.readline()).decode()
                    self.send("334 UGFzc3dvcmQ6")
                    pw = base64.b64decode(self.readline()).decode()
                else:
                    self.send("504 mechanism not supported")
                    continue
                if (user, pw) == creds:
                    auth = user
                    self.send("235 authenticated")
                else:
                    self.send("535 5.7.8 authentication failed")
            elif verb == "MAIL":
                mail_from = arg.split(":", 1)[1].split()[0].strip("<>") if ":" in arg else ""
                rcpt = []
                self.send("250 ok")
            elif verb == "RCPT":
                addr = arg.split(":", 1)[1].strip().strip("<>") if ":" in arg else ""
                if addr.lower().startswith("reject"):
                    self.send("550 5.1.1 <%s>: no such mailbox" % addr)
                else:
                    rcpt.append(addr)
                    self.send("250 ok")
            elif verb == "DATA":
                if mail_from is None or not rcpt:
                    self.send("503 need MAIL and RCPT first")
                    continue
                self.send("354 end with <CRLF>.<CRLF>")
                data, size = [], 0
                while True:
                    raw = self.rfile.readline(MAX_LINE)
                    if not raw:
                        raise EOFError
                    if raw in (b".\r\n", b".\n"):
                        break
                    if raw.startswith(b"."):
                        raw = raw[1:]  # dot-stuffing
                    size += len(raw)
                    if size > MAX_MESSAGE:
                        self.send("552 message too large")
                        return
                    data.append(raw)
                self.store(b"".join(data), mail_from, rcpt, auth)
                mail_from, rcpt = None, []
                self.send("250 ok: queued")
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self.send("250 ok")
            elif verb == "NOOP":
                self.send("250 ok")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 command not implemented")

    def store(self, data, mail_from, rcpt, auth):
        global counter
        with lock:
            counter += 1
            n = counter
        base = os.path.join(self.server.outdir, str(n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        with open(base + ".json", "w") as f:
            json.dump({"from": mail_from, "rcpt": rcpt, "auth": auth}, f)
        os.rename(base + ".eml.tmp", base + ".eml")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.outdir = sys.argv[1]
    srv.creds = tuple(sys.argv[3].split(":", 1)) if len(sys.argv) == 4 else None
    os.makedirs(srv.outdir, exist_ok=True)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
