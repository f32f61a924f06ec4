#!/usr/bin/env python3
"""A tiny web server for the autoconfig step of `postern setup` (stdlib only).

Serves fixed files chosen by the request's Host header and path, on several
listeners at once, each HTTPS (with a certificate of the test CA) or plain
HTTP, and logs every request, so that a test can check which URLs were
tried, in which order, and that nothing was fetched where nothing must be.

Usage:
  autoconfig.py --root DIR --log FILE --ready FILE --certs-dir DIR
                --listen ADDR:PORT:CERT ...

  --root DIR      DIR/HOST/PATH is the answer to GET https://HOST/PATH
                  (HOST without a port); DIR/HOST/PATH.redirect holds a URL:
                  the answer is 302 with that Location; anything else is 404
  --listen A:P:C  listen on address A, port P; C is the name of a
                  certificate in --certs-dir (C.key, C-chain.pem), or
                  "plain" for cleartext HTTP
  --log FILE      one line per event, flushed at once:
                    A:P HOST PATH STATUS       a request (HOST "-" when none)
                    A:P handshake failed       TLS failed while the server shook hands
                    A:P no request             the connection ended before a request
                                               (a client that refused the certificate
                                               after the server's part of a TLS 1.3
                                               handshake, say)
                    A:P not HTTP               bytes that are no request
  --ready FILE    written once every listener is bound

Stop it with SIGTERM (by its PID).
"""

import argparse
import http.server
import os
import socketserver
import ssl
import sys
import threading

log_lock = threading.Lock()


def log(args, line):
    with log_lock, open(args.log, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *a):   # the test's log is the only log
        pass

    def handle(self):
        self.answered = False
        try:
            super().handle()
        except (ssl.SSLError, OSError):
            pass
        if not self.answered:
            log(self.server.args, "%s no request" % self.server.name)

    def send_error(self, code, message=None, explain=None):
        # a TLS ClientHello on a plain listener lands here
        self.answered = True
        log(self.server.args, "%s not HTTP" % self.server.name)
        super().send_error(code, message, explain)

    def do_GET(self):
        args = self.server.args
        host = (self.headers.get("Host") or "-").split(":")[0].lower()
        path = self.path.split("?")[0]
        f = os.path.normpath(os.path.join(args.root, host, path.lstrip("/")))
        status, body, extra = 404, b"not here\n", []
        if not f.startswith(os.path.abspath(args.root) + os.sep):
            pass
        elif os.path.isfile(f + ".redirect"):
            with open(f + ".redirect") as r:
                status, body = 302, b"moved\n"
                extra = [("Location", r.read().strip())]
        elif os.path.isfile(f):
            with open(f, "rb") as r:
                status, body = 200, r.read()
        self.answered = True
        log(args, "%s %s %s %d" % (self.server.name, host, path, status))
        self.send_response(status)
        self.send_header("Content-Type", "text/xml" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args, addr, port, ctx):
        self.args, self.ctx = args, ctx
        self.name = "%s:%d" % (addr, port)
        super().__init__((addr, port), Handler)

    def finish_request(self, request, client_address):
        # the handshake happens in the request's thread: a client that
        # stalls or refuses the certificate holds up nobody else
        if self.ctx is not None:
            request.settimeout(10)
            try:
                request = self.ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                log(self.args, "%s handshake failed" % self.name)
                return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--certs-dir", required=True)
    ap.add_argument("--listen", action="append", required=True)
    args = ap.parse_args()
    args.root = os.path.abspath(args.root)
    servers = []
    for spec in args.listen:
        addr, port, cert = spec.rsplit(":", 2)
        ctx = None
        if cert != "plain":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(os.path.join(args.certs_dir, cert + "-chain.pem"),
                                os.path.join(args.certs_dir, cert + ".key"))
        servers.append(Server(args, addr, int(port), ctx))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(args.ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(args.ready + ".tmp", args.ready)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
