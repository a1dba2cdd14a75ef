"""The daemon's journald sink: each event one entry of the journal's native
protocol, with structured fields.

A receiver binds a private AF_UNIX datagram socket and parses the protocol
(both field forms, and a memfd passed with SCM_RIGHTS): the entries of the
test's netns must be the file sink's events, one for one, with the
documented fields. Where a systemd-journald runs, a second check sends to
the real one and finds the event with `journalctl SOCKSCOPE_EVENT=bind
SOCKSCOPE_LPORT=<port>` (that check alone is left out where none runs).
"""
import array
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

import harness as h
from test_daemon import Daemon, read_lines, wait_for
from test_ports import Holder, in_ns

JOURNAL = "/run/systemd/journal/socket"


def parse_native(data):
    """{NAME: [bytes, ...]} and the names sent in the binary form."""
    fields, binary, i = {}, set(), 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            value = data[nl + 9:nl + 9 + n]
            if data[nl + 9 + n:nl + 10 + n] != b"\n":
                raise h.Fail("binary field %s not ended by a newline" % name)
            binary.add(name.decode())
            i = nl + 10 + n
        name = name.decode()
        if not name or name.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") or name[0] == "_":
            raise h.Fail("field name %r is not one journald accepts" % name)
        fields.setdefault(name, []).append(value)
    return fields, binary


class Receiver:
    """A journal socket of our own; entries parsed as they come."""

    def __init__(self, path):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.entries = []
        self.lock = threading.Lock()
        self.errors = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                data, anc, _, _ = self.s.recvmsg(1 << 20, socket.CMSG_SPACE(4))
            except OSError:
                return
            try:
                for level, typ, cdata in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fd = array.array("i", cdata[:4])[0]
                        data = os.pread(fd, os.fstat(fd).st_size, 0)
                        os.close(fd)
                entry = parse_native(data)
            except Exception as e:  # reported by the test, not lost in a thread
                self.errors.append("%s: %r" % (e, data[:200]))
                continue
            with self.lock:
                self.entries.append(entry)

    def of_netns(self, ns):
        with self.lock:
            return [e for e in self.entries
                    if e[0].get("SOCKSCOPE_NETNS") == [str(ns.inode).encode()]]

    def close(self):
        self.s.close()


def one(fields, name):
    v = fields.get(name)
    if v is None:
        return None
    if len(v) != 1:
        raise h.Fail("field %s sent %d times" % (name, len(v)))
    return v[0].decode()


def expect_fields(e, fields, binary):
    """The journal entry of JSON event e."""
    def same(name, want):
        got = one(fields, name)
        want = None if want is None else str(want)
        h.expect(got == want, "%s=%r, want %r for %s" % (name, got, want, h.fmt(e)))

    same("SOCKSCOPE_EVENT", e["event"])
    same("SYSLOG_IDENTIFIER", "sockscope")
    same("PRIORITY", 4 if e.get("errno") else 6)
    same("SOCKSCOPE_PROTO", e.get("proto"))
    same("SOCKSCOPE_LADDR", e.get("laddr"))
    same("SOCKSCOPE_LPORT", e.get("lport"))
    same("SOCKSCOPE_RADDR", e.get("raddr"))
    same("SOCKSCOPE_RPORT", e.get("rport"))
    same("SOCKSCOPE_PID", e.get("pid"))
    same("SOCKSCOPE_UID", e.get("uid"))
    same("SOCKSCOPE_COMM", e.get("comm"))
    same("SOCKSCOPE_ERROR", e.get("error"))
    same("SOCKSCOPE_COOKIE", e.get("cookie"))
    same("SOCKSCOPE_NETNS", e.get("netns"))
    msg = one(fields, "MESSAGE")
    h.expect(msg and e["event"] in msg.split("\n")[0], "MESSAGE %r of %s" % (msg, h.fmt(e)))
    h.expect(("MESSAGE" in binary) == ("\n" in msg), "the binary form is for values with a "
             "newline: %r" % msg)


def bind_twice(ns, port):
    """A listener and a second bind that fails (EADDRINUSE, explained)."""
    code = ("import socket,ctypes\n"
            "ctypes.CDLL(None).prctl(15, b'sstest-jrnl', 0, 0, 0)\n"
            "a=socket.socket(); a.bind(('127.0.0.1',%d)); a.listen()\n"
            "b=socket.socket()\n"
            "try: b.bind(('127.0.0.1',%d))\n"
            "except OSError as e: print(e.errno)\n"
            "b.close(); a.close()\n" % (port, port))
    r = in_ns(ns, sys.executable, "-c", code)
    h.expect(r.stdout.strip() == "98", "the second bind must fail: %r" % r.stdout)


@h.test(timeout=90)
def test_sink_journald_native_fields_match_the_file(ctx):
    sock = os.path.join(ctx.tmp, "journal.sock")
    rx = Receiver(sock)
    try:
        ns = ctx.netns()
        path = os.path.join(ctx.tmp, "events.json")
        d = Daemon(ctx, "--sink", "file:" + path, "--sink", "journald://" + sock)
        bind_twice(ns, 8091)
        mine = lambda: [json.loads(l) for l in read_lines(path)
                        if '"netns":%d,' % ns.inode in l]
        wait_for("file events", lambda: any(e.get("error") == "EADDRINUSE" for e in mine()))
        time.sleep(0.5)
        want = mine()
        wait_for("journal entries", lambda: len(rx.of_netns(ns)) >= len(want))
        time.sleep(0.3)
        got = rx.of_netns(ns)
        h.expect(not rx.errors, "unparsable datagrams: %s" % rx.errors[:3])
        h.expect(len(got) == len(want), "%d entries for %d file events" % (len(got), len(want)))
        for e, (fields, binary) in zip(want, got):
            expect_fields(e, fields, binary)
        failed = [(f, b) for f, b in got if one(f, "SOCKSCOPE_ERROR") == "EADDRINUSE"]
        h.expect(len(failed) == 1, "one failed bind: %d" % len(failed))
        msg = one(failed[0][0], "MESSAGE")
        h.expect("\n" in msg and "MESSAGE" in failed[0][1] and "8091" in msg,
                 "the explained failure's MESSAGE has its reason on more lines, sent in "
                 "the binary form: %r" % msg)
        h.expect(d.stop() == 0, "daemon exit")
    finally:
        rx.close()
    if journald_running():
        real_journal_round_trip(ctx)
    else:
        ctx.note("no systemd-journald runs here: the journalctl round trip is left out")


@h.test(timeout=60)
def test_sink_journald_absent_is_an_outage_told_once_then_delivered(ctx):
    sock = os.path.join(ctx.tmp, "later.sock")
    ns = ctx.netns()
    d = Daemon(ctx, "--sink", "journald:" + sock)
    in_ns(ns, sys.executable, "-c", "import socket; socket.socket().bind(('127.0.0.1', 8092))")
    wait_for("the outage reported", lambda: "No such file or directory" in d.stderr())
    time.sleep(1.5)
    rx = Receiver(sock)
    try:
        wait_for("delivering again", lambda: "delivering again" in d.stderr(), timeout=40)
        wait_for("the queued bind", lambda: any(
            one(f, "SOCKSCOPE_LPORT") == "8092" for f, _ in rx.of_netns(ns)))
        err = d.stderr()
        h.expect(err.count("No such file or directory") == 1 and
                 err.count("delivering again") == 1, "told once: %s" % err[-600:])
        h.expect(d.stop() == 0, "daemon exit")
    finally:
        rx.close()


def journald_running():
    if not os.path.exists(JOURNAL) or not shutil.which("journalctl"):
        return False
    r = subprocess.run(["pidof", "systemd-journald"], capture_output=True)
    return r.returncode == 0


def real_journal_round_trip(ctx):
    ns = ctx.netns()
    d = Daemon(ctx, "--sink", "journald")
    port = 8093
    in_ns(ns, sys.executable, "-c", "import socket; socket.socket().bind(('127.0.0.1', %d))"
          % port)

    def found():
        r = subprocess.run(["journalctl", "-o", "json", "--since", "-5min",
                            "SOCKSCOPE_EVENT=bind", "SOCKSCOPE_LPORT=%d" % port,
                            "SOCKSCOPE_NETNS=%d" % ns.inode],
                           capture_output=True, text=True, timeout=20)
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    got = wait_for("journalctl finds the bind", found, timeout=20)
    h.expect(got[0].get("SYSLOG_IDENTIFIER") == "sockscope" and
             got[0].get("SOCKSCOPE_PROTO") == "tcp", "journal entry: %s" % got[0])
    h.expect(d.stop() == 0, "daemon exit")
