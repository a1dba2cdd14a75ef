"""The filters of issue 11 on trace events (in the kernel) and on ports, who
and history rows: --uid, --cgroup, --netns (inode or 'ip netns' name),
--laddr/--raddr prefixes (IPv4, IPv6, v4-mapped), --lport/--rport and
--state. Real sockets in the test's own network namespaces, real cgroup-v2
cgroups (created under the root and removed afterwards), a second user.
Each filter is shown to keep what it should and drop what it should not.
"""

import json
import os
import subprocess
import sys
import time

import harness as h
from harness import add_user, del_user, expect, fmt, pick, test
from test_daemon import Daemon, wait_for


USER = "sstest-filt"

# One actor: a TCP listener, a client connected to it (the accepted socket
# too) and a bound UDP socket; it prints its facts, holds everything until
# its stdin closes, then closes the client first (the client's side goes to
# TIME_WAIT) and exits.
ACTOR = r"""
import json, os, socket, sys
srv_addr, port, cli_addr, dst, uport = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
fam = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET
srv = socket.socket(fam(srv_addr), socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((srv_addr, port))
srv.listen(8)
cli = socket.socket(fam(cli_addr), socket.SOCK_STREAM)
cli.bind((cli_addr, 0))
cli.connect((dst, port))
conn, _ = srv.accept()
cli.sendall(b"x")
conn.recv(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", uport))
print(json.dumps({"pid": os.getpid(), "uid": os.getuid(), "cport": cli.getsockname()[1]}),
      flush=True)
sys.stdin.read()
cli.close()
conn.close()
srv.close()
u.close()
"""


def actor_file(ctx):
    path = os.path.join(ctx.tmp, "actor.py")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(ACTOR)
        os.chmod(path, 0o755)
        os.chmod(ctx.tmp, 0o755)  # the second user reads it too
    return path


class Actor:
    """An actor in netns ns, optionally in a cgroup (its directory) and as
    another user; running once start() returned its facts."""

    def __init__(self, ctx, ns, srv_addr, port, cli_addr, dst, uport, cgroup=None, user=None):
        cmd = ["ip", "netns", "exec", ns.name]
        if user:
            cmd += ["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid),
                    "--clear-groups"]
        cmd += [sys.executable, actor_file(ctx), srv_addr, str(port), cli_addr, dst, str(uport)]

        def place():
            if cgroup:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))

        ctx.note("$ " + " ".join(cmd) + ("   (in %s)" % cgroup if cgroup else ""))
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True,
                                  preexec_fn=place)
        ctx.procs.append(self.p)
        line = self.p.stdout.readline()
        if not line:
            raise h.Fail("actor failed: %s" % self.p.stderr.read().decode(errors="replace"))
        self.facts = json.loads(line)
        self.pid = self.facts["pid"]
        self.port, self.uport = port, uport

    def finish(self):
        self.p.stdin.close()
        if self.p.wait(20) != 0:
            raise h.Fail("actor exited %d: %s" % (self.p.returncode,
                                                  self.p.stderr.read().decode()))


def cgroup2_mount():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    raise h.Skip("no cgroup v2 hierarchy mounted")


class Cgroups:
    """base/, base/child/ and other/ under the v2 root, removed by remove()."""

    def __init__(self, ctx):
        self.mnt = cgroup2_mount()
        self.name = "ss-it-filt-%d" % os.getpid()
        self.rel = {"base": "/" + self.name, "child": "/%s/child" % self.name,
                    "other": "/%s-other" % self.name}
        self.dirs = [self.mnt + self.rel[k] for k in ("base", "child", "other")]
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)
        ctx.note("cgroups %s" % self.dirs)

    def path(self, key):
        return self.mnt + self.rel[key]

    def remove(self):
        # a failed test leaves its actors running: only they are in here
        for d in self.dirs:
            try:
                with open(os.path.join(d, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                pass
        for d in reversed(self.dirs):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def plain(a):
    """An address as an IPv4 one when it is v4-mapped."""
    return a[7:] if a and a.startswith("::ffff:") else a


def finish_all(ctx, tracers, ns):
    return [t.finish(ns) for t in tracers]


def events_of(res, pid):
    return pick(res.ours, pid=pid)


def expect_lifecycle(evs, what, async_too=True):
    """The events an actor's run makes: listen, connect, accept, close, and
    the TCP states raised in softirq (attributed through the owner)."""
    kinds = {e["event"] for e in evs}
    want = {"listen", "connect", "accept", "close"} | ({"state"} if async_too else set())
    expect(want <= kinds, "%s: missing %s (saw %s)" % (what, sorted(want - kinds), sorted(kinds)),
           evs[:10])


def only_pids(res, what, pids):
    bad = [e for e in res.events if e.get("pid") not in pids]
    expect(not bad, "%s: %d event(s) of other processes, e.g. %s" % (
        what, len(bad), fmt(bad[0]) if bad else ""), bad[:10])


# ---- trace: in the kernel -------------------------------------------------------


@test(timeout=120)
def test_filt_trace_cgroup_and_below(ctx):
    cg = Cgroups(ctx)
    try:
        ns = ctx.netns()
        tracers = [ctx.tracer("--states", "--cgroup", cg.rel["base"]),
                   ctx.tracer("--states", "--cgroup", cg.rel["child"].lstrip("/")),
                   ctx.tracer("--states", "--cgroup", cg.path("child"))]
        a_child = Actor(ctx, ns, "127.0.0.1", 23101, "127.0.0.1", "127.0.0.1", 23111,
                        cgroup=cg.path("child"))
        a_base = Actor(ctx, ns, "127.0.0.1", 23102, "127.0.0.1", "127.0.0.1", 23112,
                       cgroup=cg.path("base"))
        a_other = Actor(ctx, ns, "127.0.0.1", 23103, "127.0.0.1", "127.0.0.1", 23113,
                        cgroup=cg.path("other"))
        for a in (a_child, a_base, a_other):
            a.finish()
        base, child, child_abs = finish_all(ctx, tracers, ns)
        only_pids(base, "--cgroup base", {a_child.pid, a_base.pid})
        expect_lifecycle(events_of(base, a_child.pid), "--cgroup base: the child cgroup's")
        expect_lifecycle(events_of(base, a_base.pid), "--cgroup base: its own")
        for res, what in ((child, "--cgroup child (relative)"),
                          (child_abs, "--cgroup child (under the mount)")):
            only_pids(res, what, {a_child.pid})
            expect_lifecycle(events_of(res, a_child.pid), what)
        # the async state events are the owner's, not the interrupted task's
        st = pick(child.ours, event="state")
        expect(st and all(e["pid"] == a_child.pid for e in st), "state events", st)
    finally:
        cg.remove()


@test(timeout=120)
def test_filt_trace_cgroup_of_sockets_older_than_the_tracer(ctx):
    """Owners seeded at start-up (iter/task_file) are tested on the task's
    cgroup there: their later events, the softirq ones too, follow it."""
    cg = Cgroups(ctx)
    try:
        ns = ctx.netns()
        inside = Actor(ctx, ns, "127.0.0.1", 23151, "127.0.0.1", "127.0.0.1", 23161,
                       cgroup=cg.path("child"))
        outside = Actor(ctx, ns, "127.0.0.1", 23152, "127.0.0.1", "127.0.0.1", 23162,
                        cgroup=cg.path("other"))
        tr = ctx.tracer("--states", "--cgroup", cg.rel["base"])
        inside.finish()
        outside.finish()
        res = tr.finish(ns)
        only_pids(res, "--cgroup base, sockets from before", {inside.pid})
        evs = events_of(res, inside.pid)
        kinds = {e["event"] for e in evs}
        expect({"close", "state"} <= kinds, "the older sockets' close and states: %s" %
               sorted(kinds), evs)
        # the accepted socket's peer closes first: ESTABLISHED -> CLOSE_WAIT
        # is raised in softirq, before its owner does anything again
        expect(pick(evs, event="state", lport=23151, new_state="CLOSE_WAIT"),
               "the older accepted socket's CLOSE_WAIT, attributed to its seeded owner", evs)
    finally:
        cg.remove()


@test(timeout=120)
def test_filt_trace_uid_by_number_and_name(ctx):
    pw = add_user(USER)
    try:
        ns = ctx.netns()
        tracers = [ctx.tracer("--states", "--uid", USER), ctx.tracer("--states", "--uid", pw.pw_uid),
                   ctx.tracer("--states", "--uid", 0, "--lport", 23202)]
        mine = Actor(ctx, ns, "127.0.0.1", 23201, "127.0.0.1", "127.0.0.1", 23211, user=pw)
        root = Actor(ctx, ns, "127.0.0.1", 23202, "127.0.0.1", "127.0.0.1", 23212)
        expect(mine.facts["uid"] == pw.pw_uid, "actor uid %r" % mine.facts)
        mine.finish()
        root.finish()
        by_name, by_num, root_only = finish_all(ctx, tracers, ns)
        for res, what in ((by_name, "--uid NAME"), (by_num, "--uid UID")):
            only_pids(res, what, {mine.pid})
            bad = [e for e in res.events if e.get("uid") != pw.pw_uid]
            expect(not bad, "%s: other uids" % what, bad)
            expect_lifecycle(events_of(res, mine.pid), what)
        only_pids(root_only, "--uid 0 --lport", {root.pid})
        expect(pick(root_only.ours, event="listen", pid=root.pid), "--uid 0: root's listen")
    finally:
        del_user(USER)


@test(timeout=120)
def test_filt_trace_netns_by_name_and_inode(ctx):
    ns1, ns2 = ctx.netns(), ctx.netns()
    tracers = [ctx.tracer("--states", "--netns", ns1.name), ctx.tracer("--states", "--netns", ns2.inode)]
    a1 = Actor(ctx, ns1, "127.0.0.1", 23301, "127.0.0.1", "127.0.0.1", 23311)
    a2 = Actor(ctx, ns2, "127.0.0.1", 23301, "127.0.0.1", "127.0.0.1", 23311)
    a1.finish()
    a2.finish()
    r1 = tracers[0].finish(ns1)
    r2 = tracers[1].finish(ns2)
    for res, ns, a, what in ((r1, ns1, a1, "--netns NAME"), (r2, ns2, a2, "--netns INODE")):
        bad = [e for e in res.events if e.get("netns") != ns.inode]
        expect(not bad, "%s: events of other namespaces" % what, bad)
        expect_lifecycle(events_of(res, a.pid), what)


@test(timeout=120)
def test_filt_trace_addresses_and_ports(ctx):
    ns = ctx.netns()
    flt = {
        "l127.0.0.2": ("--laddr", "127.0.0.2"),
        "l127/8": ("--laddr", "127.0.0.0/8"),
        "r127.0.0.4": ("--raddr", "127.0.0.4/32"),
        "l::1": ("--laddr", "::1/128"),
        "lport": ("--lport", "23401"),
        "rport": ("--rport", "23401"),
    }
    tracers = {k: ctx.tracer("--states", *v) for k, v in flt.items()}
    # A: IPv4 on 127.0.0.2, client from 127.0.0.3
    a = Actor(ctx, ns, "127.0.0.2", 23401, "127.0.0.3", "127.0.0.2", 23411)
    # B: a dual-stack IPv6 listener, an IPv4 client from 127.0.0.4: the
    # accepted socket is ::ffff:127.0.0.1 <- ::ffff:127.0.0.4 (the output
    # prints them as IPv4 addresses of an inet6 socket)
    b = Actor(ctx, ns, "::", 23402, "127.0.0.4", "127.0.0.1", 23412)
    # C: IPv6 loopback
    c = Actor(ctx, ns, "::1", 23403, "::1", "::1", 23413)
    for x in (a, b, c):
        x.finish()
    res = {k: t.finish(ns) for k, t in tracers.items()}

    def all_have(r, what, key, ok):
        bad = [e for e in r.ours if not ok(e.get(key))]
        expect(not bad, "%s: events whose %s does not match" % (what, key), bad)
        expect(r.ours, "%s: no events at all" % what)

    all_have(res["l127.0.0.2"], "--laddr 127.0.0.2", "laddr", lambda v: v == "127.0.0.2")
    expect(pick(res["l127.0.0.2"].ours, event="listen", lport=23401), "A's listen")
    expect(pick(res["l127.0.0.2"].ours, event="accept", lport=23401), "A's accept")
    all_have(res["l127/8"], "--laddr 127.0.0.0/8", "laddr",
             lambda v: v is not None and plain(v).startswith("127."))
    # v4-mapped: B's accepted socket is an IPv6 one (::ffff:127.0.0.1,
    # printed as 127.0.0.1), kept by the IPv4 prefix
    expect(pick(res["l127/8"].ours, event="accept", lport=23402, family="inet6"),
           "--laddr 127.0.0.0/8 keeps B's v4-mapped accepted socket", res["l127/8"].ours)
    expect(not pick(res["l127/8"].ours, lport=23403), "--laddr 127/8 dropped C (::1)")
    all_have(res["r127.0.0.4"], "--raddr 127.0.0.4", "raddr",
             lambda v: plain(v) == "127.0.0.4")
    expect(pick(res["r127.0.0.4"].ours, event="accept", lport=23402), "B's accept by raddr")
    all_have(res["l::1"], "--laddr ::1", "laddr", lambda v: v == "::1")
    expect(pick(res["l::1"].ours, event="listen", lport=23403), "C's listen")
    all_have(res["lport"], "--lport 23401", "lport", lambda v: v == 23401)
    expect(pick(res["lport"].ours, event="accept"), "--lport: A's accepted socket")
    all_have(res["rport"], "--rport 23401", "rport", lambda v: v == 23401)
    expect(pick(res["rport"].ours, event="connect", pid=a.pid), "--rport: A's connect")
    expect(pick(res["rport"].ours, event="state", pid=a.pid), "--rport: A's client states")


# ---- ports and who: on rows ------------------------------------------------------


def rows(ctx, *args, expect_rc=0):
    r = h.run_sockscope(ctx, *args, "--json", expect_rc=expect_rc)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def holder_pids(row):
    return {x["pid"] for x in row.get("holders", [])}


@test(timeout=150)
def test_filt_ports_and_who_rows(ctx):
    pw = add_user(USER)
    cg = Cgroups(ctx)
    try:
        ns = ctx.netns()
        a = Actor(ctx, ns, "127.0.0.2", 23501, "127.0.0.3", "127.0.0.2", 23511,
                  cgroup=cg.path("child"))
        b = Actor(ctx, ns, "::", 23502, "127.0.0.4", "127.0.0.1", 23512, user=pw)
        nsarg = ("--netns", ns.name)

        est = rows(ctx, "ports", "--state", "established", *nsarg)
        expect(len(est) == 4 and all(r["state"] == "ESTABLISHED" for r in est),
               "ports --state established: the 2 clients and 2 accepted sockets", est)
        lst = rows(ctx, "ports", "--state", "listening", *nsarg)
        expect(sorted(r["lport"] for r in lst) == [23501, 23502] and
               all(r["proto"] == "tcp" for r in lst), "--state listening: TCP only", lst)
        unc = rows(ctx, "ports", "--state", "unconnected", *nsarg)
        expect(sorted(r["lport"] for r in unc) == [23511, 23512] and
               all(r["proto"] == "udp" for r in unc), "--state unconnected: UDP", unc)
        both = rows(ctx, "ports", "--state", "LISTEN,estab", *nsarg)
        expect(len(both) == 6, "--state LISTEN,estab", both)

        la = rows(ctx, "ports", "--all", "--laddr", "127.0.0.2", *nsarg)
        expect(len(la) == 2 and all(r["laddr"] == "127.0.0.2" for r in la),
               "--laddr 127.0.0.2: A's listener and accepted socket", la)
        mapped = rows(ctx, "ports", "--all", "--laddr", "127.0.0.0/8", "--lport", 23502, *nsarg)
        expect(len(mapped) == 1 and mapped[0]["family"] == "inet6" and
               plain(mapped[0]["laddr"]) == "127.0.0.1",
               "--laddr 127/8 --lport: B's v4-mapped accepted socket (not its :: listener)",
               mapped)
        ra = rows(ctx, "ports", "--all", "--raddr", "127.0.0.3", "--rport", 23501, *nsarg)
        expect(not ra, "--raddr 127.0.0.3 --rport 23501: nobody (A's client is the reverse)", ra)
        ra = rows(ctx, "ports", "--all", "--raddr", "127.0.0.2", "--rport", 23501, *nsarg)
        expect(len(ra) == 1 and ra[0]["laddr"] == "127.0.0.3", "A's client by --raddr", ra)

        mine = rows(ctx, "ports", "--all", "--uid", USER, *nsarg)
        expect(len(mine) == 4 and all(holder_pids(r) == {b.pid} for r in mine),
               "--uid: B's 4 sockets", mine)
        cgr = rows(ctx, "ports", "--all", "--cgroup", cg.rel["base"], *nsarg)
        expect(len(cgr) == 4 and all(holder_pids(r) == {a.pid} for r in cgr),
               "--cgroup base: A's 4 sockets, A being in base/child", cgr)
        expect(not rows(ctx, "ports", "--all", "--cgroup", cg.rel["other"], *nsarg),
               "--cgroup other: nothing")

        w = rows(ctx, "who", 23501, "--state", "established", *nsarg)
        expect(len(w) == 1 and w[0]["state"] == "ESTABLISHED" and holder_pids(w[0]) == {a.pid},
               "who 23501 --state established: A's accepted socket", w)
        w = rows(ctx, "who", 23502, "--uid", USER, "--state", "listening", *nsarg)
        expect(len(w) == 1 and w[0]["state"] == "LISTEN", "who --uid --state listening", w)
        w = rows(ctx, "who", 23502, "--cgroup", cg.rel["child"], *nsarg, expect_rc=6)
        expect(not w, "who 23502 --cgroup child: B is not there", w)

        a.finish()
        b.finish()
        tw = rows(ctx, "ports", "--state", "time-wait", *nsarg)
        expect(sorted(r["rport"] for r in tw) == [23501, 23502] and
               all(r["state"] == "TIME_WAIT" for r in tw), "the clients' TIME_WAIT", tw)
        expect(len(rows(ctx, "ports", "--state", "bucket", *nsarg)) == 2, "--state bucket")
    finally:
        cg.remove()
        del_user(USER)


# ---- history: on stored rows ------------------------------------------------------


@test(timeout=150)
def test_filt_history_rows(ctx):
    pw = add_user(USER)
    try:
        ns = ctx.netns()
        d = Daemon(ctx)
        try:
            a = Actor(ctx, ns, "127.0.0.2", 23601, "127.0.0.3", "127.0.0.2", 23611)
            b = Actor(ctx, ns, "::", 23602, "127.0.0.4", "127.0.0.1", 23612, user=pw)
            c = Actor(ctx, ns, "::1", 23603, "::1", "::1", 23613)
            # a moment in their lives, for who --at
            time.sleep(1.2)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time())))
            time.sleep(1.0)
            for x in (a, b, c):
                x.finish()

            def hist(*args):
                return rows(ctx, "history", "--netns", ns.inode, "--limit", 100000, *args)

            # every socket of the three (4 each), closed and stored
            wait_for("the sockets in the database",
                     lambda: len([r for r in hist() if r["kind"] == "socket"]) >= 12, 20)
            allr = hist()
            expect(all(r["netns"] == ns.inode for r in allr), "--netns", allr)
            lp = hist("--lport", 23601)
            expect(lp and all(r["lport"] == 23601 for r in lp), "--lport", lp)
            socks = [r for r in lp if r["kind"] == "socket"]
            expect(len(socks) == 2, "--lport 23601: A's listener and accepted socket", lp)
            rp = hist("--rport", 23601)
            expect(len(rp) == 1 and rp[0]["kind"] == "socket" and rp[0]["laddr"] == "127.0.0.3",
                   "--rport 23601: A's client (owner rows have no remote end)", rp)
            m = hist("--laddr", "127.0.0.0/8", "--lport", 23602)
            expect(len([r for r in m if r["kind"] == "socket"]) == 1 and
                   all(plain(r["laddr"]) == "127.0.0.1" for r in m),
                   "--laddr 127/8: B's v4-mapped accepted socket, not its listener", m)
            v6 = hist("--laddr", "::1")
            expect(v6 and all(r["laddr"] == "::1" for r in v6) and
                   {r["lport"] for r in v6 if r["kind"] == "socket"} >= {23603},
                   "--laddr ::1: C's sockets", v6)
            r4 = hist("--raddr", "127.0.0.4/32")
            expect(len(r4) == 1 and r4[0]["lport"] == 23602, "--raddr: B's accepted socket", r4)
            u = hist("--uid", USER)
            expect(u and all(any(x["uid"] == pw.pw_uid for x in r.get("holders", [r]))
                             for r in u), "--uid: B's rows", u)
            expect(len([r for r in u if r["kind"] == "socket"]) == 4, "--uid: B's 4 sockets", u)
            expect(not hist("--uid", USER, "--lport", 23601), "--uid USER --lport A's: none")
            w = rows(ctx, "who", 23602, "--at", at, "--netns", ns.inode)
            expect(len(w) == 2, "who 23602 --at: B's listener and accepted socket", w)
            w = rows(ctx, "who", 23602, "--at", at, "--netns", ns.inode, "--uid", USER,
                     "--laddr", "127.0.0.0/8")
            expect(len(w) == 1 and w[0]["lport"] == 23602 and plain(w[0]["laddr"]) == "127.0.0.1",
                   "who --at --uid --laddr: B's accepted socket only", w)
            w = rows(ctx, "who", 23602, "--at", at, "--netns", ns.inode, "--uid", 0,
                     expect_rc=6)
            expect(not w, "who --at --uid 0: B is not root's", w)
            lim = rows(ctx, "history", "--netns", ns.inode, "--lport", 23601, "--limit", 1)
            expect(len(lim) == 1 and lim[0]["lport"] == 23601, "--limit counts matching rows",
                   lim)
        finally:
            d.stop()
    finally:
        del_user(USER)


# ---- bad values -----------------------------------------------------------------------


@test(timeout=60)
def test_filt_bad_filter_values_exit_2(ctx):
    cases = [
        (["trace", "--laddr", "10.0.0.0/33"], "prefix length past 32"),
        (["ports", "--raddr", "::1/129"], "prefix length past 128"),
        (["who", "80", "--laddr", "1.2.3.4/8"], "host bits set"),
        (["history", "--raddr", "10.0.0"], "bad IPv4 address"),
        (["trace", "--uid", "no-such-user-sstest"], "no such user"),
        (["ports", "--uid", "4294967295"], "expected a uid"),
        (["who", "80", "--netns", "no-such-netns-sstest"], "no network namespace"),
        (["history", "--netns", "../x"], "expected a namespace"),
        (["trace", "--cgroup", "/no-such-cgroup-sstest"], "no such cgroup"),
        (["ports", "--cgroup", "a/../b"], "'..'"),
        (["ports", "--state", "established,nosuch"], "unknown state 'nosuch'"),
        (["who", "80", "--state", ""], "--state"),
        (["trace", "--lport", "0"], "expected 1-65535"),
        (["history", "--rport", "65536"], "expected 1-65535"),
        (["history", "--cgroup", "a/../b"], "'..'"),
        (["trace", "--state", "established"], "does not apply to 'trace'"),
    ]
    for args, want in cases:
        h.run_bad(ctx, args, 2, one_line=True)
        r = subprocess.run([ctx.binary] + args, capture_output=True, text=True, timeout=15)
        expect(want in r.stderr, "%s: %r does not say %r" % (" ".join(args), r.stderr, want))
