"""Integration tests for the port map: ports, who, --watch, close holders.

Discovered by run.py; uses the harness (test registry, Ctx, assertions):
every test runs in network namespaces of its own against the real kernel.
"""
import json
import os
import subprocess
import sys
import time

import harness as h  # test, Fail, expect, one, check, ...
import oracle

HERE = os.path.dirname(os.path.abspath(__file__))

# A process that opens sockets as told, prints one JSON line of facts, then
# holds everything until its stdin closes.
HOLDER = r'''
import json, os, socket, sys, time
spec = json.loads(sys.argv[1])
socks, facts = [], {"pid": os.getpid()}
for s in spec.get("tcp_listen", []):
    x = socket.socket(socket.AF_INET6 if ":" in s[0] else socket.AF_INET)
    if s[2] if len(s) > 2 else False:
        x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    x.bind((s[0], s[1])); x.listen(8); socks.append(x)
for s in spec.get("udp_bind", []):
    x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); x.bind((s[0], s[1])); socks.append(x)
for s in spec.get("tcp_conn", []):
    c = socket.socket(); c.connect((s[0], s[1])); socks.append(c)
    facts.setdefault("conn_ports", []).append(c.getsockname()[1])
if spec.get("fork"):
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(w); os.read(r, 1); os._exit(0)
    os.close(r); facts["child"] = child
    if spec.get("parent_closes"):
        for x in socks: x.close()
        socks = []
if spec.get("pass_to_child"):
    a, b = socket.socketpair()
    child = os.fork()
    if child == 0:
        a.close()
        for x in socks: x.close()   # only what arrives over the socket counts
        msg, fds, _, _ = socket.recv_fds(b, 4, 8)
        sys.stdin.read(); os._exit(0)
    b.close(); facts["receiver"] = child
    socket.send_fds(a, [b"x"], [x.fileno() for x in socks])
    time.sleep(0.2)
    for x in socks: x.close()
    socks = []
print(json.dumps(facts), flush=True)
sys.stdin.read()
'''


class Holder:
    def __init__(self, ctx, ns, **spec):
        cmd = ["ip", "netns", "exec", ns.name, sys.executable, "-c", HOLDER, json.dumps(spec)]
        ctx.note("$ holder " + json.dumps(spec))
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        ctx.procs.append(self.p)
        line = self.p.stdout.readline()
        if not line:
            raise h.Fail("holder did not start: %s" % self.p.stderr.read().decode()[-400:])
        self.facts = json.loads(line)
        self.pid = self.facts["pid"]

    def release(self):
        self.p.stdin.close()
        self.p.wait(10)


def in_ns(ns, *cmd, check=True, timeout=15, **kw):
    r = subprocess.run(["ip", "netns", "exec", ns.name] + list(cmd), capture_output=True,
                       text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise h.Fail("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r


sockscope = h.run_sockscope


def json_rows(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def ss_rows(ns, flags="-tuanpH"):
    return oracle.parse_ss(in_ns(ns, "ss", flags).stdout)


def our_rows(rows, ns):
    return oracle.watch_rows(rows, ns.inode)


# ---- ports -------------------------------------------------------------------


@h.test()
def test_ports_listeners_with_all_holders(ctx):
    ns = ctx.netns()
    hd = Holder(ctx, ns, tcp_listen=[["0.0.0.0", 8080], ["::1", 8443]],
                udp_bind=[["127.0.0.1", 5353]], fork=True)
    r = sockscope(ctx, "ports", "--json", "--netns", ns.inode)
    rows = json_rows(r.stdout)
    pids = {hd.pid, hd.facts["child"]}
    by_port = {x["lport"]: x for x in rows}
    h.expect(set(by_port) == {8080, 8443, 5353}, "ports rows: %s" % sorted(by_port))
    for port, proto, state in ((8080, "tcp", "LISTEN"), (8443, "tcp", "LISTEN"),
                               (5353, "udp", "UNCONN")):
        x = by_port[port]
        h.expect(x["proto"] == proto and x["state"] == state and x["netns"] == ns.inode,
                 "row %d: %s" % (port, x))
        h.expect({y["pid"] for y in x["holders"]} == pids,
                 "port %d holders %s, want parent and forked child %s" % (
                     port, x["holders"], sorted(pids)))
        h.expect(all(y["comm"] == "python3" and type(y["fd"]) is int for y in x["holders"]),
                 "holder fields: %s" % x["holders"])
    h.expect(by_port[8443]["family"] == "inet6" and by_port[8443]["laddr"] == "::1",
             "IPv6 row: %s" % by_port[8443])
    # the same sockets as ss -tulpn shows, with the same pids
    h.expect(our_rows(rows, ns) == ss_rows(ns, "-tulnpH"),
             "ports differs from ss -tulnp: %s vs %s" % (our_rows(rows, ns),
                                                         ss_rows(ns, "-tulnpH")))
    # the text table shows the same, one socket per line
    t = sockscope(ctx, "ports", "--netns", ns.inode).stdout.splitlines()
    h.expect(t[0].split()[:3] == ["PROTO", "STATE", "LOCAL"] and len(t) == 4,
             "text table: %s" % t)
    hd.release()


@h.test(timeout=40)
def test_ports_all_matches_ss_with_connections_and_time_wait(ctx):
    ns = ctx.netns()
    srv = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 9000]])
    cli = Holder(ctx, ns, tcp_conn=[["127.0.0.1", 9000]] * 3)
    # connections the server never accepts still show, ESTABLISHED, no holder
    gone = in_ns(ns, sys.executable, "-c",
                 "import socket\nl=socket.socket();l.bind(('127.0.0.1',9001));l.listen()\n"
                 "c=socket.socket();c.connect(('127.0.0.1',9001));a,_=l.accept()\n"
                 "a.close();c.close();l.close()")  # server closed first: TIME_WAIT on :9001
    r = sockscope(ctx, "ports", "--all", "--json", "--netns", ns.inode)
    got, want = our_rows(json_rows(r.stdout), ns), ss_rows(ns)
    h.expect(got == want, "ports --all differs from ss -tuanp:\n  only sockscope %s\n"
             "  only ss %s" % (sorted(set(got) - set(want)), sorted(set(want) - set(got))))
    states = sorted(x[1] for x in got)
    h.expect(states.count("ESTAB") == 6 and "TIME-WAIT" in states and "LISTEN" in states,
             "states %s" % states)
    del gone
    srv.release()
    cli.release()


@h.test()
def test_ports_filters(ctx):
    ns = ctx.netns()
    a = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 7001]], udp_bind=[["127.0.0.1", 7002]])
    b = Holder(ctx, ns, tcp_listen=[["::1", 7003]])
    def ports(*args):
        return sorted(x["lport"] for x in json_rows(sockscope(ctx, "ports", "--json", "--netns",
                                                              ns.inode, *args).stdout))
    h.expect(ports() == [7001, 7002, 7003], "no filter: %s" % ports())
    h.expect(ports("-p", a.pid) == [7001, 7002], "--pid: %s" % ports("-p", a.pid))
    h.expect(ports("--proto", "udp") == [7002], "--proto udp")
    h.expect(ports("--family", "6") == [7003], "--family 6")
    h.expect(ports("-P", 7001) == [7001], "--port")
    h.expect(ports("-c", "nosuchcomm") == [], "--comm")
    a.release()
    b.release()


# ---- who ---------------------------------------------------------------------


@h.test()
def test_who_names_every_holder_and_exit_codes(ctx):
    ns = ctx.netns()
    hd = Holder(ctx, ns, tcp_listen=[["0.0.0.0", 8080]], fork=True)
    r = sockscope(ctx, "who", 8080, "--netns", ns.inode)
    h.expect("pid=%d" % hd.pid in r.stdout and "pid=%d" % hd.facts["child"] in r.stdout,
             "who 8080 output lacks the holders: %r" % r.stdout)
    rows = json_rows(sockscope(ctx, "who", "127.0.0.1:8080", "--netns", ns.inode,
                               "--json").stdout)
    h.expect(len(rows) == 1 and rows[0]["laddr"] == "0.0.0.0",
             "wildcard covers 127.0.0.1: %s" % rows)
    r = sockscope(ctx, "who", "[::1]:8080", "--netns", ns.inode, expect_rc=6)
    h.expect("nothing holds port 8080" in r.stderr, "who for an uncovered address: %r" % r.stderr)
    sockscope(ctx, "who", 8081, "--netns", ns.inode, expect_rc=6)
    sockscope(ctx, "who", 8080, "--proto", "udp", "--netns", ns.inode, expect_rc=6)
    r = sockscope(ctx, "who", "70000", expect_rc=2)
    h.expect(len(r.stderr.strip().splitlines()) == 1, "one-line usage error: %r" % r.stderr)
    hd.release()


@h.test()
def test_who_sees_fd_passing_and_close_in_parent_only(ctx):
    ns = ctx.netns()
    forked = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8100]], fork=True, parent_closes=True)
    passed = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8101]], pass_to_child=True)
    rows = json_rows(sockscope(ctx, "who", 8100, "--json", "--netns", ns.inode).stdout)
    h.expect(sorted({y["pid"] for y in rows[0]["holders"]}) == [forked.facts["child"]],
             "after close in parent only, the child alone holds it: %s" % rows)
    rows = json_rows(sockscope(ctx, "who", 8101, "--json", "--netns", ns.inode).stdout)
    h.expect(sorted({y["pid"] for y in rows[0]["holders"]}) == [passed.facts["receiver"]],
             "after SCM_RIGHTS and close in the sender, the receiver holds it: %s" % rows)
    forked.release()
    passed.release()


# ---- --watch: the engine's live table --------------------------------------------


watch_frames = oracle.watch_frames


def wait_frame(path, pred, timeout=6):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            frames = watch_frames(path)
        except (FileNotFoundError, ValueError):
            frames = []
        if frames and pred(frames[-1][1]):
            return frames[-1][1]
        time.sleep(0.1)
    raise h.Fail("no --watch frame matched within %ds; last: %s" % (
        timeout, frames[-1][1] if frames else None))


class Watch:
    def __init__(self, ctx, *args):
        self.path = os.path.join(ctx.tmp, "watch.json")
        self.out = open(self.path, "w")
        cmd = [ctx.binary, "ports", "--watch", "--json", "--interval", "0.2"] + \
            [str(a) for a in args]
        ctx.note("$ " + " ".join(cmd))
        self.p = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        ctx.procs.append(self.p)
        line = self.p.stderr.readline()
        if "watching" not in line:
            raise h.Fail("ports --watch did not start: %r" % line)

    def stop(self):
        self.p.send_signal(2)
        rc = self.p.wait(10)
        self.out.close()
        if rc != 0:
            raise h.Fail("ports --watch exit %d" % rc)


def holders_of(rows, ns, port):
    for r in rows:
        if r["netns"] == ns.inode and r["lport"] == port and r.get("change") != "gone":
            return sorted({y["pid"] for y in r["holders"]})
    return None


@h.test(timeout=40)
def test_watch_seeds_existing_sockets_and_follows_holders(ctx):
    ns = ctx.netns()
    before = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8200]], fork=True)
    w = Watch(ctx, "--netns", ns.inode)
    # opened before sockscope started: there, with both holders
    wait_frame(w.path, lambda rows: holders_of(rows, ns, 8200) ==
               sorted([before.pid, before.facts["child"]]))
    # fork, then the parent closes its copy: only the child is left
    forked = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8201]], fork=True, parent_closes=True)
    wait_frame(w.path, lambda rows: holders_of(rows, ns, 8201) == [forked.facts["child"]])
    # passed over a UNIX socket, then closed by the sender: the receiver holds it
    passed = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8202]], pass_to_child=True)
    wait_frame(w.path, lambda rows: holders_of(rows, ns, 8202) == [passed.facts["receiver"]])
    # every holder exits: the row is reported gone, then disappears
    before.release()
    wait_frame(w.path, lambda rows: holders_of(rows, ns, 8200) is None)
    w.stop()
    forked.release()
    passed.release()


@h.test(timeout=120)
def test_engine_matches_ss_randomized_two_namespaces(ctx):
    for seed in (1, 2):
        ok, msg = oracle.run_oracle(ctx.binary, seed=seed, ops=300, log=ctx.note)
        ctx.note("seed %d: %s" % (seed, msg))
        h.expect(ok, "seed %d: %s" % (seed, msg))


# ---- close events ------------------------------------------------------------------


@h.test()
def test_close_events_carry_all_holders(ctx):
    ns = ctx.netns()
    tr = ctx.tracer("-e", "close")
    hd = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8600]], fork=True, parent_closes=True)
    hd.release()
    evs = tr.finish(ns).ours
    e = h.one(evs, "listener close", event="close", lport=8600)
    h.expect(e["pid"] == hd.facts["child"], "released by the child: %s" % h.fmt(e))
    h.expect(sorted(y["pid"] for y in e.get("holders", [])) == sorted([hd.facts["child"], hd.pid]),
             "holders: the parent and the child, once each: %s" % e.get("holders"))


@h.test()
def test_who_history_from_a_running_trace(ctx):
    ns = ctx.netns()
    tr = ctx.tracer("-e", "close")
    hd = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 8700]])
    hd.release()
    deadline = time.monotonic() + 5
    while True:
        r = sockscope(ctx, "who", 8700, "--json", expect_rc=6)
        past = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        past = [x for x in past if x.get("netns") == ns.inode]
        if past or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    h.expect(len(past) == 1 and past[0]["holders"][0]["pid"] == hd.pid and
             "closed" in past[0] and past[0]["state"] == "LISTEN",
             "who 8700 must show the closed listener from the trace's history: %s" % past)
    t = sockscope(ctx, "who", 8700, expect_rc=6).stdout
    h.expect("held before" in t and "pid=%d" % hd.pid in t, "text history: %r" % t)
    tr.finish(ns)
