#!/usr/bin/env python3
"""Hold many TCP connections to an HTTP server, the way a slowloris or a connection flood
does, and say what the server did with them. For the end-to-end test and the bench only.

usage: httpflood.py --target IP:PORT --stats FILE [--duration S]
                    [--idle N --idle-src IP,IP,...]
                    [--slow N --slow-src IP,IP,... --trickle S]
                    [--reconnect]

  idle   connects and sends nothing.
  slow   connects, sends "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: " and then one more
         byte of that header every --trickle seconds, never ending the head.
Connections of each kind are spread round-robin over their source addresses (bound before
connect, so each one is a distinct client address to the server). With --reconnect a
connection the server closed is opened again after 50 ms (an attacker keeps up the pressure).

Every 0.5 s FILE is replaced (atomically) by a JSON object:
  idle_open, slow_open           connections established and not closed by the server
  idle_closed, slow_closed       connections the server closed (EOF or reset)
  slow_closed_bytes_min          fewest head bytes a closed slow connection had sent (shows it
                                 was still trickling, not stuck)
  slow_life_min, slow_life_max   lifetimes (s) of the closed slow connections
  connect_errors, elapsed
Runs until --duration passes (default: forever) or SIGTERM.
"""
import argparse
import errno
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "


class Conn:
    __slots__ = ("kind", "src", "sock", "t0", "sent", "next_send", "up")

    def __init__(self, kind, src):
        self.kind, self.src = kind, src
        self.sock = None
        self.t0 = self.next_send = 0.0
        self.sent = 0
        self.up = False


class Flood:
    def __init__(self, args):
        host, port = args.target.rsplit(":", 1)
        self.addr = (host, int(port))
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.stats = dict(idle_open=0, slow_open=0, idle_closed=0, slow_closed=0,
                          slow_closed_bytes_min=None, slow_life_min=None, slow_life_max=None,
                          connect_errors=0, elapsed=0.0)
        self.pending = []  # (when, Conn) to (re)open
        self.conns = []
        self.stop = False

    def open(self, c):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((c.src, 0))
            rc = s.connect_ex(self.addr)
        except OSError:
            s.close()
            self.stats["connect_errors"] += 1
            self.pending.append((time.monotonic() + 0.5, c))
            return
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            self.stats["connect_errors"] += 1
            self.pending.append((time.monotonic() + 0.5, c))
            return
        c.sock, c.t0, c.sent, c.up = s, time.monotonic(), 0, False
        self.sel.register(s, selectors.EVENT_WRITE, c)

    def closed(self, c, by_server):
        was_up = c.up
        if was_up:
            self.stats[c.kind + "_open"] -= 1
        if was_up and by_server:
            self.stats[c.kind + "_closed"] += 1
            if c.kind == "slow":
                life = time.monotonic() - c.t0
                st = self.stats
                st["slow_life_min"] = life if st["slow_life_min"] is None else min(st["slow_life_min"], life)
                st["slow_life_max"] = life if st["slow_life_max"] is None else max(st["slow_life_max"], life)
                b = st["slow_closed_bytes_min"]
                st["slow_closed_bytes_min"] = c.sent if b is None else min(b, c.sent)
        else:
            self.stats["connect_errors"] += 1
        self.sel.unregister(c.sock)
        c.sock.close()
        c.sock, c.up = None, False
        # A failed connect is always retried (the flood wants its N connections); one the
        # server closed only with --reconnect.
        if not was_up:
            self.pending.append((time.monotonic() + 0.5, c))
        elif self.args.reconnect:
            self.pending.append((time.monotonic() + 0.05, c))

    def send_slow(self, c, now):
        data = HEAD if c.sent == 0 else b"a"
        try:
            n = c.sock.send(data)
        except BlockingIOError:
            n = 0
        except OSError:
            self.closed(c, True)
            return
        c.sent += n
        c.next_send = now + self.args.trickle

    def event(self, c, mask):
        if not c.up:
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.closed(c, False)
                return
            c.up = True
            self.stats[c.kind + "_open"] += 1
            self.sel.modify(c.sock, selectors.EVENT_READ, c)
            if c.kind == "slow":
                self.send_slow(c, time.monotonic())
            return
        try:
            data = c.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # EOF or reset: the server closed it; an answer (e.g. 408) is drained
            self.closed(c, True)

    def write_stats(self, t_start):
        self.stats["elapsed"] = round(time.monotonic() - t_start, 2)
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats, f)
        os.replace(tmp, self.args.stats)

    def run(self):
        a = self.args
        for kind, n, srcs in (("idle", a.idle, a.idle_src), ("slow", a.slow, a.slow_src)):
            for i in range(n):
                c = Conn(kind, srcs[i % len(srcs)])
                self.conns.append(c)
                self.pending.append((0.0, c))
        t_start = time.monotonic()
        next_stats = 0.0
        while not self.stop:
            now = time.monotonic()
            if a.duration and now - t_start > a.duration:
                break
            # Open what is due, a bounded batch per turn so the stats keep coming.
            due = [p for p in self.pending if p[0] <= now][:200]
            self.pending = [p for p in self.pending if p[0] > now] + \
                [p for p in self.pending if p[0] <= now][200:]
            for _, c in due:
                self.open(c)
            for c in self.conns:
                if c.kind == "slow" and c.up and c.next_send <= now:
                    self.send_slow(c, now)
            for key, mask in self.sel.select(timeout=0.05):
                self.event(key.data, mask)
            if now >= next_stats:
                self.write_stats(t_start)
                next_stats = now + 0.5
        self.write_stats(t_start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--idle", type=int, default=0)
    p.add_argument("--idle-src", default="0.0.0.0")
    p.add_argument("--slow", type=int, default=0)
    p.add_argument("--slow-src", default="0.0.0.0")
    p.add_argument("--trickle", type=float, default=1.0)
    p.add_argument("--reconnect", action="store_true")
    a = p.parse_args()
    a.idle_src = a.idle_src.split(",")
    a.slow_src = a.slow_src.split(",")
    if a.idle < 0 or a.slow < 0 or a.idle + a.slow > 20000 or a.trickle <= 0:
        sys.exit("httpflood: --idle/--slow must be 0..20000 in total, --trickle > 0")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.idle + a.slow + 64)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    f = Flood(a)
    signal.signal(signal.SIGTERM, lambda *_: setattr(f, "stop", True))
    f.run()


if __name__ == "__main__":
    main()
