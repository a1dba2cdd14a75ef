"""The event loop never waits on a client (issue 8).

Imported by run.py (its harness: test registry, Ctx, assertions). The attack
of the issue, for real: an unprivileged local user holds ~200 silent
connections to the daemon's metrics port and root holds ~200 silent
connections to its control socket, during a burst of ~30,000 TCP
connections on loopback. The daemon must lose nothing, and GET /metrics and
`sockscope ports` must be answered within a second meanwhile.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import harness as h
from test_daemon import SOCK, Daemon, parse_prometheus, run

from harness import add_user, del_user

USER = "ssstall"
METRICS_PORT = 19480
BURST = 30000
SILENT = 200

# Holds n silent connections to addr and opens again those the server
# closes (every 0.2 s: holding, not flooding); prints "ready" once all are up.
HOLD = r'''
import socket, sys, time, select
fam, addr, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def target():
    if fam == "unix":
        return socket.AF_UNIX, addr
    host, port = addr.rsplit(":", 1)
    return socket.AF_INET, (host, int(port))
af, to = target()
conns, said = [], False
while True:
    conns = [c for c in conns if c.fileno() >= 0]
    alive = []
    r = select.select(conns, [], [], 0)[0] if conns else []
    for c in conns:
        if c in r:
            try:
                if not c.recv(1, socket.MSG_DONTWAIT):
                    c.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                c.close()
                continue
        alive.append(c)
    conns = alive
    while len(conns) < n:
        c = socket.socket(af, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(to)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            c.close()
            break
        conns.append(c)
    if not said and len(conns) >= n:
        print("ready", flush=True)
        said = True
    time.sleep(0.2)
'''

# The burst: conn cycles on loopback, RST on close (no TIME_WAIT to run
# out of ports); prints the number of cycles done.
BURST_CODE = r'''
import socket, struct, sys
n = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 7300))
srv.listen(4096)
linger = struct.pack("ii", 1, 0)
for i in range(n):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    c.connect(("127.0.0.1", 7300))
    a, _ = srv.accept()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    a.close()
    c.close()
print(n, flush=True)
'''


def holder(ctx, cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, **kw)
    ctx.procs.append(p)
    return p


def wait_ready(p, what, timeout=15):
    deadline = time.monotonic() + timeout
    line = b""
    os.set_blocking(p.stdout.fileno(), False)
    while time.monotonic() < deadline:
        try:
            line += os.read(p.stdout.fileno(), 4096)
        except BlockingIOError:
            pass
        if b"ready" in line:
            return
        if p.poll() is not None:
            raise h.Fail("%s exited %d: %r" % (what, p.returncode, p.stderr.read()))
        time.sleep(0.05)
    raise h.Fail("%s: not all connections opened in %d s" % (what, timeout))


def scrape(timeout=5):
    t0 = time.monotonic()
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % METRICS_PORT,
                                timeout=timeout) as r:
        body = r.read().decode()
    return time.monotonic() - t0, body


def timed_ports(ctx):
    t0 = time.monotonic()
    run(ctx, "ports", "--json")
    return time.monotonic() - t0


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait(10)


@h.test(timeout=180)
def test_silent_clients_do_not_stall_the_daemon(ctx):
    pw = add_user(USER)
    attackers = []
    try:
        ns = ctx.netns()
        d = Daemon(ctx, "--metrics", "127.0.0.1:%d" % METRICS_PORT)
        attackers.append(holder(ctx, [
            "setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
            sys.executable, "-c", HOLD, "tcp", "127.0.0.1:%d" % METRICS_PORT, str(SILENT)]))
        attackers.append(holder(ctx, [sys.executable, "-c", HOLD, "unix", SOCK, str(SILENT)]))
        wait_ready(attackers[0], "unprivileged metrics clients")
        wait_ready(attackers[1], "silent control-socket clients")

        burst = holder(ctx, ["ip", "netns", "exec", ns.name, sys.executable, "-c", BURST_CODE,
                             str(BURST)], text=True)
        worst_scrape = worst_ports = 0.0
        probes = 0
        while burst.poll() is None or probes < 3:
            dt, _ = scrape()
            worst_scrape = max(worst_scrape, dt)
            worst_ports = max(worst_ports, timed_ports(ctx))
            probes += 1
            time.sleep(0.2)
        out, err = burst.communicate(timeout=10)
        h.expect(burst.returncode == 0 and out.strip() == str(BURST),
                 "the burst ran: rc %d, %r %r" % (burst.returncode, out, err[-300:]))
        ctx.note("%d probes while %d silent clients were connected: GET /metrics at worst "
                 "%.3f s, sockscope ports at worst %.3f s" % (probes, 2 * SILENT, worst_scrape,
                                                              worst_ports))
        h.expect(worst_scrape < 1.0, "GET /metrics took %.3f s with silent clients connected"
                 % worst_scrape)
        h.expect(worst_ports < 1.0, "sockscope ports took %.3f s with silent clients connected"
                 % worst_ports)

        # the daemon has seen the whole burst (RST closes: ~12 records per cycle)
        time.sleep(1)
        _, body = scrape()
        _, samples = parse_prometheus(body)
        lost = samples.get(("sockscope_lost_records_total", ()))
        accepts = samples.get(("sockscope_events_total", (("event", "accept"),)), 0)
        h.expect(lost == 0, "lost %s records during the burst (%s)" % (lost, d.stderr()[-300:]))
        h.expect(accepts >= BURST, "the daemon saw %d accepts of %d" % (accepts, BURST))
        h.expect("dropped" not in d.stderr(), "daemon stderr: %r" % d.stderr()[-300:])
        for p in attackers:
            h.expect(p.poll() is None, "the silent clients held on to the end")
        d.stop()
    finally:
        for p in attackers:
            stop(p)
        del_user(USER)


def ask_in_segments(path, args, pieces=4, gap=0.05):
    """Sends a control-socket request in several segments; returns (frames, code)."""
    import socket
    import struct
    req = b"".join(a.encode() + b"\0" for a in args) + b"\0"
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    step = max(1, len(req) // pieces)
    for i in range(0, len(req), step):
        s.sendall(req[i:i + step])
        time.sleep(gap)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    frames, code, off = [], None, 0
    while off + 5 <= len(data):
        typ, n = data[off:off + 1], struct.unpack("I", data[off + 1:off + 5])[0]
        body = data[off + 5:off + 5 + n]
        off += 5 + n
        if typ == b"X":
            code = struct.unpack("i", body)[0]
        else:
            frames.append((typ, body))
    return frames, code


@h.test(timeout=60)
def test_control_socket_request_in_segments(ctx):
    d = Daemon(ctx)
    frames, code = ask_in_segments(SOCK, ["ports", "--json"])
    out = b"".join(b for t, b in frames if t == b"O").decode()
    h.expect(code == 0 and out.strip() and all(l.startswith("{") for l in out.splitlines()),
             "ports --json in segments: code %s, %r" % (code, out[:200]))
    d.stop()
    # a trace (no database) answers history from its engine's closed sockets
    ns = ctx.netns()
    tr = ctx.tracer("-e", "close")
    path = "/run/sockscope/engine-%d.sock" % tr.proc.pid
    h._run(["ip", "netns", "exec", ns.name, sys.executable, "-c",
            "import socket; s=socket.socket(); s.bind(('127.0.0.1', 8731)); s.listen(); s.close()"])
    deadline, rows = time.monotonic() + 5, []
    while not rows and time.monotonic() < deadline:
        frames, code = ask_in_segments(path, ["history", "--port", "8731", "--json"])
        out = b"".join(b for t, b in frames if t == b"O").decode()
        rows = [json.loads(l) for l in out.splitlines() if l.strip()]
        rows = [r for r in rows if r.get("netns") == ns.inode]
        time.sleep(0.1)
    h.expect(code == 0 and len(rows) == 1 and rows[0].get("lport") == 8731,
             "history from a trace in segments: code %s, %r" % (code, rows))
    frames, code = ask_in_segments(path, ["ports", "--json"], pieces=7)
    h.expect(code == 0, "ports from a trace in segments: code %s" % code)
    tr.finish(ns)
