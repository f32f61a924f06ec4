#!/usr/bin/env python3
"""User-space TCP delay proxy on loopback, for round-trip benchmarks.

The kernel here has no netem qdisc, so round-trip time is simulated in user
space: every chunk read from one side is written to the other side DELAY_MS
later, in each direction, keeping order (a chunk is never held back by the
chunk before it longer than that one's own deadline).  One-way delay is
DELAY_MS, so the added round-trip time is 2 * DELAY_MS.  TCP_NODELAY is set
on both sides; EOF (half-close) is forwarded after the same delay.

Usage:
  delay-proxy.py LISTEN_PORT TARGET_PORT DELAY_MS [options]

  LISTEN_PORT     port on --listen-host to listen on (0 = pick a free one)
  TARGET_PORT     port on --target-host to forward to
  DELAY_MS        one-way delay in milliseconds (float)
  --target-host H default 127.0.0.1 (loopback only: anything else is refused)
  --listen-host H default 127.0.0.1 (loopback only, e.g. 127.0.0.5)
  --port-file F   write the listening port to F (atomic) once ready;
                  without it, the port is printed on stdout
  --max-seconds S exit by itself after S seconds (default 3600)
  --quiet         no per-connection messages on stderr

Stop it with SIGTERM/SIGINT (by its PID).
"""

import argparse
import asyncio
import ipaddress
import os
import signal
import socket
import sys
import time


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def pump(reader, writer, delay):
    """Read chunks from reader, write each one `delay` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except (OSError, RuntimeError):
                    pass
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    task = asyncio.ensure_future(sender())
    total = 0
    try:
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            due = loop.time() + delay
            if not data:
                queue.put_nowait((due, None))
                break
            total += len(data)
            queue.put_nowait((due, data))
        await task
    finally:
        if not task.done():
            task.cancel()
    return total


async def handle(client_reader, client_writer, args):
    try:
        await proxy(client_reader, client_writer, args)
    except asyncio.CancelledError:
        # shutting down: finish quietly (a cancelled handler task makes
        # asyncio's stream callback print a traceback)
        client_writer.close()


async def proxy(client_reader, client_writer, args):
    peer = client_writer.get_extra_info("peername")
    nodelay(client_writer)
    try:
        up_reader, up_writer = await asyncio.open_connection(args.target_host, args.target_port)
    except OSError as e:
        if not args.quiet:
            print("delay-proxy: connect to %s:%d failed: %s"
                  % (args.target_host, args.target_port, e), file=sys.stderr)
        client_writer.close()
        return
    nodelay(up_writer)
    delay = args.delay_ms / 1000.0
    t0 = time.monotonic()
    try:
        sent, received = await asyncio.gather(
            pump(client_reader, up_writer, delay),
            pump(up_reader, client_writer, delay))
    finally:
        for w in (up_writer, client_writer):
            try:
                w.close()
            except OSError:
                pass
    if not args.quiet:
        print("delay-proxy: %s:%d done in %.3fs, %d bytes up, %d down"
              % (peer[0], peer[1], time.monotonic() - t0, sent, received), file=sys.stderr)


async def main_async(args):
    server = await asyncio.start_server(lambda r, w: handle(r, w, args),
                                        args.listen_host, args.listen_port)
    port = server.sockets[0].getsockname()[1]
    for s in server.sockets:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except asyncio.TimeoutError:
        print("delay-proxy: --max-seconds reached, exiting", file=sys.stderr)
    server.close()
    await server.wait_closed()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("listen_port", type=int)
    ap.add_argument("target_port", type=int)
    ap.add_argument("delay_ms", type=float)
    ap.add_argument("--target-host", default="127.0.0.1")
    ap.add_argument("--listen-host", default="127.0.0.1")
    ap.add_argument("--port-file")
    ap.add_argument("--max-seconds", type=float, default=3600)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    try:
        for h in (args.target_host, args.listen_host):
            if not ipaddress.ip_address(socket.gethostbyname(h)).is_loopback:
                raise ValueError
    except (ValueError, OSError):
        print("delay-proxy: target and listen host must be loopback addresses", file=sys.stderr)
        return 2
    if args.delay_ms < 0:
        print("delay-proxy: DELAY_MS must be >= 0", file=sys.stderr)
        return 2
    try:
        asyncio.run(main_async(args))
    except OSError as e:
        print("delay-proxy: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
