#!/usr/bin/env python3
"""crash-trials.py - SIGKILL trials for postern's queue (tests/integration/queue-crash.sh).

  crash-trials.py run --postern P --config C --queue Q --out FILE --workdir DIR
                      [--trials N] [--seed S] [--duration-ms D] [--accounts A,B]
  crash-trials.py check --results FILE --maildir DIR
  crash-trials.py retriers --config C --queue Q --ready FILE --stop FILE

run: N trials, one after the other.  Each sends one message with a unique
token (`postern -C C -a ACCOUNT rcpt`), feeding it through a pipe at once
or in two halves with a pause, and kills postern with SIGKILL after a
random delay, or as soon as inotify shows it has created its spool file,
moved its text into msg/ or committed (the kill lands a moment later), or
not at all; a quarter of the trials also run
`postern queue run --all -C C` at the same time and kill that at a random
moment too.  While it runs, inotify on the queue's tmp/, msg/ and env/
tells which message ID the trial's postern made and how far it got before
it died: its text created (tmp/ID.msg), moved into msg/ (commit step 2),
committed (env/ID appears: the commit point of queue.h), and recorded
after the attempt (env/ID removed, or replaced again).  One line per trial
goes to FILE (tab-separated, a header line first); DIR keeps the stderr
of the trials whose exit was unexpected.

check: reads the results and the Maildir, and prints "key value" lines:
counts, and for each rule that a trial broke, "bad-RULE N token..." (N is 0
when none did).  The rules are in check() below.

retriers: looks every few milliseconds at the processes `postern queue
run --until-empty -C C` (the background retriers of the queue Q): creates
the --ready FILE after the first look, stops when the --stop FILE exists,
then prints "key value" lines: how many were alive at once, how many of
them were sending at once (a TCP connection open), and in how many
samples a sending one was not the holder of Q/retrier.lock (from
/proc/locks).

Only the standard library (ctypes for inotify): the test needs no package
beyond python3."""

import argparse
import ctypes
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import time

IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_Q_OVERFLOW = 0x4000

FIELDS = ["n", "token", "account", "lines", "feed", "pause_ms", "kill_ms", "trigger", "runner",
          "runner_kill_ms", "runner_rc", "rc", "writer_done", "id", "phase",
          "stderr_id", "elapsed_ms", "env_events"]


class Inotify:
    """The events of a few directories, in the order they happened."""

    def __init__(self, dirs):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.names = {}
        for name, path in dirs.items():
            wd = self.libc.inotify_add_watch(self.fd, path.encode(),
                                             IN_CREATE | IN_MOVED_TO | IN_DELETE)
            if wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch " + path)
            self.names[wd] = name
        self.overflow = False

    def drain(self):
        """Every event queued so far: (dir, event, name)."""
        out = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off < len(data):
                wd, mask, _cookie, ln = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + ln].split(b"\0", 1)[0].decode()
                off += 16 + ln
                if mask & IN_Q_OVERFLOW:
                    self.overflow = True
                    continue
                ev = "create" if mask & IN_CREATE else "moved_to" if mask & IN_MOVED_TO else "delete"
                out.append((self.names.get(wd, "?"), ev, name))


def message(token, account, nlines):
    """The text of a trial's message: its token on every body line, so that
    a delivered copy shows whether it is whole."""
    head = ("To: crash-%s@example.org\nSubject: crash trial %s (%s)\n\nbegin %s %d\n"
            % (token, token, account, token, nlines))
    body = "".join("%s line %05d the quick brown fox jumps over the lazy dog\n" % (token, i)
                   for i in range(nlines))
    return (head + body + "end %s\n" % token).encode()


def created_id(events):
    """The message ID of the trial's postern: the tmp/ID.msg it created
    (no runner creates one)."""
    ids = [name[:-4] for d, ev, name in events
           if d == "tmp" and ev == "create" and name.endswith(".msg")]
    return ids[-1] if ids else ""


def triggered(trigger, event, events):
    """Whether an inotify event is the step a trial waits for to kill."""
    d, ev, name = event
    if trigger == "reading":            # its spool file exists
        return d == "tmp" and ev == "create" and name.endswith(".msg")
    if name != created_id(events):
        return False
    if trigger == "text-moved":         # commit step 2 done
        return d == "msg" and ev == "moved_to"
    return d == "env" and ev == "moved_to"    # committed


def phase_of(events, msg_id, writer_done):
    """How far the killed postern got, from the events of its message."""
    if not msg_id:
        return "start"
    env = [ev for d, ev, name in events if d == "env" and name == msg_id]
    moved = any(d == "msg" and ev == "moved_to" and name == msg_id for d, ev, name in events)
    if env:
        # the first env/ID is the commit; anything after it is the
        # attempt's record (removed when sent, replaced when retried)
        return "recorded" if len(env) > 1 else "committed"
    if moved:
        return "commit-step2"
    return "spooled" if writer_done else "reading"


def one_trial(a, n, ino, rnd, log):
    token = "tok%03dx%06x" % (n, rnd.getrandbits(24))
    account = rnd.choice(a.accounts)
    nlines = rnd.choice([30, 30, 30, 40, 3000])           # ~2.6 KB, or ~200 KB
    text = message(token, account, nlines)
    feed = "slow" if rnd.random() < 0.4 else "fast"
    pause = rnd.randint(10, 100) if feed == "slow" else 0
    # when to kill it: never; at a random moment of the time a send
    # takes; or as soon as inotify shows a step done, for the windows too
    # narrow to be hit at random (the kill lands a little later)
    kill, trigger = -1, ""
    r = rnd.random()
    if r < 0.3:
        trigger = rnd.choice(["reading", "text-moved", "committed"])
    elif r < 0.9:
        kill = rnd.randint(0, pause + int(a.duration_ms * 1.3))
    runner = "none"
    runner_start = runner_kill = -1
    if rnd.random() < 0.25:
        runner_start = rnd.randint(0, 20)
        if rnd.random() < 0.8:
            runner = "killed"
            runner_kill = runner_start + rnd.randint(0, int(a.duration_ms * 1.5))
        else:
            runner = "finished"

    err_path = os.path.join(a.workdir, "trial-%03d.err" % n)
    with open(err_path, "wb") as err:
        p = subprocess.Popen([a.postern, "-C", a.config, "-a", account, "crash-%s@example.org" % token],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
    t0 = time.monotonic()
    pfd = os.pidfd_open(p.pid)          # readable once postern has ended
    marked = False
    os.set_blocking(p.stdin.fileno(), False)
    half = len(text) // 2
    pending, later = text[:half], text[half:]   # now; after the pause
    writer_done = sender_killed = runner_killed = False
    rp = None
    events = []
    while True:
        now = (time.monotonic() - t0) * 1000
        if not marked and p.poll() is not None:
            # at once: the events before this one are its postern's
            open(os.path.join(a.workdir, "marks", str(n)), "w").close()
            marked = True
        events += ino.drain()
        if trigger and not sender_killed and any(triggered(trigger, ev, events) for ev in events):
            kill = int(now)
        if not sender_killed and 0 <= kill <= now:
            p.send_signal(signal.SIGKILL)       # a no-op once it has been reaped
            sender_killed = True
        if rp is None and runner != "none" and runner_start <= now:
            rp = subprocess.Popen([a.postern, "queue", "run", "--all", "-C", a.config],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if rp is not None and not runner_killed and 0 <= runner_kill <= now:
            rp.send_signal(signal.SIGKILL)
            runner_killed = True
        if later is not None and not pending and pause <= now:
            pending, later = later, None
        if pending and not p.stdin.closed:
            try:
                pending = pending[os.write(p.stdin.fileno(), pending):]
            except BlockingIOError:
                pass
            except BrokenPipeError:
                pending, later = b"", None
                p.stdin.close()
        if not pending and later is None and not p.stdin.closed:
            p.stdin.close()
            # the whole message was in the pipe, and EOF, before any kill
            writer_done = not sender_killed
        if (marked and p.stdin.closed and
                (runner == "none" or (rp is not None and rp.poll() is not None))):
            break
        if now > 60000:             # a hang: end it (the checks will tell)
            p.kill()
            if rp is not None:
                rp.kill()
        # sleep until the next timed step, at most 2 ms (to see exits)
        steps = [t for t in (-1 if sender_killed else kill,
                             runner_start if rp is None and runner != "none" else -1,
                             -1 if runner_killed else runner_kill, pause if later is not None else -1) if t > now]
        wait = min([0.002] + [(t - now) / 1000 for t in steps])
        select.select([ino.fd] + ([] if marked else [pfd]),
                      [p.stdin.fileno()] if pending and not p.stdin.closed else [], [], wait)
    p.wait()
    os.close(pfd)
    if rp is not None:
        rp.wait()
    elapsed = int((time.monotonic() - t0) * 1000)
    # The events before the mark are those of the trial's postern: until
    # it died it held its message's lock, so no runner touched env/ID (a
    # runner may have in the moment between its death and the mark: a
    # refused connection recorded, not a message sent).  Its message is
    # the tmp/ID.msg it created: no runner creates one.
    events += ino.drain()
    k = events.index(("mark", "create", str(n)))
    events = events[:k]
    msg_id = created_id(events)
    rc = p.returncode
    phase = phase_of(events, msg_id, writer_done) if rc < 0 else "exited"
    # what became of env/ID while the trial's postern lived: m (moved
    # in: committed, or updated), d (deleted: recorded as sent)
    env_events = "".join("m" if ev == "moved_to" else "d" for d, ev, name in events
                         if d == "env" and name == msg_id and msg_id)
    with open(err_path, "rb") as f:
        err_text = f.read().decode(errors="replace")
    m = re.search(r"queued as ([0-9a-f]{16})", err_text)
    row = [n, token, account, nlines, feed, pause, kill, trigger or "-", runner, runner_kill,
           rp.returncode if rp is not None else "", "killed" if rc == -signal.SIGKILL else rc,
           int(writer_done), msg_id, phase, m.group(1) if m else "", elapsed,
           env_events or "-"]
    log.write("\t".join(str(x) for x in row) + "\n")
    log.flush()
    if rc not in (0, 75, -signal.SIGKILL) or (rp is not None and rp.returncode not in
                                               (0, 75, -signal.SIGKILL)):
        print("# trial %d: sender exit %s, runner %s; stderr: %s" %
              (n, rc, rp.returncode if rp else "-", err_text.strip()[:400]), file=sys.stderr)
    else:
        os.unlink(err_path)


def run(a):
    rnd = random.Random(a.seed)
    q = a.queue
    os.makedirs(os.path.join(a.workdir, "marks"), exist_ok=True)
    ino = Inotify({"tmp": q + "/tmp", "msg": q + "/msg", "env": q + "/env",
                   "mark": os.path.join(a.workdir, "marks")})
    with open(a.out, "w") as log:
        log.write("\t".join(FIELDS) + "\n")
        for n in range(a.trials):
            one_trial(a, n, ino, rnd, log)
    if ino.overflow:
        print("inotify queue overflowed: the phases are unreliable", file=sys.stderr)
        return 1
    return 0


def check(a):
    rows = []
    with open(a.results) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(hdr, line.rstrip("\n").split("\t"))))
    by_token = {r["token"]: r for r in rows}
    seen = {}        # token -> copies delivered
    partial = []     # delivered copies that are not the whole message
    stray = []       # delivered messages that no trial sent
    for sub in ("new", "cur"):
        d = os.path.join(a.maildir, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                text = f.read().decode(errors="replace")
            m = re.search(r"^begin (tok\w+) (\d+)$", text, re.M)
            if not m:
                stray.append(name)
                continue
            tok, nlines = m.group(1), int(m.group(2))
            if tok not in by_token:
                stray.append(tok)
                continue
            seen[tok] = seen.get(tok, 0) + 1
            body = len(re.findall(r"^%s line \d{5} the quick brown fox jumps over the lazy dog$"
                                  % tok, text, re.M))
            if body != nlines or not re.search(r"^end %s$" % tok, text, re.M):
                partial.append(tok)

    def tokens(pred):
        return [r["token"] for r in rows if pred(r)]

    promised = lambda r: r["rc"] in ("0", "75")
    killed = lambda r: r["rc"] == "killed"
    committed = lambda r: "m" in r["env_events"]
    copies = lambda r: seen.get(r["token"], 0)
    out = []

    def count(key, lst):
        out.append("%s %d" % (key, len(lst)))

    def bad(rule, lst):
        out.append(("bad-%s %d %s" % (rule, len(lst), " ".join(lst[:20]))).rstrip())

    count("trials", rows)
    count("exit-0", tokens(lambda r: r["rc"] == "0"))
    count("exit-75", tokens(lambda r: r["rc"] == "75"))
    count("killed", tokens(killed))
    for ph in ("start", "reading", "spooled", "commit-step2", "committed", "recorded"):
        count("killed-" + ph, tokens(lambda r, ph=ph: killed(r) and r["phase"] == ph))
    count("killed-before-stdin-complete", tokens(lambda r: killed(r) and r["writer_done"] == "0"))
    count("killed-after-stdin-complete", tokens(lambda r: killed(r) and r["writer_done"] == "1"))
    count("runners", tokens(lambda r: r["runner"] != "none"))
    count("runners-killed", tokens(lambda r: r["runner_rc"] == "-9"))
    count("duplicates", tokens(lambda r: copies(r) > 1))
    count("copies-beyond-one", [t for t in seen for _ in range(seen[t] - 1)])
    out.append("duplicated %s" % " ".join("%s:%s:runner=%s:copies=%d" % (
        r["token"], r["phase"], r["runner_rc"] or "none", copies(r))
        for r in rows if copies(r) > 1))
    count("missing", tokens(lambda r: copies(r) == 0))
    count("missing-before-stdin-complete", tokens(lambda r: killed(r) and copies(r) == 0 and
                                                  r["writer_done"] == "0"))
    count("missing-after-stdin-complete", tokens(lambda r: killed(r) and copies(r) == 0 and
                                                 r["writer_done"] == "1"))
    for ph in ("start", "reading", "spooled", "commit-step2"):
        count("missing-" + ph, tokens(lambda r, ph=ph: killed(r) and copies(r) == 0 and
                                      r["phase"] == ph))
    # The rules.  A sender that saw 0 or 75 was promised its message:
    # exactly once.  A message committed (env/ID appeared) before its
    # sender died is queued: at least once (twice when a kill fell after
    # the server's 250 and before the queue recorded it: no client can
    # close that window).  A message never committed never reached the
    # server (the commit comes before its first byte goes out): never
    # delivered.  Postern cannot commit what it has not read to the end.
    bad("promised-not-once", tokens(lambda r: promised(r) and copies(r) != 1))
    bad("recorded-sent-not-once", tokens(lambda r: "d" in r["env_events"] and copies(r) != 1))
    bad("promised-not-committed", tokens(lambda r: promised(r) and not committed(r)))
    bad("committed-missing", tokens(lambda r: committed(r) and copies(r) == 0))
    bad("uncommitted-delivered", tokens(lambda r: not committed(r) and copies(r) > 0))
    bad("committed-before-stdin-complete",
        tokens(lambda r: killed(r) and r["writer_done"] == "0" and committed(r)))
    bad("queued-as-other-id", tokens(lambda r: r["stderr_id"] and r["stderr_id"] != r["id"]))
    bad("unexpected-exit", tokens(lambda r: r["rc"] not in ("0", "75", "killed")))
    bad("unexpected-runner-exit", tokens(lambda r: r["runner_rc"] not in ("", "0", "75", "-9")))
    bad("partial", partial)
    bad("stray", stray)
    print("\n".join(out))
    return 0


def retriers(a):
    want = b"\0".join(w.encode() for w in
                      ["postern", "queue", "run", "--until-empty", "-C", a.config]) + b"\0"
    lock = os.path.join(a.queue, "retrier.lock")

    def holders():
        """The PIDs holding the flock of Q/retrier.lock."""
        out = set()
        try:
            ino = str(os.stat(lock).st_ino)
            with open("/proc/locks") as f:
                for line in f:
                    # "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF";
                    # a waiter's line has "->" and holds nothing
                    w = line.split()
                    if "FLOCK" in w and "->" not in w:
                        k = w.index("FLOCK")
                        if w[k + 4].split(":")[-1] == ino:
                            out.add(int(w[k + 3]))
        except (OSError, ValueError, IndexError):
            pass
        return out

    def tcp_inodes():
        """The inodes of the TCP sockets of this machine."""
        out = set()
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name) as f:
                    next(f)
                    out.update(line.split()[9] for line in f)
            except (OSError, StopIteration, IndexError):
                pass
        return out

    def working(pid):
        """Whether the process is sending: has a TCP connection open.  A
        queued message open is not enough: a retrier that let go of the
        lock looks once more whether a message is due and free, which
        opens it (do_until_empty)."""
        try:
            fds = [os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in os.listdir("/proc/%d/fd" % pid)]
        except OSError:
            return False      # gone meanwhile
        socks = [x[8:-1] for x in fds if x.startswith("socket:[")]
        return bool(socks) and bool(set(socks) & tcp_inodes())

    samples = max_alive = max_working = unlocked = 0
    pids = set()
    while not os.path.exists(a.stop):
        alive = []
        for d in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if d.isdigit() and f.read() == want:
                        alive.append(int(d))
            except OSError:
                continue
        held = holders()
        busy = [p for p in alive if working(p)]
        for p in busy:
            # Read apart, the two may disagree for a moment (the lock
            # taken just after it was read); a retrier that works without
            # the lock still does so when looked at again.
            if p not in held and p not in holders() and working(p):
                unlocked += 1
                print("# %d works without the retrier lock" % p, file=sys.stderr)
        samples += 1
        if samples == 1:
            open(a.ready, "w").close()
        pids.update(alive)
        max_alive = max(max_alive, len(alive))
        max_working = max(max_working, len(busy))
        time.sleep(0.003)
    print("samples %d\nretrier-processes %d\nmax-alive %d\nmax-working %d\nworking-unlocked %d"
          % (samples, len(pids), max_alive, max_working, unlocked))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--postern", required=True)
    r.add_argument("--config", required=True)
    r.add_argument("--queue", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--workdir", required=True)
    r.add_argument("--trials", type=int, default=240)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--duration-ms", type=int, default=50)
    r.add_argument("--accounts", default="work")
    c = sub.add_parser("check")
    c.add_argument("--results", required=True)
    c.add_argument("--maildir", required=True)
    w = sub.add_parser("retriers")
    w.add_argument("--config", required=True)
    w.add_argument("--queue", required=True)
    w.add_argument("--ready", required=True)
    w.add_argument("--stop", required=True)
    a = ap.parse_args()
    if a.cmd == "retriers":
        return retriers(a)
    if a.cmd == "run":
        a.accounts = a.accounts.split(",")
        return run(a)
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
