#!/usr/bin/env python3
"""Randomized socket workload for the ss oracle test (runs inside a netns).

Performs a seeded random sequence of real socket operations: TCP and UDP,
IPv4 and IPv6, binds (some failing), SO_REUSEPORT groups, listens, connects
to its own listeners, accepts, closes (normal and RST), UDP connects, and
forks whose children inherit every open socket and close some of them.
Then it prints one JSON line {"ready": true, ...} and keeps every socket
open until stdin closes, so the test can compare the tracer's table with ss.
"""
import argparse
import errno
import json
import os
import random
import signal
import socket
import struct
import sys
import time

LINGER_RST = struct.pack("ii", 1, 0)


class Workload:
    def __init__(self, seed, ports):
        self.rng = random.Random(seed)
        self.ports = ports
        self.socks = []          # open sockets owned by this process
        self.listeners = []      # (sock, family, port)
        self.children = []
        self.stats = {}

    def note(self, what):
        self.stats[what] = self.stats.get(what, 0) + 1

    def addr(self, family):
        if family == socket.AF_INET:
            return self.rng.choice(["127.0.0.1", "0.0.0.0"])
        return self.rng.choice(["::1", "::"])

    def op_tcp_listen(self):
        family = self.rng.choice([socket.AF_INET, socket.AF_INET6])
        s = socket.socket(family, socket.SOCK_STREAM)
        reuseport = self.rng.random() < 0.3
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and self.rng.random() < 0.5:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        port = self.rng.choice(self.ports)
        try:
            s.bind((self.addr(family), port))
            s.listen(64)
        except OSError as e:
            self.note("bind_fail_" + errno.errorcode.get(e.errno, str(e.errno)))
            s.close()
            return
        self.socks.append(s)
        self.listeners.append((s, family, port))
        self.note("listen")

    def op_listen_autobind(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.listen(8)
        self.socks.append(s)
        self.listeners.append((s, socket.AF_INET, s.getsockname()[1]))
        self.note("listen_autobind")

    def op_connect(self):
        live = [l for l in self.listeners if l[0].fileno() >= 0]
        if not live:
            return
        ls, family, port = self.rng.choice(live)
        dest = "127.0.0.1" if family == socket.AF_INET else "::1"
        if family == socket.AF_INET6 and self.rng.random() < 0.3:
            try:
                if not ls.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
                    family, dest = socket.AF_INET, "127.0.0.1"  # v4 to a dual-stack listener
            except OSError:
                pass
        local = ls.getsockname()[0]
        if local not in ("0.0.0.0", "::", dest):
            dest = local
        c = socket.socket(family, socket.SOCK_STREAM)
        try:
            c.connect((dest, port))
        except OSError as e:
            self.note("connect_fail_" + errno.errorcode.get(e.errno, str(e.errno)))
            c.close()
            return
        self.socks.append(c)
        # the listener may be in a SO_REUSEPORT group: accept from whichever got it
        group = [l[0] for l in live if l[2] == port and l[0].fileno() >= 0]
        for g in group:
            g.setblocking(False)
        accepted = None
        deadline = time.time() + 1
        while accepted is None and time.time() < deadline:
            for g in group:
                try:
                    accepted, _ = g.accept()
                    break
                except BlockingIOError:
                    continue
            if accepted is None:
                time.sleep(0.001)
        for g in group:
            g.setblocking(True)
        if accepted is not None:
            self.socks.append(accepted)
            if self.rng.random() < 0.5:
                c.sendall(b"x" * self.rng.randint(1, 3000))
        self.note("connect")

    def op_udp(self):
        family = self.rng.choice([socket.AF_INET, socket.AF_INET6])
        u = socket.socket(family, socket.SOCK_DGRAM)
        port = self.rng.choice(self.ports + [0, 0])
        try:
            u.bind((self.addr(family), port))
        except OSError as e:
            self.note("udp_bind_fail_" + errno.errorcode.get(e.errno, str(e.errno)))
            u.close()
            return
        if self.rng.random() < 0.4:
            dest = "127.0.0.1" if family == socket.AF_INET else "::1"
            u.connect((dest, self.rng.choice(self.ports)))
            self.note("udp_connect")
        self.socks.append(u)
        self.note("udp")

    def op_close(self):
        if not self.socks:
            return
        s = self.socks.pop(self.rng.randrange(len(self.socks)))
        if s.type == socket.SOCK_STREAM and self.rng.random() < 0.3:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
            except OSError:
                pass
        s.close()
        self.listeners = [l for l in self.listeners if l[0] is not s]
        self.note("close")

    def op_fork(self):
        # The child inherits every socket, closes a random part of them,
        # and then holds the rest until the parent tells it to go.
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            rng = random.Random(self.rng.random())
            for s in list(self.socks):
                if rng.random() < 0.4:
                    s.close()
            os.write(2, b"")  # nothing; keep stdout clean
            os.read(r, 1)     # until the parent closes the pipe
            os._exit(0)
        os.close(r)
        self.children.append((pid, w))
        # sometimes the parent then closes its copy: holder = child only
        if self.socks and self.rng.random() < 0.5:
            self.op_close()
        self.note("fork")

    def run(self, ops):
        table = [(self.op_tcp_listen, 4), (self.op_connect, 6), (self.op_udp, 3),
                 (self.op_close, 4), (self.op_fork, 1), (self.op_listen_autobind, 1)]
        choices = [f for f, w in table for _ in range(w)]
        for _ in range(ops):
            self.rng.choice(choices)()

    def finish(self):
        for pid, w in self.children:
            os.close(w)
        for pid, _ in self.children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--ports", default="30000-30011")
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.ports.split("-"))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    w = Workload(a.seed, list(range(lo, hi + 1)))
    w.run(a.ops)
    print(json.dumps({"ready": True, "pid": os.getpid(),
                      "children": [p for p, _ in w.children],
                      "open": len(w.socks), "stats": w.stats}), flush=True)
    sys.stdin.read()  # hold everything until the test is done comparing
    w.finish()


if __name__ == "__main__":
    main()
