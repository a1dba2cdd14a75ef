"""Rows and tuples (issue 10, items 5, 6 and 14): a close after a reset keeps
its tuple; dual-stack sockets carry v6only and print as ss prints them; one
text escaper for every text output, and each holder of a port listed once.

Discovered by run.py; every test runs in network namespaces of its own
against the real kernel. The daemon's query socket is machine-wide: one
daemon at a time.
"""
import json
import subprocess
import sys
import time

import harness as h
from test_daemon import Daemon, run, wait_for
from test_ports import in_ns, json_rows

# Opens sockets as told, under the comm given (hex), prints one JSON line of
# facts, then holds everything until its stdin closes.
HOLD = r'''
import ctypes, json, os, socket, sys
spec = json.loads(sys.argv[1])
if spec.get("comm"):
    ctypes.CDLL(None).prctl(15, ctypes.create_string_buffer(bytes.fromhex(spec["comm"])), 0, 0, 0)
socks = []
for fam, addr, port, proto, v6only in spec.get("socks", []):
    s = socket.socket(socket.AF_INET6 if fam == 6 else socket.AF_INET,
                      socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    if fam == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(8)
    socks.append(s)
if spec.get("accept"):
    import threading
    def serve(l):
        while True:
            socks.append(l.accept()[0])
    threading.Thread(target=serve, args=(socks[0],), daemon=True).start()
with open("/proc/self/comm", "rb") as f:
    comm = f.read().rstrip(b"\n")
print(json.dumps({"pid": os.getpid(), "comm_hex": comm.hex()}), flush=True)
sys.stdin.read()
'''


class Hold:
    def __init__(self, ctx, ns, socks, comm=b"", accept=False):
        spec = {"socks": socks, "comm": comm.hex(), "accept": accept}
        cmd = ["ip", "netns", "exec", ns.name, sys.executable, "-c", HOLD, json.dumps(spec)]
        ctx.note("$ hold " + json.dumps(spec))
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        ctx.procs.append(self.p)
        line = self.p.stdout.readline()
        if not line:
            raise h.Fail("holder did not start: %s" % self.p.stderr.read().decode()[-400:])
        facts = json.loads(line)
        self.pid, self.comm = facts["pid"], bytes.fromhex(facts["comm_hex"])

    def release(self):
        self.p.stdin.close()
        self.p.wait(10)


def escaped(b):
    """The contract's text escaping: printable ASCII but space and backslash
    kept, every other byte \\xNN."""
    return "".join(chr(c) if 0x20 < c < 0x7f and c != 0x5c else "\\x%02x" % c for c in b)


# ---- item 5: the last known tuple ------------------------------------------------

RESET = r'''
import socket, struct, time
l = socket.socket(); l.bind(("127.0.0.1", %d)); l.listen()
c = socket.socket(); c.connect(("127.0.0.1", %d)); a, _ = l.accept()
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
a.close()                       # RST: the client's port is released now
time.sleep(0.2)
try:
    c.recv(1)
except ConnectionResetError:
    pass
else:
    raise SystemExit("the client was not reset")
c.close(); l.close()
'''


@h.test()
def test_close_after_reset_keeps_its_tuple(ctx):
    ns = ctx.netns()
    port = 9300
    tr = ctx.tracer("--states")
    in_ns(ns, sys.executable, "-c", RESET % (port, port))
    evs = tr.finish(ns).ours
    done = h.one(evs, "the client's connect_done", event="connect_done", rport=port)
    cport, cookie = done["lport"], done["cookie"]
    close = h.one(evs, "the client's close", event="close", cookie=cookie)
    h.check(close, "the reset client's close: its last known tuple", laddr="127.0.0.1",
            lport=cport, raddr="127.0.0.1", rport=port)
    # the reset itself (ESTABLISHED -> CLOSE) keeps it too
    rst = h.one(evs, "the client's reset", event="state", cookie=cookie, new_state="CLOSE")
    h.check(rst, "the reset state record", laddr="127.0.0.1", lport=cport, rport=port)
    # the server's side, closed with SO_LINGER 0, has its own
    srv = [e for e in evs if e["event"] == "close" and e.get("lport") == port and
           e.get("rport") == cport]
    h.expect(len(srv) == 1, "the server's accepted socket closes once with its tuple: %s" % (
        [h.fmt(e) for e in evs if e["event"] == "close"],))


# ---- item 6: dual-stack -------------------------------------------------------------

def ss_local(ns, port, proto):
    """The local column ss -tuln prints for port."""
    for line in in_ns(ns, "ss", "-tulnH").stdout.splitlines():
        f = line.split()
        if f[0] == proto and f[4].endswith(":%d" % port):
            return f[4]
    raise h.Fail("ss has no %s socket on port %d" % (proto, port))


def our_local(text, port, proto):
    for line in text.splitlines()[1:]:
        f = line.split()
        if f[0].startswith(proto) and f[2].endswith(":%d" % port):
            return f[2]
    raise h.Fail("ports has no %s row on port %d: %s" % (proto, port, text))


DUAL = [[6, "::", 9401, "tcp", False], [6, "::", 9402, "tcp", True],
        [4, "0.0.0.0", 9403, "tcp", False], [6, "::", 9404, "udp", False],
        [6, "::", 9405, "udp", True]]
WANT_LOCAL = {9401: "*:9401", 9402: "[::]:9402", 9403: "0.0.0.0:9403", 9404: "*:9404",
              9405: "[::]:9405"}


def check_ports_like_ss(ctx, ns, how):
    text = run(ctx, "ports", "--netns", ns.inode).stdout
    rows = {r["lport"]: r for r in json_rows(run(ctx, "ports", "--json", "--netns",
                                                 ns.inode).stdout)}
    for fam, addr, port, proto, v6only in DUAL:
        want = ss_local(ns, port, proto)
        h.expect(want == WANT_LOCAL[port], "ss itself prints %r for port %d" % (want, port))
        got = our_local(text, port, proto)
        h.expect(got == want, "%s: ports prints %r for port %d, ss %r:\n%s" % (
            how, got, port, want, text))
        r = rows[port]
        if fam == 6:
            h.expect(r.get("v6only") is v6only, "%s: port %d v6only %r, want %r" % (
                how, port, r.get("v6only"), v6only))
        else:
            h.expect("v6only" not in r, "%s: an inet row has no v6only: %s" % (how, r))


@h.test(timeout=90)
def test_dual_stack_sockets_as_ss_prints_them(ctx):
    ns = ctx.netns()
    # no daemon: the kernel's snapshot answers
    hd = Hold(ctx, ns, DUAL)
    check_ports_like_ss(ctx, ns, "without a daemon")
    hd.release()
    # a daemon that saw them made: its engine answers from the events
    d = Daemon(ctx)
    tr = ctx.tracer()
    hd = Hold(ctx, ns, DUAL)
    wait_for("the daemon's engine to see the five sockets", lambda: len(json_rows(
        run(ctx, "ports", "--json", "--netns", ns.inode).stdout)) == len(DUAL))
    check_ports_like_ss(ctx, ns, "from the daemon's engine")
    who = run(ctx, "who", 9401, "--netns", ns.inode).stdout
    h.expect(" *:9401 " in who, "who shows the dual-stack listener as *:9401: %r" % who)
    # asked for the IPv4 address: the dual-stack socket holds it, the v6-only one not
    who = run(ctx, "who", "127.0.0.1:9401", "--netns", ns.inode).stdout
    h.expect(" *:9401 " in who, "who 127.0.0.1:9401 names the dual-stack listener: %r" % who)
    r = run(ctx, "who", "127.0.0.1:9402", "--netns", ns.inode, expect_rc=6)
    h.expect("[::]:9402" not in r.stdout, "who 127.0.0.1:9402: the v6-only listener does not "
             "hold the IPv4 port: %r" % r.stdout)
    who = run(ctx, "who", "[::1]:9402", "--netns", ns.inode).stdout
    h.expect(" [::]:9402 " in who, "who [::1]:9402 names the v6-only listener: %r" % who)

    def v4bind(port):
        r = in_ns(ns, sys.executable, "-c",
                  "import socket\ntry:\n socket.socket().bind(('0.0.0.0',%d))\n"
                  "except OSError as e: print(e.errno)\nelse: print(0)" % port)
        return int(r.stdout)
    h.expect(v4bind(9401) == 98, "IPv4 bind next to a dual-stack [::]:9401 must fail")
    h.expect(v4bind(9402) == 0, "IPv4 bind next to a v6-only [::]:9402 must succeed")
    time.sleep(0.3)
    hd.release()
    evs = tr.finish(ns).ours
    for fam, addr, port, proto, v6only in DUAL:
        ls = [e for e in evs if e["event"] in ("bind", "listen") and e.get("lport") == port and
              e.get("pid") == hd.pid]
        h.expect(ls, "bind/listen of port %d" % port)
        for e in ls:
            want = v6only if fam == 6 else None
            h.expect(e.get("v6only") == want, "port %d: %s, want v6only %r" % (
                port, h.fmt(e), want))
    fail = h.one(evs, "the failed IPv4 bind", event="bind", lport=9401, error="EADDRINUSE")
    h.expect("v6only" not in fail, "an inet socket's record has no v6only: %s" % h.fmt(fail))
    h.expect(("held by pid %d (python3), listening on [::]:9401: a dual-stack IPv6 socket "
              "(IPV6_V6ONLY off), which also holds the IPv4 port") % hd.pid in fail["reason"],
             "reason: %r" % fail["reason"])
    h.expect([x["pid"] for x in fail["holders"]] == [hd.pid], "holders %s" % fail["holders"])
    # history keeps it
    rows = wait_for("the closed listeners in the database", lambda: [
        r for r in json_rows(run(ctx, "history", "--json", "--port", 9401).stdout)
        if r.get("kind") == "socket" and r.get("netns") == ns.inode])
    h.expect(rows[0].get("v6only") is False, "history row of [::]:9401: %s" % rows[0])
    rows = [r for r in json_rows(run(ctx, "history", "--json", "--port", 9402).stdout)
            if r.get("kind") == "socket" and r.get("netns") == ns.inode]
    h.expect(rows and rows[0].get("v6only") is True, "history row of [::]:9402: %s" % rows)
    text = run(ctx, "history", "--port", 9401).stdout
    h.expect(" *:9401 " in text, "history text prints the dual-stack listener as *:9401: %r"
             % text)
    d.stop()


# ---- item 14: one text escaper, each holder once -------------------------------------------

HOSTILE = b"\xe2\x82\xac e\xffx\ny\\z"  # euro sign, space, invalid byte, newline, backslash


def hostile_lines(text, esc):
    lines = [l for l in text.splitlines() if esc in l]
    h.expect(lines, "no line with the escaped name %r in:\n%s" % (esc, text))
    for l in lines:
        h.expect("\u20ac" not in l and "\ufffd" not in l and "\\u" not in l,
                 "raw, replaced or JSON-escaped name in %r" % l)
    return lines


@h.test(timeout=90)
def test_hostile_names_in_every_text_output(ctx):
    ns = ctx.netns()
    port = 9500
    esc = escaped(HOSTILE)
    d = Daemon(ctx)
    tr = ctx.tracer(json_mode=False)
    hd = Hold(ctx, ns, [[4, "127.0.0.1", port, "tcp", False]], comm=HOSTILE, accept=True)
    h.expect(hd.comm == HOSTILE, "prctl did not set the comm: %r" % hd.comm)
    # the server also holds connections on its port: still one holder
    in_ns(ns, sys.executable, "-c", r'''
import socket
cs = [socket.create_connection(("127.0.0.1", %d)) for _ in range(3)]
for c in cs: c.send(b"x")
import time; time.sleep(0.3)  # accepted by the holder
try: socket.socket().bind(("127.0.0.1", %d))
except OSError as e: assert e.errno == 98
else: raise SystemExit("bind should fail")
''' % (port, port))
    # ports and who: one row per socket, the name one token in its column
    wait_for("the daemon's engine to see the accepted connections", lambda: len(json_rows(
        run(ctx, "who", port, "--json", "--netns", ns.inode).stdout)) >= 4)
    for what in (("ports", "--netns", ns.inode), ("who", port, "--netns", ns.inode)):
        text = run(ctx, *what).stdout.split("held before:\n")[0]
        for l in hostile_lines(text, esc):
            f = l.split()
            # PROTO STATE LOCAL REMOTE NETNS UNIT/CONTAINER PROCESSES
            h.expect(len(f) == 7 and f[6].startswith("%s(pid=%d" % (esc, hd.pid)),
                     "%s: row %r, want 7 columns ending %s(pid=%d...)" % (
                         what[0], l, esc, hd.pid))
    hd.release()
    time.sleep(0.3)
    tr.settle()
    h.expect(tr.stop() == 0, "tracer exit: %s" % tr.stderr_text())
    # an explained failure is followed by its indented reason line
    data = tr.output()
    reasons = [l.decode() for l in data.split(b"\n") if l.startswith(b"    reason: ")]
    body = h.text_lines(b"".join(l + b"\n" for l in data.split(b"\n")[:-1]
                                 if not l.startswith(b"    reason: ")), "trace text")
    mine = [l.decode() for l in h.text_pid_lines(body, hd.pid)]
    h.expect(mine and all(l.split()[3] == esc for l in mine),
             "trace text: the COMM column is %r on every line of pid %d: %s" % (esc, hd.pid, mine))
    h.expect(any("held by pid %d (%s)" % (hd.pid, esc) in r for r in reasons),
             "the failed bind's reason names the holder, escaped: %s" % reasons)
    # history and who's "held before": the same escaping
    rows = wait_for("the closed listener in the database", lambda: [
        l for l in run(ctx, "history", "--port", port).stdout.splitlines()
        if " closed " in l and "LISTEN" in l])
    h.expect(rows[0].split()[-1] == "%s(pid=%d)" % (esc, hd.pid) and
             len(rows[0].split()) == 11, "history row %r" % rows[0])
    fails = [l for l in run(ctx, "history", "--port", port, "--failed").stdout.splitlines()
             if " failed " in l]
    h.expect(fails, "the failed bind in history")
    held = [w for w in fails[0].split("  by")[1].split() if "(pid=%d)" % hd.pid in w]
    h.expect(held == ["%s(pid=%d)" % (esc, hd.pid)],
             "the failure lists its holder once (listener and 3 connections): %r" % fails[0])
    js = [r for r in json_rows(run(ctx, "history", "--json", "--port", port, "--failed").stdout)]
    h.expect(js and [x.get("pid") for x in js[0]["holders"] if "pid" in x].count(hd.pid) == 1,
             "JSON holders list pid %d once: %s" % (hd.pid, js))
    who = run(ctx, "who", port, expect_rc=6)
    before = who.stdout.split("held before:\n")
    h.expect(len(before) == 2, "who has a 'held before' section: %r" % who.stdout)
    hostile_lines(before[1], esc)
    d.stop()
