"""Explained failures: a failed bind or connect carries a reason and the
sockets that caused it (EADDRINUSE with the listener, a server started
twice, TIME_WAIT and SO_REUSEPORT, EACCES without CAP_NET_BIND_SERVICE,
EADDRNOTAVAIL for bind and connect). model/explain.c is what they test.
"""

import subprocess
import sys
import time

import harness as h
from test_ports import Holder, in_ns


def failures(ctx, ns, run):
    """Runs run() with a tracer on failures; returns the failures of netns ns."""
    tr = ctx.tracer("--failed")
    run()
    time.sleep(0.3)
    return tr.finish(ns).ours


@h.test()
def test_explain_eaddrinuse_names_the_listener(ctx):
    ns = ctx.netns()
    hd = Holder(ctx, ns, tcp_listen=[["0.0.0.0", 8300]])

    def second():
        r = in_ns(ns, sys.executable, "-c",
                  "import socket\ntry:\n socket.socket().bind(('127.0.0.1',8300))\n"
                  "except OSError as e: print(e.errno)")
        h.expect(r.stdout.strip() == "98", "the second bind must fail: %r" % r.stdout)
    evs = failures(ctx, ns, second)
    e = h.one(evs, "failed bind", event="bind", error="EADDRINUSE")
    h.check(e, "failed bind", laddr="127.0.0.1", lport=8300)
    h.expect(e.get("reason", "").startswith("port 8300 is held by pid %d (python3), listening "
                                            "on 0.0.0.0:8300" % hd.pid),
             "reason: %r" % e.get("reason"))
    hs = e.get("holders", [])
    h.expect(len(hs) == 1 and hs[0]["pid"] == hd.pid and hs[0]["state"] == "LISTEN" and
             hs[0]["lport"] == 8300 and hs[0]["reuseport"] is False,
             "holders: %s" % hs)
    hd.release()


@h.test()
def test_explain_http_server_started_twice(ctx):
    ns = ctx.netns()
    first = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-m",
                              "http.server", "8080", "--bind", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    ctx.procs.append(first)
    deadline = time.monotonic() + 10
    while "8080" not in in_ns(ns, "ss", "-tlnH").stdout:
        h.expect(time.monotonic() < deadline, "first http.server did not listen")
        time.sleep(0.05)
    first_pid = int(in_ns(ns, "ss", "-tlnpH").stdout.split("pid=")[1].split(",")[0])

    def second():
        r = in_ns(ns, sys.executable, "-m", "http.server", "8080", "--bind", "127.0.0.1",
                  check=False)
        h.expect(r.returncode != 0 and "Address already in use" in r.stderr,
                 "the second server must fail: %r" % r.stderr[-200:])
    evs = failures(ctx, ns, second)
    e = h.one(evs, "failed bind", event="bind", error="EADDRINUSE", lport=8080)
    h.expect("held by pid %d (python3)" % first_pid in e.get("reason", ""),
             "the second server's failure must name the first's pid %d: %r" % (
                 first_pid, e.get("reason")))
    first.terminate()


@h.test()
def test_explain_time_wait_and_reuseport(ctx):
    ns = ctx.netns()
    hd = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8401, True]])  # SO_REUSEPORT set

    def run():
        in_ns(ns, sys.executable, "-c", r'''
import socket
l=socket.socket(); l.bind(('127.0.0.1',8400)); l.listen()
c=socket.socket(); c.connect(('127.0.0.1',8400)); a,_=l.accept()
a.close(); c.close(); l.close()          # the server side closed first: TIME_WAIT on :8400
for port in (8400, 8401):
    s=socket.socket()
    try: s.bind(('127.0.0.1',port))
    except OSError as e: assert e.errno == 98
    else: raise SystemExit('bind %d should fail' % port)
''')
    evs = failures(ctx, ns, run)
    tw = h.one(evs, "bind over TIME_WAIT", event="bind", lport=8400)
    h.expect("TIME_WAIT connection 127.0.0.1:8400 -> 127.0.0.1:" in tw.get("reason", "") and
             "SO_REUSEADDR would allow this bind" in tw["reason"], "reason %r" % tw.get("reason"))
    h.expect(tw.get("holders") and "pid" not in tw["holders"][0] and
             tw["holders"][0]["state"] == "TIME_WAIT", "holders %s" % tw.get("holders"))
    rp = h.one(evs, "bind next to SO_REUSEPORT", event="bind", lport=8401)
    h.expect(rp.get("reason", "").endswith(
        "SO_REUSEPORT is set on the existing socket but not on this one"),
        "reason %r" % rp.get("reason"))
    h.expect(rp["holders"][0]["pid"] == hd.pid and rp["holders"][0]["reuseport"] is True,
             "holders %s" % rp["holders"])
    hd.release()


@h.test()
def test_explain_eacces_without_cap_net_bind_service(ctx):
    ns = ctx.netns()

    def run():
        r = in_ns(ns, "setpriv", "--bounding-set", "-net_bind_service", "--inh-caps",
                  "-net_bind_service", sys.executable, "-c",
                  "import socket\ntry: socket.socket().bind(('0.0.0.0',81))\n"
                  "except OSError as e: print(e.errno)")
        h.expect(r.stdout.strip() == "13", "bind 81 without the capability: %r %r" % (
            r.stdout, r.stderr))
    evs = failures(ctx, ns, run)
    e = h.one(evs, "EACCES bind", event="bind", error="EACCES", lport=81)
    h.expect(e.get("reason", "").startswith(
        "port 81 is privileged (below net.ipv4.ip_unprivileged_port_start=1024): binding it "
        "needs CAP_NET_BIND_SERVICE, which pid %d" % e["pid"]), "reason %r" % e.get("reason"))


@h.test()
def test_explain_eaddrnotavail_bind_and_connect(ctx):
    ns = ctx.netns()
    in_ns(ns, "sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 40001")
    srv = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8500]])

    def run():
        in_ns(ns, sys.executable, "-c", r'''
import socket
try: socket.socket().bind(('192.0.2.77', 0))
except OSError as e: assert e.errno == 99, e
cs = []
for i in range(3):
    c = socket.socket()
    try: c.connect(('127.0.0.1', 8500)); cs.append(c)
    except OSError as e: assert e.errno == 99 and i == 2, (i, e)
''')
    evs = failures(ctx, ns, run)
    b = h.one(evs, "EADDRNOTAVAIL bind", event="bind", error="EADDRNOTAVAIL")
    h.expect(b.get("reason", "").startswith("address 192.0.2.77 is not assigned to any "
                                            "interface in network namespace %d" % ns.inode),
             "reason %r" % b.get("reason"))
    c = h.one(evs, "EADDRNOTAVAIL connect", event="connect_done", error="EADDRNOTAVAIL")
    h.expect(c.get("reason") == "no free local port for 127.0.0.1:8500: 2 sockets already use "
             "that destination and net.ipv4.ip_local_port_range is 40000-40001 (2 ports)",
             "reason %r" % c.get("reason"))
    srv.release()
