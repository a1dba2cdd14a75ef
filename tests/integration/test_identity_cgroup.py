"""Who, really: the cgroup identity (cgroup, unit, container_id,
container_runtime, pod_uid) on events, ports/who rows, explanations and
history, and the --container / --unit filters.

Real cgroups, shaped like each runtime's, are made under the cgroup-v2 root
(found from /proc/mounts), a process is put in each (its pid written to
cgroup.procs before it creates a socket), and everything sockscope says about
it is checked. The docker-shaped one also has its own pid and network
namespaces (unshare --pid --net --fork --mount-proc), as a container does.
The cgroups are removed afterwards, also when a check fails.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import harness as h
from harness import ABSENT, check, expect, one, pick, test

# Binds and listens on PORT (0.0.0.0), optionally tries a second bind of the
# same port (EADDRINUSE: the failure explained), prints "ready", holds the
# socket until stdin closes.
SERVER = r'''
import os, socket, sys
port, conflict = int(sys.argv[1]), sys.argv[2] == "1"
s = socket.socket(); s.bind(("0.0.0.0", port)); s.listen(8)
if conflict:
    t = socket.socket()
    try:
        t.bind(("0.0.0.0", port))
    except OSError:
        pass
    t.close()
print("ready", flush=True)
sys.stdin.read()
'''


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return parts[1]
    raise h.Skip("no cgroup v2 mounted")


def hexid(rng, n=64):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def uuid(rng):
    x = hexid(rng, 32)
    return "%s-%s-%s-%s-%s" % (x[:8], x[8:12], x[12:16], x[16:20], x[20:])


class Layouts:
    """The cgroups of one test run, each with the identity sockscope must
    report (None: the field must be absent)."""

    def __init__(self, ctx):
        self.root = cgroup2_root()
        rng = random.Random(os.getpid() ^ int(time.time()))
        tag = "ssit%d" % os.getpid()
        pod, pod2 = uuid(rng), uuid(rng)
        ids = {k: hexid(rng) for k in ("docker", "cri", "crio", "podman", "kube", "kubefs")}
        top = "/%s.slice" % tag
        self.top = top
        self.made = []
        self.procs = []
        self.ctx = ctx
        # name: (path, unit, container_id, runtime, pod_uid, own namespaces)
        self.cases = {
            "docker": (top + "/docker-%s.scope" % ids["docker"], "docker-%s.scope" % ids["docker"],
                       ids["docker"], "docker", None, True),
            "containerd": (top + "/cri-containerd-%s.scope" % ids["cri"],
                           "cri-containerd-%s.scope" % ids["cri"], ids["cri"], "containerd",
                           None, False),
            "crio": (top + "/crio-%s.scope" % ids["crio"], "crio-%s.scope" % ids["crio"],
                     ids["crio"], "cri-o", None, False),
            "podman": (top + "/libpod-%s.scope" % ids["podman"], "libpod-%s.scope" % ids["podman"],
                       ids["podman"], "podman", None, False),
            "kubepods": (top + "/kubepods.slice/kubepods-burstable.slice/"
                         "kubepods-burstable-pod%s.slice/cri-containerd-%s.scope" % (
                             pod.replace("-", "_"), ids["kube"]),
                         "cri-containerd-%s.scope" % ids["kube"], ids["kube"], "containerd", pod,
                         False),
            "kubepods_fs": (top + "/kubepods/burstable/pod%s/%s" % (pod2, ids["kubefs"]),
                            None, ids["kubefs"], None, pod2, False),
            "service": (top + "/%s-nginx.service" % tag, "%s-nginx.service" % tag, None, None,
                        None, False),
        }

    def make(self):
        for name in self.cases:
            self.make_one(name)

    def make_one(self, name):
        parts = self.cases[name][0].strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = os.path.join(self.root, *parts[:i])
            if not os.path.isdir(p):
                os.mkdir(p)
                self.made.append(p)

    def start(self, name, ns, port, conflict=False):
        """A server in cgroup name; returns (host pid, Popen)."""
        path, *_, own_ns = self.cases[name]
        procs = os.path.join(self.root, path.lstrip("/"), "cgroup.procs")
        run = [sys.executable, "-c", SERVER, str(port), "1" if conflict else "0"]
        if own_ns:
            run = ["unshare", "--pid", "--net", "--fork", "--mount-proc"] + run
        # the shell moves itself, then becomes the server: no socket before
        # nsenter, not ip netns exec: that one mounts a /sys of its own,
        # without the cgroup tree
        cmd = ["nsenter", "--net=/run/netns/" + ns.name, "sh", "-c",
               'echo $$ > "$0" && exec "$@"', procs] + run
        self.ctx.note("$ " + " ".join(cmd))
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        self.procs.append(p)
        self.last = p
        line = p.stdout.readline()
        if line.strip() != b"ready":
            raise h.Fail("server in %s did not start: %s" % (name, p.stderr.read()[-300:]))
        with open(procs) as f:
            pids = [int(x) for x in f.read().split()]
        # unshare forks: the server is the member that is not the shell
        pid = [x for x in pids if x != p.pid] if own_ns else [p.pid]
        expect(len(pid) == 1, "%s: cgroup members %r" % (name, pids))
        return pid[0]

    def run(self, name, ns, *argv, timeout=30):
        """Runs argv in cgroup name and netns ns to its end: its stdout's
        JSON facts (as workload.py prints them)."""
        path = self.cases[name][0]
        procs = os.path.join(self.root, path.lstrip("/"), "cgroup.procs")
        cmd = ["nsenter", "--net=/run/netns/" + ns.name, "sh", "-c",
               'echo $$ > "$0" && exec "$@"', procs] + [str(a) for a in argv]
        self.ctx.note("$ " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, timeout=timeout)
        if r.returncode != 0:
            raise h.Fail("%s in %s: exit %d: %s" % (argv[:3], name, r.returncode,
                                                     r.stderr.decode(errors="replace")[-300:]))
        return json.loads(r.stdout.decode().strip().splitlines()[-1])

    def cleanup(self):
        h.kill_procs(self.procs)  # before the rmdirs: a cgroup with tasks stays
        for d in reversed(self.made):
            for _ in range(50):  # a killed process leaves its cgroup soon after
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        left = [d for d in self.made if os.path.isdir(d)]
        if left:
            raise h.Fail("cgroups left behind: %r" % left)


def want(layouts, name):
    path, unit, cid, rt, pod, _ = layouts.cases[name]
    return {"cgroup": path, "unit": unit or ABSENT, "container_id": cid or ABSENT,
            "container_runtime": rt or ABSENT, "pod_uid": pod or ABSENT}


def column(layouts, name):
    _, unit, cid, rt, _, _ = layouts.cases[name]
    if cid:
        return cid[:12] + ("(%s)" % rt if rt else "")
    return unit


def with_layouts(ctx, fn):
    lay = Layouts(ctx)
    try:
        lay.make()
        fn(lay)
    finally:
        lay.cleanup()


PORTS = {"docker": 23101, "containerd": 23102, "crio": 23103, "podman": 23104,
         "kubepods": 23105, "kubepods_fs": 23106, "service": 23107}


def sockscope_json(ctx, *args, rc=0):
    r = h.run_sockscope(ctx, *args, expect_rc=rc)
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


@test(timeout=120)
def test_identity_every_layout(ctx):
    """Each runtime's layout: the events, ports and who rows (JSON and the
    UNIT/CONTAINER column) carry its cgroup, unit, container and pod."""
    ns = ctx.netns()

    def body(lay):
        tr = ctx.tracer("-e", "bind,listen")
        pids = {name: lay.start(name, ns, PORTS[name]) for name in lay.cases}
        res = tr.finish(ns)
        for name, pid in pids.items():
            w = want(lay, name)
            for ev in ("bind", "listen"):
                e = one(res.events, "%s %s" % (name, ev), event=ev, pid=pid)
                check(e, "%s %s" % (name, ev), lport=PORTS[name], **w)
        # the docker-shaped one is in its own network namespace
        dock = one(res.events, "docker bind", event="bind", pid=pids["docker"])
        expect(dock["netns"] != ns.inode, "docker server shares the test's netns")
        rows = sockscope_json(ctx, "ports", "--json")
        for name, pid in pids.items():
            r = one(rows, "ports row of %s" % name, lport=PORTS[name])
            check(r, "ports row of %s" % name, **want(lay, name))
            hs = r["holders"]
            expect(len(hs) == 1 and hs[0]["pid"] == pid, "%s holders %r" % (name, hs))
            check(hs[0], "ports holder of %s" % name, **want(lay, name))
            who = sockscope_json(ctx, "who", PORTS[name], "--json")
            r = one(who, "who row of %s" % name, lport=PORTS[name], state="LISTEN")
            check(r, "who row of %s" % name, **want(lay, name))
        text = h.run_sockscope(ctx, "ports").stdout.splitlines()
        expect("UNIT/CONTAINER" in text[0].split(), "ports header: %r" % text[0])
        col = text[0].split().index("UNIT/CONTAINER")
        for name in lay.cases:
            line = [x for x in text if (":%d " % PORTS[name]) in x]
            expect(len(line) == 1, "ports text: %d lines for %s" % (len(line), name))
            got = line[0].split()[col]
            expect(got == column(lay, name), "ports text %s: column %r, want %r in %r" % (
                name, got, column(lay, name), line[0]))
        text = h.run_sockscope(ctx, "who", PORTS["docker"]).stdout
        expect(column(lay, "docker") in text, "who does not name the container: %r" % text)

    with_layouts(ctx, body)


@test(timeout=120)
def test_identity_filters(ctx):
    """--container (a 12-digit prefix or the full id) and --unit select the
    processes of that container or unit, in trace, ports and who."""
    ns = ctx.netns()

    def body(lay):
        dock_id = lay.cases["docker"][2]
        svc_unit = lay.cases["service"][1]
        tc = ctx.tracer("--container", dock_id[:12], "-e", "bind,listen")
        tu = ctx.tracer("--unit", svc_unit, "-e", "bind,listen")
        pids = {name: lay.start(name, ns, PORTS[name]) for name in ("docker", "podman", "service")}
        rc, ru = tc.finish(ns), tu.finish(ns)
        expect(rc.events and all(e.get("container_id") == dock_id for e in rc.events),
               "--container: other events: %s" % [h.fmt(e) for e in rc.events][:5])
        expect(len(pick(rc.events, pid=pids["docker"])) == 2, "--container: docker's 2 events")
        expect(ru.events and all(e.get("unit") == svc_unit for e in ru.events),
               "--unit: other events")
        expect(len(pick(ru.events, pid=pids["service"])) == 2, "--unit: the service's 2 events")
        rows = sockscope_json(ctx, "ports", "--json", "--container", dock_id)
        expect([r["lport"] for r in rows] == [PORTS["docker"]], "ports --container: %r" % rows)
        rows = sockscope_json(ctx, "ports", "--json", "--unit", svc_unit)
        expect([r["lport"] for r in rows] == [PORTS["service"]], "ports --unit: %r" % rows)
        rows = sockscope_json(ctx, "who", PORTS["podman"], "--json", "--container", dock_id[:12],
                              rc=6)
        expect(not rows, "who --container of another container: %r" % rows)
        rows = sockscope_json(ctx, "who", PORTS["podman"], "--json", "--container",
                              lay.cases["podman"][2][:16])
        expect(len(rows) == 1, "who --container: %r" % rows)

    with_layouts(ctx, body)


@test(timeout=60)
def test_identity_explained(ctx):
    """An EADDRINUSE names the holder's unit, or its container."""
    ns = ctx.netns()

    def body(lay):
        tr = ctx.tracer("--failed")
        svc = lay.start("service", ns, PORTS["service"])
        dock = lay.start("docker", ns, PORTS["docker"], conflict=True)
        # a bind outside any of our cgroups, on the service's port
        subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-c",
                        "import socket\ntry:\n socket.socket().bind(('0.0.0.0', %d))\n"
                        "except OSError: pass" % PORTS["service"]], check=True, timeout=10)
        res = tr.finish(ns)
        fails = [e for e in res.events if e.get("lport") == PORTS["service"]]
        expect(len(fails) == 1, "service conflict: %d failures" % len(fails), res.events)
        unit = lay.cases["service"][1]
        want_reason = "port %d is held by pid %d (python3, %s)" % (PORTS["service"], svc, unit)
        expect(fails[0]["reason"].startswith(want_reason), "reason %r, want %r..." % (
            fails[0]["reason"], want_reason))
        check(fails[0]["holders"][0], "explained holder", pid=svc, unit=unit)
        fails = [e for e in res.events if e.get("lport") == PORTS["docker"]]
        expect(len(fails) == 1, "docker conflict: %d failures" % len(fails), res.events)
        cid = lay.cases["docker"][2]
        # (it runs in a pid namespace of its own: the explanation may add
        # ", pid N in its namespace" before the parenthesis closes)
        want_reason = "port %d is held by pid %d (python3, container %s docker" % (
            PORTS["docker"], dock, cid[:12])
        expect(fails[0]["reason"].startswith(want_reason), "reason %r, want %r..." % (
            fails[0]["reason"], want_reason))
        check(fails[0], "the failing event", pid=dock, container_id=cid)

    with_layouts(ctx, body)


@test(timeout=30)
def test_identity_bad_filters(ctx):
    """Bad --container / --unit values: exit 2, one line."""
    for args in (["trace", "--container", "0123456789a"], ["ports", "--container", "xyz"],
                 ["who", "80", "--container", "0123456789ABCDEF"],
                 ["history", "--container", "0123456789abcdeg"],
                 ["ports", "--unit", ""], ["trace", "--unit", "u" * 300],
                 ["trace", "--container", "0" * 65]):
        h.run_bad(ctx, args, 2, one_line=True)


@test(timeout=120)
def test_identity_history(ctx):
    """The daemon stores each row's cgroup; history prints its identity and
    filters on --unit and --container, from the daemon and from the file."""
    from test_daemon import Daemon, wait_for
    ns = ctx.netns()

    def body(lay):
        d = Daemon(ctx)
        try:
            svc = lay.start("service", ns, PORTS["service"])
            svc_p = lay.last
            dock = lay.start("docker", ns, PORTS["docker"], conflict=True)
            dock_p = lay.last
            for p in (svc_p, dock_p):  # they close their sockets and exit
                p.stdin.close()
                p.wait(10)
            unit, cid = lay.cases["service"][1], lay.cases["docker"][2]

            def rows(*args):
                r = h.run_sockscope(ctx, "history", "--json", *args)
                return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]

            got = wait_for("the service's socket row", lambda: [
                r for r in rows("--unit", unit) if r["kind"] == "socket"])
            check(got[0], "socket row", lport=PORTS["service"], **want(lay, "service"))
            expect([x["pid"] for x in got[0]["holders"]] == [svc], "holders %r" % got[0])
            expect(all(r.get("unit") == unit for r in rows("--unit", unit)),
                   "history --unit: rows of other units")
            got = wait_for("the container's rows", lambda: (
                lambda v: v if {"socket", "failure", "owner"} <= {r["kind"] for r in v} else None
            )(rows("--container", cid[:12])))
            for r in got:
                check(r, "history --container row (%s)" % r["kind"], **want(lay, "docker"))
            fail = one(got, "the container's failure", kind="failure")
            check(fail, "failure row", pid=dock, lport=PORTS["docker"])
            expect("container %s docker" % cid[:12] in fail["reason"], "reason %r" % fail["reason"])
            owners = pick(got, kind="owner", pid=dock)
            expect({r["action"] for r in owners} >= {"bind", "listen"}, "owner rows %r" % owners)
            text = h.run_sockscope(ctx, "history", "--container", cid).stdout
            expect(text and all(("in %s(docker)" % cid[:12]) in l for l in text.splitlines()),
                   "history text: %r" % text[:400])
            expect(not rows("--container", "f" * 12, "--unit", unit), "two filters: and")
        finally:
            d.stop()
        # the file itself, read-only, without the daemon
        r = h.run_sockscope(ctx, "history", "--json", "--db", d.db, "--unit", unit)
        got = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        expect(got and all(x.get("unit") == unit for x in got), "history --db --unit: %r" % got)
        expect(pick(got, kind="socket", lport=PORTS["service"]), "no socket row in the file")
        seen.update(db=d.db, top=lay.top, service=lay.cases["service"][0],
                    docker=lay.cases["docker"][0])

    seen = {}
    with_layouts(ctx, body)
    # The cgroups are gone now: history --cgroup matches the stored paths,
    # that cgroup or below it.
    def paths(*args):
        r = h.run_sockscope(ctx, "history", "--json", "--db", seen["db"], *args)
        return [json.loads(x).get("cgroup") for x in r.stdout.splitlines() if x.strip()]
    svc = paths("--cgroup", seen["service"])
    expect(svc and all(p == seen["service"] for p in svc), "history --cgroup SERVICE: %r" % svc)
    top = paths("--cgroup", seen["top"])
    expect({seen["service"], seen["docker"]} <= set(top) and
           all(p.startswith(seen["top"] + "/") for p in top), "history --cgroup TOP: %r" % top)
    expect(not paths("--cgroup", seen["top"] + "x"), "--cgroup matched a partial component")


@test(timeout=60)
def test_identity_async_owner(ctx):
    """An outcome raised in softirq (async) carries the owner's identity, not
    that of whatever the softirq interrupted."""
    ns = ctx.netns()

    def body(lay):
        tr = ctx.tracer("--states")
        f = lay.run("podman", ns, sys.executable, h.WORKLOAD, "nb_connect_delayed", "4", 23120,
                    "ok")
        res = tr.finish(ns)
        c = f["client_pid"]
        cd = one(res.ours, "async connect_done", event="connect_done", pid=c)
        check(cd, "async connect_done", **dict(want(lay, "podman"), **{"async": True}))
        states = pick(res.ours, event="state", pid=c)
        expect(states, "no state events of the client")
        for e in states:
            check(e, "state event of the client", **want(lay, "podman"))

    with_layouts(ctx, body)


@test(timeout=60)
def test_identity_hostile_names(ctx):
    """A cgroup named by someone hostile (quotes, backslash, tab, spaces,
    non-UTF-8): every line stays one valid JSON object or one text row."""
    ns = ctx.netns()

    def body(lay):
        # the kernel refuses a newline in a cgroup name; a tab and a byte
        # that is not UTF-8 it takes
        raw = b'ss"it\\ x\ty \xff.service'
        name = raw.decode("utf-8", errors="surrogateescape")
        lay.cases["hostile"] = ("%s/%s" % (lay.top, name), name, None, None, None, False)
        lay.make_one("hostile")
        tr = ctx.tracer("-e", "bind,listen")
        pid = lay.start("hostile", ns, 23130)
        res = tr.finish(ns)  # every line parsed and validated
        e = one(res.events, "hostile bind", event="bind", pid=pid)
        want_unit = raw.decode("utf-8", errors="replace")
        expect(e.get("unit") == want_unit, "unit %r, want %r" % (e.get("unit"), want_unit))
        text = h.run_sockscope(ctx, "who", 23130).stdout.splitlines()
        expect(len(text) == 2, "who text: %r" % text)
        for esc in ("\\x09", "\\x20", "\\xff", "\\x5c"):
            expect(esc in text[1], "%s not in the column: %r" % (esc, text[1]))

    with_layouts(ctx, body)
