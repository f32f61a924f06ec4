#!/usr/bin/env python3
"""Scripted SMTP server for fault-injection tests (python3 stdlib only).

A real server never misbehaves on cue; this one follows a scenario file line
by line, so a test can make it drop the connection mid-DATA, inject bytes
after a STARTTLS 220, answer 454 to STARTTLS, and so on.

Usage:
  smtp-peer.py [options] SCENARIO [SCENARIO2 ...]

  --port N          listen on 127.0.0.1:N (0 = any free port; default 0)
  --port-file F     write the chosen port to F once listening (atomic rename);
                    without it the port is printed on stdout
  --count N         serve N connections one after another (default 1);
                    connection i follows SCENARIO i (the last one repeats)
  --log F           transcript: "C: line" received, "S: line" sent,
                    "*: event" (default: stderr)
  --data-file F     where read-data / read-bdat-all save the message bytes as
                    received (dot-stuffing and CRLF kept, final "." line
                    dropped); 2nd message -> F.2, 3rd -> F.3 ...
  --certs-dir D     certificates from tests/server/mkcerts.sh (for TLS);
  --cert F --key F  or an explicit certificate chain and key
  --timeout S       per-read timeout, seconds (default 10)
  --accept-timeout S  give up if no client connects within S s (default 30)
  --lenient         accept bare LF / bare CR from the client (default: any
                    line not ending in CRLF, and any bare CR or LF inside
                    DATA, is a failure: RFC 5321 2.3.8, SMTP smuggling)
  --timestamps      prefix transcript lines with seconds since accept
  --tls-max V       the newest TLS version offered: 1.2 or 1.3 (default 1.3)

Exit status: 0 every connection ran its scenario to the end; 1 some step
failed (an expect did not match, EOF or timeout when a line was expected,
bare LF, TLS handshake failure, pipelining when not allowed ...); 2 usage or
scenario error; 3 nobody connected in time.

Scenario language: one step per line; blank lines and lines starting with
'#' are ignored. Words are case-insensitive; the rest of the line is
literal.

  tls-implicit        TLS handshake right after accept (like port 465); first step
  send TEXT           queue TEXT + CRLF; consecutive sends go out in ONE write,
                      flushed before any other step
  send-raw BYTES      flush, then write BYTES in one write, with escapes
                      \\r \\n \\t \\\\ \\xNN and no CRLF added
  expect PREFIX       read one line; it must start with PREFIX (case-insensitive)
  expect-re REGEX     read one line; REGEX must match the whole line (no CRLF),
                      case-insensitive
  expect-any          read one line, whatever it is
  expect-eof [PFX..]  the client must now close the connection. Lines starting
                      with QUIT are answered "221 2.0.0 Bye"; lines starting
                      with one of PFX (e.g. RSET, HELO) are answered
                      "250 2.0.0 Ok"; anything else (a MAIL, a TLS
                      ClientHello ...) is a failure. A client that is still
                      connected after --timeout fails too.
  starttls [NAME]     server-side TLS handshake now (after you sent 220).
                      Fails if the client already sent bytes after STARTTLS
                      (command injection / illegal pipelining). NAME picks
                      NAME-chain.pem/NAME.key in --certs-dir (default good).
  read-data           read the message after 354 up to the CRLF.CRLF line and
                      save it (see --data-file)
  read-bdat-all       read BDAT chunks (RFC 3030) until BDAT ... LAST; every
                      chunk but the last is answered "250 2.0.0 chunk ok";
                      answer the last one yourself with send
  no-pipelining       from now on, fail if the client sends a command before
                      the reply to the previous one (checked at each expect)
  pipelining          switch that check off again (default)
  sleep SECONDS       pause (fractions allowed)
  shutdown-write      half-close: send FIN, keep reading
  close               close the connection now (e.g. mid-DATA)
  reset               close with a TCP RST (SO_LINGER 0)
  log TEXT            write "*: TEXT" to the transcript

When the steps run out the connection is closed.
"""

import argparse
import os
import re
import select
import socket
import ssl
import sys
import time


class ScenarioError(Exception):
    pass


class StepFailed(Exception):
    pass


class PeerClosed(Exception):
    pass


def unescape(text):
    out = bytearray()
    i = 0
    b = text.encode("utf-8", "surrogateescape")
    while i < len(b):
        c = b[i]
        if c == 0x5C and i + 1 < len(b):  # backslash
            n = chr(b[i + 1])
            if n == "r":
                out += b"\r"; i += 2; continue
            if n == "n":
                out += b"\n"; i += 2; continue
            if n == "t":
                out += b"\t"; i += 2; continue
            if n == "\\":
                out += b"\\"; i += 2; continue
            if n == "x" and i + 3 < len(b):
                try:
                    out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
                except ValueError:
                    pass
        out.append(c)
        i += 1
    return bytes(out)


def show(data):
    """Printable form of a received/sent line (CRLF stripped, rest escaped)."""
    s = data
    if s.endswith(b"\r\n"):
        s = s[:-2]
    elif s.endswith(b"\n"):
        s = s[:-1] + b"<bare LF>"
    out = []
    for ch in s:
        if ch == 0x5C:
            out.append("\\\\")
        elif 0x20 <= ch < 0x7F:
            out.append(chr(ch))
        elif ch == 0x0D:
            out.append("\\r")
        elif ch == 0x0A:
            out.append("\\n")
        elif ch == 0x09:
            out.append("\\t")
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


KNOWN = {
    "tls-implicit", "send", "send-raw", "expect", "expect-re", "expect-any",
    "expect-eof", "starttls", "read-data", "read-bdat-all", "no-pipelining",
    "pipelining", "sleep", "shutdown-write", "close", "reset", "log",
}


def parse_scenario(path):
    steps = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            line = line.lstrip()
            word, _, rest = line.partition(" ")
            word = word.lower()
            if word not in KNOWN:
                raise ScenarioError("%s:%d: unknown step %r" % (path, lineno, word))
            if word == "sleep":
                try:
                    float(rest)
                except ValueError:
                    raise ScenarioError("%s:%d: sleep needs seconds" % (path, lineno))
            if word == "expect-re":
                try:
                    re.compile(rest)
                except re.error as e:
                    raise ScenarioError("%s:%d: bad regex: %s" % (path, lineno, e))
            if word == "tls-implicit" and steps:
                raise ScenarioError("%s:%d: tls-implicit must come first" % (path, lineno))
            steps.append((lineno, word, rest))
    return steps


class Session:
    def __init__(self, sock, opts, log, t0, data_counter):
        self.sock = sock
        self.opts = opts
        self.logf = log
        self.t0 = t0
        self.buf = b""
        self.pending = []
        self.tls = False
        self.nopipe = False
        self.data_counter = data_counter
        self.sock.settimeout(opts.timeout)

    # ---- transcript
    def log(self, tag, text):
        if self.opts.timestamps:
            self.logf.write("[%8.3f] " % (time.monotonic() - self.t0))
        self.logf.write("%s: %s\n" % (tag, text))
        self.logf.flush()

    # ---- I/O
    def flush(self):
        if self.pending:
            data = b"".join(self.pending)
            self.pending = []
            self.sock.sendall(data)

    def queue_line(self, text):
        data = text.encode("utf-8", "surrogateescape") + b"\r\n"
        self.log("S", show(data))
        self.pending.append(data)

    def write_now(self, data):
        self.flush()
        for line in data.splitlines(keepends=True):
            self.log("S", show(line))
        self.sock.sendall(data)

    def fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise StepFailed("timeout (%.1fs) waiting for the client" % self.opts.timeout)
        except ssl.SSLError as e:
            raise StepFailed("TLS error while reading: %s" % e)
        except ConnectionResetError:
            raise PeerClosed("connection reset by client")
        if not chunk:
            raise PeerClosed("client closed the connection")
        self.buf += chunk

    def readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                self.log("C", show(line))
                if not line.endswith(b"\r\n") and not self.opts.lenient:
                    raise StepFailed("line ends in bare LF: %r" % line)
                if b"\r" in line[:-2] and not self.opts.lenient:
                    raise StepFailed("bare CR in line: %r" % line)
                return line
            if len(self.buf) > 100000:
                raise StepFailed("no line end in %d bytes" % len(self.buf))
            try:
                self.fill()
            except PeerClosed:
                if self.buf:
                    self.log("C", show(self.buf) + "<no line end>")
                raise

    def more_pending(self):
        if self.buf:
            return True
        if self.tls and self.sock.pending():
            return True
        r, _, _ = select.select([self.sock], [], [], 0.05)
        if not r:
            return False
        # Readable may mean EOF: a client that closes right after QUIT has
        # sent nothing more.  Read what is there to tell the two apart.
        try:
            self.fill()
        except PeerClosed:
            self.closed_early = True
            return False
        return bool(self.buf)

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def save_message(self, data):
        self.data_counter[0] += 1
        k = self.data_counter[0]
        if self.opts.data_file:
            path = self.opts.data_file if k == 1 else "%s.%d" % (self.opts.data_file, k)
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, path)
            self.log("*", "saved %d bytes of message %d to %s" % (len(data), k, path))
        else:
            self.log("*", "received %d bytes of message %d" % (len(data), k))

    def tls_context(self, name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.opts.tls_max:
            ctx.maximum_version = getattr(ssl.TLSVersion, "TLSv" + self.opts.tls_max.replace(".", "_"))
        if name:
            if not self.opts.certs_dir:
                raise ScenarioError("starttls %s needs --certs-dir" % name)
            cert = os.path.join(self.opts.certs_dir, name + "-chain.pem")
            key = os.path.join(self.opts.certs_dir, name + ".key")
        elif self.opts.cert:
            cert, key = self.opts.cert, self.opts.key or self.opts.cert
        elif self.opts.certs_dir:
            cert = os.path.join(self.opts.certs_dir, "good-chain.pem")
            key = os.path.join(self.opts.certs_dir, "good.key")
        else:
            raise ScenarioError("TLS step needs --certs-dir or --cert/--key")
        ctx.load_cert_chain(cert, key)
        return ctx

    def start_tls(self, name):
        self.flush()
        if self.buf:
            raise StepFailed("client sent %d bytes before the TLS handshake "
                             "(pipelined after STARTTLS): %r" % (len(self.buf), self.buf[:80]))
        ctx = self.tls_context(name)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            raise StepFailed("TLS handshake failed: %s" % e)
        self.tls = True
        self.log("*", "TLS established: %s %s" % (self.sock.version(), self.sock.cipher()[0]))

    # ---- steps
    def run(self, steps):
        for lineno, word, rest in steps:
            if word != "send":
                self.flush()
            self.step(lineno, word, rest)
        self.flush()

    def check_pipelining(self, line):
        if self.nopipe and self.more_pending():
            raise StepFailed("client sent more after %r before our reply, "
                             "but PIPELINING was not offered" % show(line))

    def step(self, lineno, word, rest):
        if word == "tls-implicit":
            self.start_tls(rest.strip() or None)
        elif word == "send":
            self.queue_line(rest)
        elif word == "send-raw":
            self.write_now(unescape(rest))
        elif word == "expect":
            try:
                line = self.readline()
            except PeerClosed as e:
                raise StepFailed("expected %r: %s" % (rest, e))
            got = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if not got.lower().startswith(rest.lower()):
                raise StepFailed("line %d: expected %r, got %r" % (lineno, rest, got))
            self.check_pipelining(line)
        elif word == "expect-re":
            try:
                line = self.readline()
            except PeerClosed as e:
                raise StepFailed("expected /%s/: %s" % (rest, e))
            got = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if not re.fullmatch(rest, got, re.IGNORECASE):
                raise StepFailed("line %d: expected /%s/, got %r" % (lineno, rest, got))
            self.check_pipelining(line)
        elif word == "expect-any":
            try:
                line = self.readline()
            except PeerClosed as e:
                raise StepFailed("expected a line: %s" % e)
            self.check_pipelining(line)
        elif word == "expect-eof":
            allowed = [w.lower() for w in rest.split()]
            while True:
                if not self.tls and self.buf[:1] == b"\x16":
                    self.log("C", show(self.buf[:64]) + "...")
                    raise StepFailed("line %d: expected the client to give up, but it "
                                     "started a TLS handshake" % lineno)
                if not self.buf:
                    try:
                        self.fill()
                    except PeerClosed:
                        self.log("*", "client closed the connection (expected)")
                        return
                    except StepFailed as e:
                        raise StepFailed("client did not close the connection: %s" % e)
                    continue
                try:
                    line = self.readline()
                except PeerClosed:
                    self.log("*", "client closed the connection (expected)")
                    return
                except StepFailed as e:
                    if str(e).startswith("timeout"):
                        raise StepFailed("client did not close the connection: %s" % e)
                    raise
                got = line.rstrip(b"\r\n").decode("utf-8", "replace").lower()
                if got.startswith("quit"):
                    self.queue_line("221 2.0.0 Bye")
                    self.flush()
                elif any(got.startswith(a) for a in allowed):
                    self.queue_line("250 2.0.0 Ok")
                    self.flush()
                else:
                    raise StepFailed("line %d: expected the client to give up, got %r"
                                     % (lineno, show(line)))
        elif word == "starttls":
            self.start_tls(rest.strip() or None)
        elif word == "read-data":
            data = bytearray()
            while True:
                try:
                    line = self.readline_data()
                except PeerClosed as e:
                    self.log("*", "partial message: %d bytes" % len(data))
                    raise StepFailed("during DATA: %s" % e)
                if line == b".\r\n" or (self.opts.lenient and line == b".\n"):
                    break
                data += line
            self.save_message(bytes(data))
        elif word == "read-bdat-all":
            data = bytearray()
            while True:
                try:
                    line = self.readline()
                except PeerClosed as e:
                    raise StepFailed("expected BDAT: %s" % e)
                m = re.fullmatch(rb"BDAT ([0-9]+)( LAST)?\r?\n", line, re.IGNORECASE)
                if not m:
                    raise StepFailed("line %d: expected BDAT, got %r" % (lineno, show(line)))
                chunk = self.read_exact(int(m.group(1)))
                self.log("*", "BDAT chunk of %d bytes" % len(chunk))
                data += chunk
                if m.group(2):
                    break
                self.queue_line("250 2.0.0 chunk ok")
                self.flush()
            self.save_message(bytes(data))
        elif word == "no-pipelining":
            self.nopipe = True
        elif word == "pipelining":
            self.nopipe = False
        elif word == "sleep":
            time.sleep(float(rest))
        elif word == "shutdown-write":
            self.log("*", "shutdown(SHUT_WR)")
            if self.tls:
                # a TLS close_notify followed by FIN
                try:
                    self.sock = self.sock.unwrap()
                except (ssl.SSLError, OSError):
                    pass
            self.sock.shutdown(socket.SHUT_WR)
        elif word == "close":
            self.log("*", "closing the connection")
            raise CloseNow()
        elif word == "reset":
            self.log("*", "resetting the connection")
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            raise CloseNow()
        elif word == "log":
            self.log("*", rest)
        else:
            raise ScenarioError("unknown step %r" % word)

    def readline_data(self):
        """Like readline, but reports bare CR/LF as DATA-specific failures."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                if not self.opts.lenient:
                    if not line.endswith(b"\r\n"):
                        self.log("C", show(line))
                        raise StepFailed("bare LF in DATA: %r" % line[-80:])
                    if b"\r" in line[:-2]:
                        self.log("C", show(line))
                        raise StepFailed("bare CR in DATA: %r" % line[:80])
                if self.opts.log_data:
                    self.log("C", show(line))
                return line
            self.fill()


class CloseNow(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description="scripted SMTP server for tests",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("scenario", nargs="+")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--log")
    ap.add_argument("--data-file")
    ap.add_argument("--certs-dir")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--accept-timeout", type=float, default=30.0)
    ap.add_argument("--lenient", action="store_true")
    ap.add_argument("--timestamps", action="store_true")
    ap.add_argument("--tls-max", choices=["1.2", "1.3"])
    ap.add_argument("--log-data", action="store_true",
                    help="also write DATA lines to the transcript")
    opts = ap.parse_args()

    try:
        scenarios = [parse_scenario(p) for p in opts.scenario]
    except (ScenarioError, OSError) as e:
        print("smtp-peer: %s" % e, file=sys.stderr)
        return 2

    logf = open(opts.log, "a", encoding="utf-8") if opts.log else sys.stderr

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        ls.bind(("127.0.0.1", opts.port))
    except OSError as e:
        print("smtp-peer: bind 127.0.0.1:%d: %s" % (opts.port, e), file=sys.stderr)
        return 2
    ls.listen(8)
    port = ls.getsockname()[1]
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    else:
        print(port, flush=True)

    failed = False
    data_counter = [0]
    for n in range(opts.count):
        steps = scenarios[min(n, len(scenarios) - 1)]
        ls.settimeout(opts.accept_timeout)
        try:
            conn, addr = ls.accept()
        except socket.timeout:
            logf.write("*: no connection %d within %.0fs\n" % (n + 1, opts.accept_timeout))
            logf.flush()
            return 3
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.monotonic()
        logf.write("*: connection %d from %s:%d (%s)\n"
                   % (n + 1, addr[0], addr[1], opts.scenario[min(n, len(scenarios) - 1)]))
        logf.flush()
        sess = Session(conn, opts, logf, t0, data_counter)
        try:
            sess.run(steps)
            sess.log("*", "scenario complete")
        except CloseNow:
            pass
        except StepFailed as e:
            failed = True
            sess.log("*", "FAIL: %s" % e)
        except PeerClosed as e:
            failed = True
            sess.log("*", "FAIL: %s" % e)
        except ScenarioError as e:
            sess.log("*", "scenario error: %s" % e)
            return 2
        except (OSError, ssl.SSLError) as e:
            failed = True
            sess.log("*", "FAIL: I/O error: %s" % e)
        finally:
            try:
                sess.flush()
            except OSError:
                pass
            try:
                sess.sock.close()
            except OSError:
                pass
    logf.write("*: %s\n" % ("FAILED" if failed else "OK"))
    logf.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
