#!/usr/bin/env python3
"""A small OAuth2 identity provider for postern's tests (stdlib only).

HTTPS on 127.0.0.1 with the test CA's server certificate (tests/server/
mkcerts.sh), so that postern verifies it through `oauth2_ca_file` and
Dovecot's oauth2 passdb through `tls_ca_cert_file`.

Usage:
  idp.py --certs-dir DIR --port-file F --log F [--client-id ID]
         [--client-secret S] [--user NAME] [--port N]

Endpoints:
  GET  /authorize   checks response_type=code, client_id, redirect_uri (a
                    loopback http URL), code_challenge with method S256 and
                    state; answers 302 to redirect_uri?code=..&state=..
  POST /token       grant_type authorization_code (with PKCE verification),
                    refresh_token (rotation optional), and
                    urn:ietf:params:oauth:grant-type:device_code
                    (authorization_pending until approved; slow_down when
                    polled faster than the interval)
  POST /device      device authorization (RFC 8628), interval 1
  POST /introspect  token=...: {"active": true, "username": ...} for a live
                    access token, {"active": false} otherwise (for Dovecot)
  POST /control     JSON, every key optional, applied in this order:
                      "expire_access": true     every access token so far is dead
                      "revoke_refresh": true    every refresh token so far is dead
                      "rotate": bool            refresh issues a new refresh token
                                                and kills the old one
                      "expires_in": N           lifetime of access tokens issued from now
                      "access_token_length": N  length of access tokens issued from now
                      "delay": S                /token waits S seconds before answering
                      "fail": CODE              /token answers HTTP CODE (0: normally)
                      "drop": bool              /token closes the connection unanswered
                      "approve_device": true    approve every pending device code
                      "slow_down_once": true    the next device poll gets slow_down
                      "reject_tokens": bool     introspection calls every token
                                                inactive (a mailbox whose SMTP AUTH
                                                the admin switched off)
                    Answers the state: {"access": [{"id", "token", "active"}...],
                    "refresh": [...], "token_requests": N, ...}.  /control
                    is never delayed nor failed.

The log (--log) gets one line per /token request, written before the answer:
  token grant=refresh_token refresh=rt1 -> 200 access=at2 refresh=rt2
  token grant=refresh_token refresh=rt1 -> 400 invalid_grant
  token grant=urn:ietf:params:oauth:grant-type:device_code -> 400 slow_down forced
and one per /authorize, /device and /introspect.  Token ids (at<N>, rt<N>)
name tokens without showing them; each token starts with its id and a dot.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# RFC 6750 b64token characters (without the trailing '=' padding)
B64TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# the description of a slow_down that /control asked for (logged "forced")
FORCED_SLOW_DOWN = "slow down (asked for by the test)"
# /control keys that set a knob: (key, State attribute, conversion)
SETTINGS = (("rotate", "rotate", bool), ("expires_in", "expires_in", int),
            ("access_token_length", "token_length", int), ("delay", "delay", float),
            ("fail", "fail", int), ("drop", "drop", bool),
            ("reject_tokens", "reject_tokens", bool))


class State:
    def __init__(self, opts):
        self.lock = threading.Lock()
        self.opts = opts
        self.n = 0
        self.codes = {}      # code -> dict(client_id, redirect_uri, challenge, scope)
        self.access = {}     # token -> dict(id, expires_at, active, scope)
        self.refresh = {}    # token -> dict(id, active, scope)
        self.devices = {}    # device_code -> dict(user_code, approved, last_poll, interval, scope)
        self.rotate = False
        self.expires_in = 3600
        self.token_length = 64
        self.delay = 0.0
        self.fail = 0
        self.drop = False
        self.slow_down_once = False
        self.reject_tokens = False
        self.token_requests = 0

    def next_id(self, prefix):
        self.n += 1
        return "%s%d" % (prefix, self.n)

    def new_token(self, prefix, length):
        tid = self.next_id(prefix)
        head = tid + "."
        body = "".join(secrets.choice(B64TOKEN) for _ in range(max(8, length - len(head))))
        return tid, head + body

    def issue(self, scope, with_refresh=True):
        """A fresh access token (and refresh token): the token response."""
        aid, at = self.new_token("at", self.token_length)
        self.access[at] = {"id": aid, "expires_at": time.time() + self.expires_in,
                           "active": True, "scope": scope}
        resp = {"access_token": at, "token_type": "Bearer",
                "expires_in": self.expires_in, "scope": scope}
        ids = "access=%s" % aid
        if with_refresh:
            rid, rt = self.new_token("rt", 48)
            self.refresh[rt] = {"id": rid, "active": True, "scope": scope}
            resp["refresh_token"] = rt
            ids += " refresh=%s" % rid
        return resp, ids

    def dump(self):
        now = time.time()
        return {
            "access": [{"id": v["id"], "token": k,
                        "active": v["active"] and v["expires_at"] > now}
                       for k, v in self.access.items()],
            "refresh": [{"id": v["id"], "token": k, "active": v["active"]}
                        for k, v in self.refresh.items()],
            "pending_devices": sum(1 for d in self.devices.values() if not d["approved"]),
            "token_requests": self.token_requests,
            "rotate": self.rotate, "expires_in": self.expires_in,
            "access_token_length": self.token_length,
            "delay": self.delay, "fail": self.fail, "drop": self.drop,
            "reject_tokens": self.reject_tokens,
        }


def b64url_sha256(s):
    d = hashlib.sha256(s.encode("ascii")).digest()
    return base64.urlsafe_b64encode(d).decode("ascii").rstrip("=")


def loopback_redirect(uri):
    u = urllib.parse.urlsplit(uri)
    return u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost", "::1") and not u.fragment


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "postern-test-idp/1"

    def log_message(self, fmt, *args):   # no stderr chatter per request
        pass

    def log(self, line):
        st = self.server.state
        with st.lock:
            with open(st.opts.log, "a") as f:
                f.write(line + "\n")

    # ------------------------------------------------------------ replies
    def reply(self, code, body=b"", ctype="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def json(self, code, obj):
        self.reply(code, json.dumps(obj), "application/json")

    def oauth_error(self, error, desc, code=400):
        self.json(code, {"error": error, "error_description": desc})

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise ValueError("body too large")
        raw = self.rfile.read(n).decode("utf-8", "replace")
        return raw, {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def client_ok(self, f):
        """client_id (+ client_secret when one is configured) from the form
        or from HTTP Basic authentication."""
        opts = self.server.state.opts
        cid, csec = f.get("client_id"), f.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                cid, csec = urllib.parse.unquote_plus(u), urllib.parse.unquote_plus(p)
            except ValueError:
                return False
        if cid != opts.client_id:
            return False
        return opts.client_secret is None or csec == opts.client_secret

    # ------------------------------------------------------------ GET
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/authorize":
            return self.reply(404, "not found\n")
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        st = self.server.state
        problems = []
        if q.get("response_type") != "code":
            problems.append("response_type is not code")
        if q.get("client_id") != st.opts.client_id:
            problems.append("unknown client_id")
        if not loopback_redirect(q.get("redirect_uri", "")):
            problems.append("redirect_uri is not a loopback http URL")
        if q.get("code_challenge_method") != "S256":
            problems.append("code_challenge_method is not S256")
        ch = q.get("code_challenge", "")
        if not (43 <= len(ch) <= 128):
            problems.append("code_challenge missing or of the wrong length")
        if not q.get("state"):
            problems.append("no state")
        if problems:
            self.log("authorize -> 400 " + "; ".join(problems))
            return self.reply(400, "bad authorization request: %s\n" % "; ".join(problems))
        code = secrets.token_urlsafe(24)
        with st.lock:
            st.codes[code] = {"client_id": q["client_id"], "redirect_uri": q["redirect_uri"],
                              "challenge": ch, "scope": q.get("scope", "")}
        sep = "&" if urllib.parse.urlsplit(q["redirect_uri"]).query else "?"
        loc = q["redirect_uri"] + sep + urllib.parse.urlencode({"code": code, "state": q["state"]})
        self.log("authorize -> 302 scope=%s" % q.get("scope", ""))
        self.reply(302, "redirecting\n", headers=[("Location", loc)])

    # ------------------------------------------------------------ POST
    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        try:
            raw, f = self.form()
        except ValueError:
            return self.reply(413, "too large\n")
        if path == "/control":
            return self.control(raw)
        if path == "/introspect":
            return self.introspect(f)
        if path == "/device":
            return self.device(f)
        if path == "/token":
            return self.token(f)
        self.reply(404, "not found\n")

    def control(self, raw):
        st = self.server.state
        try:
            c = json.loads(raw or "{}")
        except ValueError:
            return self.reply(400, "bad JSON\n")
        with st.lock:
            if c.get("expire_access"):
                for v in st.access.values():
                    v["active"] = False
            if c.get("revoke_refresh"):
                for v in st.refresh.values():
                    v["active"] = False
            for key, attr, conv in SETTINGS:
                if key in c:
                    setattr(st, attr, conv(c[key]))
            if c.get("approve_device"):
                for d in st.devices.values():
                    d["approved"] = True
            if c.get("slow_down_once"):
                st.slow_down_once = True
            out = st.dump()
        self.json(200, out)

    def introspect(self, f):
        st = self.server.state
        tok = f.get("token", "")
        with st.lock:
            a = st.access.get(tok)
            live = (a is not None and a["active"] and a["expires_at"] > time.time()
                    and not st.reject_tokens)
            aid = a["id"] if a else "unknown"
        self.log("introspect %s -> %s" % (aid, "active" if live else "inactive"))
        if live:
            return self.json(200, {"active": True, "username": st.opts.user,
                                   "scope": a["scope"], "client_id": st.opts.client_id})
        self.json(200, {"active": False})

    def device(self, f):
        st = self.server.state
        if not self.client_ok(f):
            self.log("device -> 401 invalid_client")
            return self.oauth_error("invalid_client", "unknown client", 401)
        dc = secrets.token_urlsafe(32)
        uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
        with st.lock:
            st.devices[dc] = {"user_code": uc, "approved": False, "last_poll": 0.0,
                              "interval": 1, "scope": f.get("scope", "")}
        base = "https://127.0.0.1:%d" % self.server.server_address[1]
        self.log("device -> 200 user_code=%s" % uc)
        self.json(200, {"device_code": dc, "user_code": uc,
                        "verification_uri": base + "/device-login",
                        "verification_uri_complete": base + "/device-login?user_code=" + uc,
                        "interval": 1, "expires_in": 600})

    def token(self, f):
        st = self.server.state
        grant = f.get("grant_type", "")
        with st.lock:
            st.token_requests += 1
            delay, fail, drop = st.delay, st.fail, st.drop
            rt = st.refresh.get(f.get("refresh_token", ""))
            which = (" refresh=%s" % (rt["id"] if rt else "unknown")) if grant == "refresh_token" else ""
        head = "token grant=%s%s ->" % (grant, which)
        if delay:
            time.sleep(delay)
        if drop:
            self.log(head + " dropped")
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if fail:
            self.log(head + " %d" % fail)
            return self.reply(fail, "failing on purpose\n")
        if not self.client_ok(f):
            self.log(head + " 401 invalid_client")
            return self.oauth_error("invalid_client", "unknown client or wrong secret", 401)
        with st.lock:
            code, err, resp = self.grant(grant, f)
        if err:
            self.log("%s %d %s%s" % (head, code, err[0], " forced" if err[1] == FORCED_SLOW_DOWN else ""))
            return self.oauth_error(*err, code=code)
        self.log("%s 200 %s" % (head, resp.pop("_ids")))
        self.json(200, resp)

    def grant(self, grant, f):
        """(http code, (error, description) or None, response); st.lock held."""
        st = self.server.state
        if grant == "authorization_code":
            c = st.codes.pop(f.get("code", ""), None)   # a code works once
            if c is None:
                return 400, ("invalid_grant", "unknown or used code"), None
            if f.get("redirect_uri") != c["redirect_uri"]:
                return 400, ("invalid_grant", "redirect_uri differs from the authorization request"), None
            if b64url_sha256(f.get("code_verifier", "")) != c["challenge"]:
                return 400, ("invalid_grant", "PKCE verification failed"), None
            resp, ids = st.issue(c["scope"])
        elif grant == "refresh_token":
            tok = f.get("refresh_token", "")
            r = st.refresh.get(tok)
            if r is None or not r["active"]:
                return 400, ("invalid_grant", "Token has been expired or revoked."), None
            if st.rotate:
                r["active"] = False
                resp, ids = st.issue(r["scope"])
            else:
                resp, ids = st.issue(r["scope"], with_refresh=False)
        elif grant == DEVICE_GRANT:
            d = st.devices.get(f.get("device_code", ""))
            if d is None:
                return 400, ("expired_token", "unknown device code"), None
            now = time.monotonic()
            early = now - d["last_poll"] < d["interval"] - 0.05
            d["last_poll"] = now
            if st.slow_down_once:
                st.slow_down_once = False
                return 400, ("slow_down", FORCED_SLOW_DOWN), None
            if early:
                return 400, ("slow_down", "polling too fast"), None
            if not d["approved"]:
                return 400, ("authorization_pending", "the user has not approved yet"), None
            del st.devices[f["device_code"]]
            resp, ids = st.issue(d["scope"])
        else:
            return 400, ("unsupported_grant_type", "grant type not supported"), None
        resp["_ids"] = ids
        return 200, None, resp


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, ctx, state):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.state = state

    def finish_request(self, request, client_address):
        # The TLS handshake in the handler's thread, not the accept loop:
        # a client that never speaks must not block the others.
        try:
            request.settimeout(30)
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs-dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--client-id", default="postern-test-client")
    ap.add_argument("--client-secret", default=None)
    ap.add_argument("--user", default="alice@example.org")
    opts = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(opts.certs_dir, "good-chain.pem"),
                        os.path.join(opts.certs_dir, "good.key"))
    srv = Server(("127.0.0.1", opts.port), ctx, State(opts))
    open(opts.log, "a").close()
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
