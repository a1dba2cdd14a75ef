#!/usr/bin/env python3
"""sockscope real-kernel integration tests.

    python3 tests/integration/run.py --binary ./sockscope [-k SUBSTRING] [-v]

Each test starts the real tracer, runs a workload (tests/integration/workload.py)
in a network namespace of its own, stops the tracer and asserts on the exact
events whose `netns` is that namespace's inode (docs/CONTRACT.md is the spec).
Output: one line per test (PASS / FAIL / SKIP), then exactly one line
`integration: N passed, N failed, N skipped`. Exit 0 only without failures.
Without root or BPF every test is skipped, loudly; with CI set, skips fail.

Standard library only. -v prints, for each failure, the events and the
tracer's stderr, and keeps the test's temporary directory.
"""

import argparse
import calendar
import ctypes
import errno as errno_mod
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")

LOOP = {"4": "127.0.0.1", "6": "::1"}
FAMNAME = {"4": "inet", "6": "inet6"}
KERNEL_EVENTS = ("socket", "bind", "listen", "connect", "connect_done", "accept", "close",
                 "state")
TCP_STATES = {"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
              "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
              "BOUND_INACTIVE"}
INT_FIELDS = ("pid", "tid", "uid", "cgroup_id", "netns", "cookie", "lport", "rport", "errno",
              "backlog", "latency_ns", "duration_ns", "bytes_sent", "bytes_received", "lost",
              "sockets")
NOT_EVENTS = ("lost", "resync")  # records the summary's event count leaves out
SUMMARY_RE = re.compile(r"^sockscope: (\d+) events, (\d+) lost$")
TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$")
TEXT_LINE_RE = re.compile(rb"^\d\d:\d\d:\d\d\.\d{6} ")


# ---- results -----------------------------------------------------------------


class Fail(Exception):
    """A test failure. details: extra lines shown with -v."""

    def __init__(self, msg, details=None):
        super().__init__(msg)
        self.details = details or []


class Skip(Exception):
    pass


class Timeout(BaseException):
    """Raised by the per-test alarm; BaseException so tests cannot swallow it."""


# ---- registry ----------------------------------------------------------------


class Test:
    def __init__(self, name, fn, timeout, needs):
        self.name, self.fn, self.timeout, self.needs = name, fn, timeout, needs


TESTS = []


def test(timeout=60, needs=()):
    """Register a test function; its name is the function's without 'test_'."""

    def deco(fn):
        TESTS.append(Test(fn.__name__[len("test_"):], fn, timeout, tuple(needs)))
        return fn

    return deco


# ---- event matching and assertions -------------------------------------------


class _Absent:
    def __repr__(self):
        return "<absent>"


ABSENT = _Absent()


class P:
    """A predicate on one field value, with a readable description."""

    def __init__(self, fn, desc):
        self.fn, self.desc = fn, desc

    def __call__(self, v):
        try:
            return bool(self.fn(v))
        except Exception:
            return False

    def __repr__(self):
        return self.desc


POS = P(lambda v: type(v) is int and v > 0, "<int > 0>")


def fmt(e):
    """An event, compact, for messages."""
    skip = ("ts", "tid", "uid", "cgroup_id", "netns", "_i")
    d = {k: v for k, v in e.items() if k not in skip}
    return "#%s %s" % (e.get("_i", "?"), json.dumps(d, separators=(",", ":")))


def crit_str(crit):
    return " ".join("%s=%r" % kv for kv in crit.items())


def field_ok(e, k, want):
    have = e.get(k, ABSENT)
    if want is ABSENT:
        return have is ABSENT
    if isinstance(want, P):
        return have is not ABSENT and want(have)
    return have is not ABSENT and have == want and type(have) is type(want)


def pick(evs, **crit):
    return [e for e in evs if all(field_ok(e, k, w) for k, w in crit.items())]


def one(evs, what, **crit):
    m = pick(evs, **crit)
    if len(m) != 1:
        raise Fail("expected exactly one %s (%s), found %d%s" % (
            what, crit_str(crit), len(m), (": " + " | ".join(fmt(e) for e in m)) if m else ""),
            [fmt(e) for e in evs])
    return m[0]


def check(e, what, **crit):
    bad = ["%s=%r (want %r)" % (k, e.get(k, ABSENT), w) for k, w in crit.items()
           if not field_ok(e, k, w)]
    if bad:
        raise Fail("%s: %s in %s" % (what, ", ".join(bad), fmt(e)))


def expect(cond, msg, evs=None):
    if not cond:
        raise Fail(msg, [fmt(e) for e in evs] if evs else None)


def expect_count(evs, what, n, **crit):
    m = pick(evs, **crit)
    expect(len(m) == n, "expected %d %s (%s), found %d%s" % (
        n, what, crit_str(crit), len(m), (": " + " | ".join(fmt(e) for e in m[:6])) if m else ""),
        evs)
    return m


def ordered(seq, what):
    """The events appear in this order in the stream, with non-decreasing ts."""
    for a, b in zip(seq, seq[1:]):
        if not a["_i"] < b["_i"]:
            raise Fail("%s: out of order: %s before %s" % (what, fmt(b), fmt(a)))
        if ts_ns(a["ts"]) > ts_ns(b["ts"]):
            raise Fail("%s: ts goes backwards: %s (%s) then %s (%s)" % (
                what, a["ts"], fmt(a), b["ts"], fmt(b)))


def counts(evs, kinds=KERNEL_EVENTS):
    return {k: len([e for e in evs if e.get("event") == k]) for k in kinds}


def expect_counts(evs, what, want):
    got = counts(evs, tuple(want))
    if got != want:
        diff = ", ".join("%s: %d (want %d)" % (k, got[k], want[k]) for k in want
                         if got[k] != want[k])
        raise Fail("%s: wrong event counts: %s" % (what, diff), [fmt(e) for e in evs])


def holder_pids(e):
    """Pids in a close event's holders, sorted (each holder once)."""
    return sorted(x.get("pid") for x in e.get("holders", []))


def expect_holders(e, what, pids):
    got = holder_pids(e)
    expect(got == sorted(pids), "%s: holders %s, want pids %s (everyone who held it, once "
           "each): %s" % (what, got, sorted(pids), fmt(e)))
    for x in e.get("holders", []):
        expect(x.get("uid") == 0 and isinstance(x.get("comm"), str) and x["comm"],
               "%s: holder fields %r" % (what, x))


def ts_ns(ts):
    m = TS_RE.match(ts)
    if not m:
        raise Fail("bad ts %r" % ts)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(m.group(2))


# ---- record validation (the contract's JSON schema) ----------------------------


def _addr_problem(s, family):
    if not isinstance(s, str):
        return "not a string"
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        return "not an IP address"
    if a.version == 4:
        return None if str(a) == s else "not dotted-quad form"
    if family == "inet":
        return "IPv6 address on an inet socket"
    if a.ipv4_mapped is not None:
        return "v4-mapped address not printed as IPv4"
    return None if str(a) == s else "not RFC 5952 form (want %s)" % a


def validate(e, complete=False):
    """Problems with one record against the contract's schema. complete: the
    record is about a socket the test made while tracing, so every field the
    contract lists for its event must be there (a socket the tracer only saw
    part of may lack what it could not know, e.g. duration_ns)."""
    p = []
    ev = e.get("event")
    if ev not in KERNEL_EVENTS + NOT_EVENTS:
        p.append("unknown event %r" % (ev,))
    if not isinstance(e.get("ts"), str) or not TS_RE.match(e["ts"]):
        p.append("ts %r is not RFC 3339 UTC with nanoseconds" % (e.get("ts"),))
    for k in INT_FIELDS:
        if k in e and (type(e[k]) is not int or e[k] < 0):
            p.append("%s=%r is not a non-negative integer" % (k, e[k]))
    for k in ("lport", "rport"):
        if type(e.get(k)) is int and not 0 <= e[k] <= 65535:
            p.append("%s=%r out of range" % (k, e[k]))
    if ev == "lost":
        if not (type(e.get("lost")) is int and e["lost"] > 0):
            p.append("lost record without lost > 0")
        if not isinstance(e.get("since"), str) or not TS_RE.match(e["since"]):
            p.append("lost record: since %r is not RFC 3339" % (e.get("since"),))
        return p
    if ev == "resync":
        if type(e.get("sockets")) is not int:
            p.append("resync record without sockets")
        return p
    if "comm" in e and not isinstance(e["comm"], str):
        p.append("comm is not a string")
    if "pid" in e and "comm" not in e:
        p.append("pid without comm")
    if e.get("proto") not in ("tcp", "udp"):
        p.append("proto %r" % (e.get("proto"),))
    if e.get("family") not in ("inet", "inet6"):
        p.append("family %r" % (e.get("family"),))
    for a, port in (("laddr", "lport"), ("raddr", "rport")):
        if (a in e) != (port in e):
            p.append("%s without %s" % ((a, port) if a in e else (port, a)))
        if a in e:
            why = _addr_problem(e[a], e.get("family"))
            if why:
                p.append("%s=%r: %s" % (a, e[a], why))
    if ("error" in e) != ("errno" in e):
        p.append("error and errno must come together")
    if "errno" in e and type(e["errno"]) is int:
        if e["errno"] <= 0 or errno_mod.errorcode.get(e["errno"]) != e.get("error"):
            p.append("error %r does not name errno %r" % (e.get("error"), e["errno"]))
    if "async" in e and e["async"] is not True:
        p.append("async=%r (only true or absent)" % (e["async"],))
    if "implicit" in e and (e["implicit"] is not True or ev != "bind"):
        p.append("implicit=%r on %s (only true, only on bind)" % (e["implicit"], ev))
    if "reason" in e and (not isinstance(e["reason"], str) or not e["reason"] or
                          "error" not in e):
        p.append("reason %r (a non-empty string, on failures only)" % (e["reason"],))
    if "holders" in e:
        hs = e["holders"]
        if not isinstance(hs, list) or not all(isinstance(x, dict) for x in hs):
            p.append("holders is not a list of objects")
        else:
            for x in hs:
                for k in ("pid", "uid", "cookie", "lport", "rport"):
                    if k in x and (type(x[k]) is not int or x[k] < 0):
                        p.append("holder %s=%r" % (k, x[k]))
                if "comm" in x and not isinstance(x["comm"], str):
                    p.append("holder comm %r" % (x["comm"],))
                if ev == "close" and not ("pid" in x and "comm" in x and "uid" in x):
                    p.append("close holder without pid/comm/uid: %r" % (x,))
    if not complete:
        need = ()
    else:
        need = {"socket": ("type",), "listen": ("backlog",), "connect_done": ("latency_ns",),
                "close": ("duration_ns", "holders"), "state": ("old_state", "new_state")
                }.get(ev, ())
        for k in ("pid", "tid", "uid", "comm", "cgroup_id", "netns", "cookie"):
            if k not in e:
                p.append("%s event of a socket made while tracing, without %s" % (ev, k))
    for k in need:
        if k not in e:
            p.append("%s event without %s" % (ev, k))
    if ev == "socket" and e.get("type") not in ("stream", "dgram"):
        p.append("socket type %r" % (e.get("type"),))
    if ev == "socket" and {"stream": "tcp", "dgram": "udp"}.get(e.get("type")) != e.get("proto"):
        p.append("socket type %r with proto %r" % (e.get("type"), e.get("proto")))
    if complete and ev == "close" and e.get("proto") == "tcp":
        for k in ("bytes_sent", "bytes_received", "state"):
            if k not in e:
                p.append("tcp close without %s" % k)
    for k in ("old_state", "new_state") + (("state",) if ev == "close" else ()):
        if k in e and e[k] not in TCP_STATES:
            p.append("%s=%r is not a TCP state name" % (k, e[k]))
    return p


def parse_ndjson(data, what):
    """Every line must be one UTF-8 JSON object; returns them with _i = line."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise Fail("%s: last line is not terminated: %r" % (what, data[-200:]))

    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d

    def bad_constant(c):
        raise ValueError("non-JSON constant %s" % c)

    out = []
    for i, raw in enumerate(data[:-1].split(b"\n"), 1):
        try:
            obj = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dups,
                             parse_constant=bad_constant)
        except (UnicodeDecodeError, ValueError) as ex:
            raise Fail("%s: line %d is not valid JSON (%s): %r" % (what, i, ex, raw[:300]))
        if not isinstance(obj, dict):
            raise Fail("%s: line %d is not a JSON object: %r" % (what, i, raw[:300]))
        obj["_i"] = i
        out.append(obj)
    return out


# ---- processes, namespaces, the tracer ------------------------------------------


_ns_counter = [0]


class Netns:
    def __init__(self, name):
        self.name = name
        self.inode = os.stat("/run/netns/" + name).st_ino

    def __repr__(self):
        return "%s (inode %d)" % (self.name, self.inode)


def _run(cmd, timeout=15, check=True):
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail("command timed out: %s" % " ".join(cmd))
    if check and r.returncode != 0:
        raise Fail("command failed (%d): %s: %s" % (
            r.returncode, " ".join(cmd), r.stderr.decode(errors="replace").strip()))
    return r


def ss_programs():
    """{id: name} of loaded BPF programs whose name starts with ss_ (sockscope's)."""
    r = _run(["bpftool", "prog", "show", "--json"])
    return {p["id"]: p.get("name", "") for p in json.loads(r.stdout or b"[]")
            if p.get("name", "").startswith("ss_")}


class Result:
    def __init__(self, records, ours, summary, stderr, rc):
        self.records = records  # everything, lost records included
        self.events = [e for e in records if e.get("event") not in NOT_EVENTS]
        self.lost = [e for e in records if e.get("event") == "lost"]
        self.resync = [e for e in records if e.get("event") == "resync"]
        self.ours = ours  # kernel events of the test's netns
        self.summary = summary  # (events, lost) from the exit line
        self.stderr = stderr
        self.rc = rc


class Tracer:
    def __init__(self, ctx, args, json_mode=True, output="file", umask=None, drain_stdout=True,
                 path=None, sub=("trace",), out_flag="-o"):
        self.ctx = ctx
        self.json = json_mode
        self.path = None
        if output == "file":
            ctx.n_out += 1
            self.path = path or os.path.join(ctx.tmp, "trace%d.%s" % (
                ctx.n_out, "json" if json_mode else "txt"))
        self.cmd = [ctx.binary] + list(sub) + (["--json"] if json_mode else []) + \
            ([out_flag, self.path] if self.path else []) + [str(a) for a in args]
        ctx.note("$ " + " ".join(self.cmd))
        pre = (lambda: os.umask(umask)) if umask is not None else None
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     preexec_fn=pre)
        ctx.procs.append(self.proc)
        self.stderr = []
        self.t_ready = None
        self.t_exit = None
        self.out = bytearray()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._read_stderr, daemon=True)]
        self.threads[0].start()
        if drain_stdout:
            self.drain()

    def drain(self):
        """Start reading stdout (not started with drain_stdout=False: a reader
        that does not read stalls the tracer once the pipe is full)."""
        t = threading.Thread(target=self._read_stdout, daemon=True)
        self.threads.append(t)
        t.start()

    def _read_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                if self.t_ready is None and line.startswith("sockscope: tracing"):
                    self.t_ready = time.monotonic()
                self.stderr.append(line)

    def _read_stdout(self):
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            with self.lock:
                self.out += chunk

    def stderr_text(self):
        with self.lock:
            return " | ".join(self.stderr[-8:])

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.t_ready is not None:
                return self
            if self.proc.poll() is not None:
                time.sleep(0.1)  # let the reader collect the last stderr lines
                raise Fail("tracer exited %d before tracing: %s" % (
                    self.proc.returncode, self.stderr_text()))
            time.sleep(0.02)
        raise Fail("no 'sockscope: tracing' line within %ds: %s" % (timeout, self.stderr_text()))

    def output(self):
        if self.path:
            try:
                with open(self.path, "rb") as f:
                    return f.read()
            except FileNotFoundError:
                return b""
        with self.lock:
            return bytes(self.out)

    def settle(self, marker=None, quiet=0.3, max_wait=4.0):
        """Wait until the output (or the lines containing marker) stops growing."""
        def size():
            data = self.output()
            return data.count(marker) if marker else len(data)

        last, t_change = size(), time.monotonic()
        deadline = t_change + max_wait
        while time.monotonic() < deadline:
            time.sleep(0.05)
            n = size()
            if n != last:
                last, t_change = n, time.monotonic()
            elif time.monotonic() - t_change >= quiet:
                return

    def wait_exit(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.t_exit is None:
            self.t_exit = time.monotonic()
        for t in self.threads:
            t.join(5)
        return rc

    def stop(self, sig=signal.SIGINT, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            self.proc.kill()
            self.wait_exit(5)
            raise Fail("tracer did not exit within %ds of %s: %s" % (
                timeout, signal.Signals(sig).name, self.stderr_text()))
        return rc

    def summary(self):
        found = [m for m in (SUMMARY_RE.match(l) for l in self.stderr) if m]
        if len(found) != 1:
            raise Fail("want exactly one 'sockscope: N events, M lost' line on stderr, got %d: %s"
                       % (len(found), self.stderr_text()))
        return int(found[0].group(1)), int(found[0].group(2))

    def finish(self, ns=None, sig=signal.SIGINT, settle=True, stopped=False, prefix=b"",
               complete=True):
        """Stop the tracer (unless it stopped by itself) and check the common
        contract: exit 0, the summary line, every line valid JSON and valid per
        the schema, summary count = records written. Returns a Result."""
        if settle and not stopped:
            self.settle(marker=(b'"netns":%d,' % ns.inode) if (ns and self.json) else None)
        rc = self.wait_exit(15) if stopped else self.stop(sig)
        self.ctx.note("tracer stderr: " + " | ".join(self.stderr))
        if rc is None:
            raise Fail("tracer did not exit by itself: %s" % self.stderr_text())
        if rc != 0:
            raise Fail("tracer exit code %d, want 0: %s" % (rc, self.stderr_text()))
        n, m = self.summary()
        data = self.output()
        if self.path:
            with self.lock:
                if self.out:
                    raise Fail("stdout not empty with -o FILE: %r" % bytes(self.out[:200]))
        if prefix:
            if not data.startswith(prefix):
                raise Fail("output file lost its previous content")
            data = data[len(prefix):]
        if not self.json:
            body = text_lines(data, "text output")
            if n != len(body):
                raise Fail("summary says %d events but %d event lines were written" % (
                    n, len(body)))
            res = Result([], [], (n, m), list(self.stderr), rc)
            res.body = body
            return res
        records = parse_ndjson(data, "tracer output")
        problems = []
        for e in records:
            mine = complete and bool(ns) and e.get("netns") == ns.inode
            for why in validate(e, complete=mine):
                problems.append("%s%s: %s" % ("" if mine else "(not our netns) ", why, fmt(e)))
        if problems:
            raise Fail("%d schema violation(s), first: %s" % (len(problems), problems[0]),
                       problems[:40])
        ours = [e for e in records if ns and e.get("netns") == ns.inode and
                e.get("event") not in NOT_EVENTS]
        self.ctx.events = ours
        res = Result(records, ours, (n, m), list(self.stderr), rc)
        if n != len(res.events):
            raise Fail("summary says %d events but %d event records were written" % (
                n, len(res.events)))
        # Timestamps are wall-clock (UTC): ours must fall within the test's run.
        lo = (self.ctx.wall_start - 5) * 10**9
        hi = (time.time() + 5) * 10**9
        for e in ours:
            if not lo <= ts_ns(e["ts"]) <= hi:
                raise Fail("ts %s is not the current UTC time: %s" % (e["ts"], fmt(e)))
        return res


class Held:
    """A workload started with --hold: it waits for go() before acting."""

    def __init__(self, ctx, proc, pidfile, what):
        self.ctx, self.proc, self.what = ctx, proc, what
        deadline = time.monotonic() + 10
        while not os.path.exists(pidfile):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Fail("held workload %s did not start: %s" % (
                    what, proc.stderr.read().decode(errors="replace")[-500:]))
            time.sleep(0.01)
        with open(pidfile) as f:
            self.pid = int(f.read())

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def wait(self, timeout=30):
        return self.ctx._collect(self.proc, self.what, timeout)


class Ctx:
    def __init__(self, opts, name):
        self.binary = opts.binary
        self.verbose = opts.verbose
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="ss-it-%s-" % name)
        self.netnses = []
        self.procs = []
        self.log = []
        self.events = None
        self.n_out = 0
        self.wall_start = time.time()

    def note(self, line):
        self.log.append(line)

    def netns(self):
        _ns_counter[0] += 1
        name = "ss-it-%d-%d" % (os.getpid(), _ns_counter[0])
        _run(["ip", "netns", "add", name])
        self.netnses.append(name)
        _run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        ns = Netns(name)
        self.note("netns %r" % ns)
        return ns

    def tracer(self, *args, ready=True, **kw):
        t = Tracer(self, args, **kw)
        if ready:
            t.wait_ready()
        return t

    def _spawn_workload(self, ns, scenario, args, extra=()):
        cmd = ["ip", "netns", "exec", ns.name, sys.executable, WORKLOAD, scenario] + \
            [str(a) for a in args] + list(extra)
        self.note("$ " + " ".join(cmd))
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if extra else subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        self.procs.append(p)
        return p

    def _collect(self, p, what, timeout):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Fail("workload %s did not finish within %ds" % (what, timeout))
        err = err.decode(errors="replace")
        if p.returncode != 0:
            raise Fail("workload %s failed (exit %d): %s" % (
                what, p.returncode, err.strip().splitlines()[-1:] or ""), err.splitlines())
        lines = out.decode().splitlines()
        if len(lines) != 1:
            raise Fail("workload %s printed %d lines, want one JSON line" % (what, len(lines)))
        facts = json.loads(lines[0])
        self.note("facts %s: %s" % (what, lines[0]))
        return facts

    def workload(self, ns, scenario, *args, timeout=30):
        p = self._spawn_workload(ns, scenario, args)
        return self._collect(p, scenario, timeout)

    def workloads(self, ns, runs, timeout=30):
        """Run several workloads at once; their facts, in order."""
        procs = [(self._spawn_workload(ns, r[0], r[1:]), r[0]) for r in runs]
        return [self._collect(p, what, timeout) for p, what in procs]

    def held_workload(self, ns, scenario, *args):
        pidfile = os.path.join(self.tmp, "hold.pid")
        p = self._spawn_workload(ns, scenario, args, ("--hold", pidfile))
        return Held(self, p, pidfile, scenario)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            for f in (p.stdin, p.stdout, p.stderr):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        for name in self.netnses:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=15)


# ---- tests: lifecycle ----------------------------------------------------------------


def base(fam, proto="tcp"):
    return dict(proto=proto, family=FAMNAME[fam])


def check_tcp_lifecycle(ctx, fam, port, tracer_args=()):
    ns = ctx.netns()
    tr = ctx.tracer(*tracer_args)
    f = ctx.workload(ns, "tcp_lifecycle", fam, port)
    evs = tr.finish(ns).ours
    host, b = LOOP[fam], base(fam)
    S, C, cport = f["server_pid"], f["client_pid"], f["client_port"]

    expect_count(evs, "socket events", 2, event="socket")
    ls = one(evs, "server socket", event="socket", pid=S)
    check(ls, "server socket", type="stream", uid=0, **b)
    cs = one(evs, "client socket", event="socket", pid=C)
    check(cs, "client socket", type="stream", uid=0, **b)
    L, K = ls["cookie"], cs["cookie"]
    bd = one(evs, "bind", event="bind")
    check(bd, "bind", pid=S, cookie=L, laddr=host, lport=port, error=ABSENT, errno=ABSENT, **b)
    ln = one(evs, "listen", event="listen")
    check(ln, "listen", pid=S, cookie=L, laddr=host, lport=port, backlog=8, error=ABSENT, **b)
    cn = one(evs, "connect", event="connect")
    check(cn, "connect", pid=C, cookie=K, raddr=host, rport=port, error=ABSENT, **b)
    cd = one(evs, "connect_done", event="connect_done")
    check(cd, "connect_done", pid=C, cookie=K, laddr=host, lport=cport, raddr=host, rport=port,
          latency_ns=POS, error=ABSENT, errno=ABSENT, **b)
    ac = one(evs, "accept", event="accept")
    check(ac, "accept", pid=S, laddr=host, lport=port, raddr=host, rport=cport, error=ABSENT,
          **b)
    A = ac["cookie"]
    expect(len({L, K, A}) == 3, "cookies not distinct: listener %r client %r accepted %r"
           % (L, K, A), evs)

    expect_count(evs, "close events", 3, event="close")
    lc = one(evs, "listener close", event="close", cookie=L)
    check(lc, "listener close", pid=S, laddr=host, lport=port, raddr=ABSENT, state="LISTEN",
          duration_ns=POS, bytes_sent=0, bytes_received=0, **b)
    sc = one(evs, "accepted socket close", event="close", cookie=A)
    check(sc, "accepted socket close (server sent 2000, received 1000)", pid=S, laddr=host,
          lport=port, raddr=host, rport=cport, state="CLOSE_WAIT", duration_ns=POS,
          bytes_sent=2000, bytes_received=1000, **b)
    cc = one(evs, "client close", event="close", cookie=K)
    check(cc, "client close (client sent 1000, received 2000)", pid=C, laddr=host, lport=cport,
          raddr=host, rport=port, state="ESTABLISHED", duration_ns=POS, bytes_sent=1000,
          bytes_received=2000, **b)

    expect_holders(cc, "client close", [C])
    expect_holders(sc, "accepted socket close", [S])
    expect_holders(lc, "listener close (the client child inherited it over fork)", [S, C])

    ordered([ls, bd, ln, lc], "listener socket")
    ordered([cs, cn, cd, cc], "client socket")
    ordered([ac, sc], "accepted socket")
    ordered([ln, cn, ac], "listen, then connect, then accept")
    # Every event of the netns belongs to one of the three sockets, each
    # attributed to the process that owns it (state events included).
    owner = {L: S, K: C, A: S}
    for e in evs:
        expect(e.get("cookie") in owner, "event of an unknown socket: %s" % fmt(e), evs)
        check(e, "event of %s socket" % {L: "listener", K: "client", A: "accepted"}[e["cookie"]],
              pid=owner[e["cookie"]], **b)
    return ns, f, evs, (L, K, A)


@test()
def test_tcp4_lifecycle(ctx):
    check_tcp_lifecycle(ctx, "4", 20100)


@test()
def test_tcp6_lifecycle(ctx):
    check_tcp_lifecycle(ctx, "6", 20110)


@test()
def test_bind_eaddrinuse(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "bind_inuse", fam, port) for fam, port in (("4", 20200), ("6", 20201))]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        mine = pick(evs, pid=f["pid"])
        socks = expect_count(mine, "socket events (tcp%s)" % fam, 2, event="socket")
        binds = expect_count(mine, "bind events (tcp%s)" % fam, 2, event="bind")
        check(binds[0], "first bind (tcp%s)" % fam, cookie=socks[0]["cookie"], laddr=LOOP[fam],
              lport=f["port"], error=ABSENT, errno=ABSENT, **base(fam))
        check(binds[1], "second bind (tcp%s)" % fam, cookie=socks[1]["cookie"], laddr=LOOP[fam],
              lport=f["port"], error="EADDRINUSE", errno=98, **base(fam))
        ordered([socks[1], binds[1]], "second socket")


@test()
def test_bind_port0(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "bind_port0", fam) for fam in "46"]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        mine = pick(evs, pid=f["pid"])
        for proto in ("tcp", "udp"):
            port = f[proto + "_port"]
            bd = one(mine, "%s%s bind" % (proto, fam), event="bind", proto=proto)
            check(bd, "%s%s bind to port 0" % (proto, fam), laddr=LOOP[fam], lport=port,
                  error=ABSENT, **base(fam, proto))
            cl = one(mine, "%s%s close" % (proto, fam), event="close", proto=proto)
            check(cl, "%s%s close" % (proto, fam), cookie=bd["cookie"], laddr=LOOP[fam],
                  lport=port)


@test()
def test_listen_without_bind(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "listen_nobind", fam) for fam in "46"]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        mine = pick(evs, pid=f["pid"])
        expect_count(mine, "bind events (tcp%s, no bind call)" % fam, 0, event="bind")
        ln = one(mine, "listen (tcp%s)" % fam, event="listen")
        check(ln, "listen on an unbound tcp%s socket" % fam, laddr=f["addr"], lport=f["port"],
              backlog=5, error=ABSENT, **base(fam))
        cl = one(mine, "close (tcp%s)" % fam, event="close")
        check(cl, "close of the auto-bound listener", cookie=ln["cookie"], lport=f["port"],
              state="LISTEN")


@test()
def test_connect_refused(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "connect_refused", fam, port) for fam, port in (("4", 20300),
                                                                          ("6", 20301))]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        mine = pick(evs, pid=f["pid"])
        cn = one(mine, "connect (tcp%s)" % fam, event="connect")
        check(cn, "connect", raddr=LOOP[fam], rport=f["port"], error=ABSENT, **base(fam))
        cd = one(evs, "connect_done (tcp%s)" % fam, event="connect_done", cookie=cn["cookie"])
        check(cd, "refused connect_done", pid=f["pid"], raddr=LOOP[fam], rport=f["port"],
              error="ECONNREFUSED", errno=111, latency_ns=POS, **base(fam))
        cl = one(mine, "close (tcp%s)" % fam, event="close", cookie=cn["cookie"])
        ordered([cn, cd, cl], "refused socket")


@test()
def test_nonblocking_connect(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "nb_connect", fam, port) for fam, port in (("4", 20400), ("6", 20401))]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        C = f["client_pid"]
        # connect() was called three times (EINPROGRESS, 0, EISCONN): one attempt.
        cn = one(evs, "connect (tcp%s, one attempt)" % fam, event="connect", pid=C)
        check(cn, "non-blocking connect", raddr=LOOP[fam], rport=f["port"], **base(fam))
        cds = pick(evs, event="connect_done", cookie=cn["cookie"])
        expect(len(cds) == 1, "tcp%s: want exactly one connect_done for the non-blocking "
               "connect, got %d: %s" % (fam, len(cds), " | ".join(fmt(e) for e in cds)), evs)
        check(cds[0], "non-blocking connect_done (tcp%s)" % fam, pid=C, laddr=LOOP[fam],
              lport=f["client_port"], raddr=LOOP[fam], rport=f["port"], latency_ns=POS,
              error=ABSENT, errno=ABSENT, **base(fam))
        ordered([cn, cds[0]], "non-blocking connect")


@test()
def test_nonblocking_connect_refused(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "nb_connect_refused", fam, port)
          for fam, port in (("4", 20500), ("6", 20501))]
    evs = tr.finish(ns).ours
    for fam, f in zip("46", fs):
        C = f["client_pid"]
        cn = one(evs, "connect (tcp%s)" % fam, event="connect", pid=C)
        cds = pick(evs, event="connect_done", cookie=cn["cookie"])
        expect(len(cds) == 1, "tcp%s: want exactly one connect_done, got %d: %s" % (
            fam, len(cds), " | ".join(fmt(e) for e in cds)), evs)
        check(cds[0], "non-blocking refused connect_done (tcp%s), connecting pid %d" % (fam, C),
              pid=C, raddr=LOOP[fam], rport=f["port"], error="ECONNREFUSED", errno=111,
              latency_ns=POS, **base(fam))
        ordered([cn, cds[0]], "non-blocking refused connect")


def check_udp(ctx, fam, port):
    ns = ctx.netns()
    tr = ctx.tracer()
    f = ctx.workload(ns, "udp", fam, port)
    evs = tr.finish(ns).ours
    host, b, P_ = LOOP[fam], base(fam, "udp"), f["pid"]
    expect_counts(evs, "udp%s" % fam, {"socket": 2, "bind": 1, "listen": 0, "connect": 1,
                                       "connect_done": 1, "accept": 0, "close": 2, "state": 0})
    socks = pick(evs, event="socket")
    for s in socks:
        check(s, "udp socket", pid=P_, type="dgram", **b)
    S, K = socks[0]["cookie"], socks[1]["cookie"]
    bd = one(evs, "bind", event="bind")
    check(bd, "udp bind", pid=P_, cookie=S, laddr=host, lport=port, error=ABSENT, **b)
    cn = one(evs, "connect", event="connect")
    check(cn, "udp connect", pid=P_, cookie=K, raddr=host, rport=port, error=ABSENT, **b)
    cd = one(evs, "connect_done", event="connect_done")
    check(cd, "udp connect_done", pid=P_, cookie=K, laddr=host, lport=f["client_port"],
          raddr=host, rport=port, latency_ns=POS, error=ABSENT, errno=ABSENT, **b)
    cc = one(evs, "client close", event="close", cookie=K)
    check(cc, "udp client close", pid=P_, laddr=host, lport=f["client_port"], raddr=host,
          rport=port, duration_ns=POS, bytes_sent=ABSENT, bytes_received=ABSENT, **b)
    sc = one(evs, "server close", event="close", cookie=S)
    check(sc, "udp server close", pid=P_, laddr=host, lport=port, raddr=ABSENT,
          duration_ns=POS, bytes_sent=ABSENT, bytes_received=ABSENT, **b)
    ordered([socks[0], bd, sc], "udp server socket")
    ordered([socks[1], cn, cd, cc], "udp client socket")


@test()
def test_udp4(ctx):
    check_udp(ctx, "4", 20600)


@test()
def test_udp6(ctx):
    check_udp(ctx, "6", 20610)


@test()
def test_v4mapped_accept(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    f = ctx.workload(ns, "v4mapped", 20700)
    evs = tr.finish(ns).ours
    port, cport, P_ = f["port"], f["client_port"], f["pid"]
    bd = one(evs, "bind", event="bind")
    check(bd, "dual-stack bind", pid=P_, laddr="::", lport=port, **base("6"))
    ln = one(evs, "listen", event="listen")
    check(ln, "dual-stack listen", pid=P_, laddr="::", lport=port, **base("6"))
    cd = one(evs, "connect_done", event="connect_done")
    check(cd, "IPv4 client connect_done", pid=P_, laddr="127.0.0.1", lport=cport,
          raddr="127.0.0.1", rport=port, error=ABSENT, **base("4"))
    ac = one(evs, "accept", event="accept")
    check(ac, "v4-mapped accept", pid=P_, laddr="127.0.0.1", lport=port, raddr="127.0.0.1",
          rport=cport, **base("6"))
    cl = one(evs, "accepted close", event="close", cookie=ac["cookie"])
    check(cl, "v4-mapped close", laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=cport,
          **base("6"))
    for e in pick(evs, cookie=ac["cookie"]):
        check(e, "event of the v4-mapped socket", family="inet6")


@test()
def test_accept_in_forked_child(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    fs = [ctx.workload(ns, "accept_child", "4", port, how)
          for port, how in ((20800, "accept4"), (20801, "accept"))]
    allevs = tr.finish(ns).ours
    for f in fs:
        evs = pick(allevs, pid=P(lambda v, f=f: v in (f["parent_pid"], f["child_pid"]),
                                 "parent|child"))
        try:
            check_accept_child(evs, f)
        except Fail as ex:
            raise Fail("with %s(2): %s" % (f["how"], ex), ex.details)


def check_accept_child(evs, f):
    P_, Ch, port, cport = f["parent_pid"], f["child_pid"], f["port"], f["client_port"]
    ls = one(evs, "listener socket", event="socket", pid=P_, cookie=one(
        evs, "listen", event="listen")["cookie"])
    ac = one(evs, "accept", event="accept")
    check(ac, "accept in the forked child", pid=Ch, laddr="127.0.0.1", lport=port,
          raddr="127.0.0.1", rport=cport, **base("4"))
    cl = one(evs, "accepted close", event="close", cookie=ac["cookie"])
    check(cl, "close of the accepted socket (the child closes first)", pid=Ch,
          state="ESTABLISHED", bytes_received=10, bytes_sent=0)
    lc = one(evs, "listener close", event="close", cookie=ls["cookie"])
    check(lc, "listener close (parent holds it last)", pid=P_, state="LISTEN")
    expect_holders(lc, "listener close", [P_, Ch])
    expect_holders(cl, "accepted socket close", [Ch])
    cd = one(evs, "connect_done", event="connect_done")
    check(cd, "parent's connect_done", pid=P_, lport=cport, error=ABSENT)


@test()
def test_close_by_other_process(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    f = ctx.workload(ns, "close_other", "4", 20900)
    evs = tr.finish(ns).ours
    P_, Ch, port, cport = f["parent_pid"], f["child_pid"], f["port"], f["client_port"]
    cn = one(evs, "connect", event="connect")
    check(cn, "connect", pid=P_, rport=port)
    K = cn["cookie"]
    sk = one(evs, "client socket", event="socket", cookie=K)
    check(sk, "client socket", pid=P_)
    closes = pick(evs, event="close", cookie=K)
    expect(len(closes) == 1, "want exactly one close for the shared socket, got %d: %s" % (
        len(closes), " | ".join(fmt(e) for e in closes)), evs)
    check(closes[0], "close by the child (last reference)", pid=Ch, laddr="127.0.0.1",
          lport=cport, raddr="127.0.0.1", rport=port, state="ESTABLISHED", duration_ns=POS)
    expect_holders(closes[0], "close of the shared socket", [P_, Ch])
    expect_count(evs, "close events", 3, event="close")
    for e in pick(evs, event="close"):
        if e["cookie"] != K:
            check(e, "parent's other closes", pid=P_)


@test()
def test_nonblocking_connect_async_outcome(ctx):
    """The outcome arrives from a timer softirq (SYN retransmitted after the
    accept queue overflowed) while the connecting process sleeps in select():
    the event must still carry the connecting process, marked async."""
    ns = ctx.netns()
    tr = ctx.tracer()
    runs = [("nb_connect_delayed", fam, port, outcome) for fam, port, outcome in
            (("4", 22000, "ok"), ("6", 22001, "ok"), ("4", 22002, "refused"),
             ("6", 22003, "refused"))]
    fs = ctx.workloads(ns, runs)
    evs = tr.finish(ns).ours
    for (_, fam, port, outcome), f in zip(runs, fs):
        what = "tcp%s %s after %.2fs" % (fam, outcome, f["elapsed"])
        C = f["client_pid"]
        cn = one(evs, "connect (%s)" % what, event="connect", pid=C)
        cds = pick(evs, event="connect_done", cookie=cn["cookie"])
        expect(len(cds) == 1, "%s: want exactly one connect_done, got %d: %s" % (
            what, len(cds), " | ".join(fmt(e) for e in cds)), evs)
        if outcome == "ok":
            crit = dict(error=ABSENT, errno=ABSENT, laddr=LOOP[fam], lport=f["client_port"])
        else:
            crit = dict(error="ECONNREFUSED", errno=111)
        check(cds[0], "connect_done (%s) of connecting pid %d" % (what, C), pid=C, tid=C,
              comm="python3", raddr=LOOP[fam], rport=port, latency_ns=P(
                  lambda v: v >= 5 * 10**8, "<int >= 0.5 s>"), **dict(base(fam), **crit))
        check(cds[0], "connect_done raised outside the process (%s)" % what, **{"async": True})


@test()
def test_connect_unreachable(ctx):
    """Synchronous failures: connect() -> ENETUNREACH (no route in the
    namespace, nothing is sent), bind() to a non-local address -> EADDRNOTAVAIL."""
    ns = ctx.netns()
    tr = ctx.tracer()
    f = ctx.workload(ns, "unreachable", 22100)
    evs = pick(tr.finish(ns).ours, pid=f["pid"])
    for proto, fam, addr in (("tcp", "4", "192.0.2.1"), ("udp", "4", "192.0.2.1"),
                             ("tcp", "6", "2001:db8::1")):
        b = base(fam, proto)
        cn = one(evs, "%s%s connect" % (proto, fam), event="connect", **b)
        check(cn, "%s%s connect" % (proto, fam), raddr=addr, rport=9, error=ABSENT)
        cd = one(evs, "%s%s connect_done" % (proto, fam), event="connect_done", **b)
        check(cd, "%s%s unreachable connect_done" % (proto, fam), cookie=cn["cookie"],
              raddr=addr, rport=9, error="ENETUNREACH", errno=101, latency_ns=POS)
        ordered([cn, cd], "%s%s connect" % (proto, fam))
    bd = one(evs, "bind", event="bind")
    check(bd, "bind to a non-local address", laddr="192.0.2.1", lport=22100,
          error="EADDRNOTAVAIL", errno=99, **base("4"))


@test()
def test_preexisting_sockets(ctx):
    """Sockets older than the tracer: their closes carry the owner and a
    duration (from first sight); a connection accepted on an old listener is
    attributed to the listener's process from its first state change."""
    ns = ctx.netns()
    w = ctx.held_workload(ns, "preexisting", "4", 22200)
    tr = ctx.tracer()
    w.go()
    f = w.wait()
    evs = tr.finish(ns).ours
    P_, C, port = f["parent_pid"], f["client_pid"], f["port"]
    h = "127.0.0.1"
    expect_count(evs, "socket events (only the new client's)", 1, event="socket")
    ac = one(evs, "accept", event="accept")
    check(ac, "accept on a pre-existing listener", pid=P_, lport=port, rport=f["client_port"])
    for e in pick(evs, cookie=ac["cookie"]):
        check(e, "event of the connection accepted on the old listener", pid=P_)
    closes = pick(evs, event="close", pid=P_)
    expect(len(closes) == 5, "want 5 closes by the workload (L, U, C0, A0, A1), got %d"
           % len(closes), evs)
    lc = one(closes, "old listener close", proto="tcp", state="LISTEN")
    check(lc, "old listener close", laddr=h, lport=port, duration_ns=POS)
    uc = one(closes, "old udp close", proto="udp")
    check(uc, "old udp close", laddr=h, lport=f["udp_port"], duration_ns=POS)
    c0 = one(closes, "old client close", lport=f["c0_port"])
    check(c0, "old client close (no data either way)", raddr=h, rport=port,
          state="ESTABLISHED", duration_ns=POS, bytes_sent=0, bytes_received=0)
    a0 = one(closes, "old accepted close", rport=f["c0_port"])
    check(a0, "old accepted close (no data either way)", laddr=h, lport=port,
          state="CLOSE_WAIT", duration_ns=POS, bytes_sent=0, bytes_received=0)
    for e in evs:
        if e.get("cookie") in (lc["cookie"], uc["cookie"], c0["cookie"], a0["cookie"]):
            check(e, "event of a pre-existing socket", pid=P_)


@test()
def test_thread_attribution(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    f = ctx.workload(ns, "thread", 22300)
    evs = tr.finish(ns).ours
    expect_counts(evs, "thread", {"socket": 1, "bind": 1, "close": 1})
    for e in evs:
        check(e, "event from a thread", pid=f["pid"], tid=f["tid"], comm="ssthread")


@test()
def test_two_tracers_at_once(ctx):
    ns = ctx.netns()
    a = ctx.tracer()
    b = ctx.tracer()
    ctx.workload(ns, "tcp_lifecycle", "4", 22400)
    key = lambda e: (e["event"], e.get("pid"), e.get("cookie"), e.get("lport"), e.get("rport"),
                     e.get("error"), e.get("old_state"), e.get("new_state"))
    ea = sorted(map(key, a.finish(ns).ours), key=repr)
    eb = sorted(map(key, b.finish(ns).ours), key=repr)
    expect(ea and ea == eb, "two tracers disagree: %d vs %d events; first tracer only: %s; "
           "second only: %s" % (len(ea), len(eb), [x for x in ea if x not in eb][:3],
                                [x for x in eb if x not in ea][:3]))
    expect(len([x for x in ea if x[0] != "state"]) == 10, "want 10 non-state events, got %d"
           % len([x for x in ea if x[0] != "state"]))


@test()
def test_ring_size_suffixes(ctx):
    ns = ctx.netns()
    for size in ("64K", "1M", "8192"):
        tr = ctx.tracer("--ring-size", size)
        f = ctx.workload(ns, "basic_udp", "ssring", 22500)
        res = tr.finish(ns)
        expect_counts(pick(res.ours, pid=f["pid"]), "--ring-size %s" % size,
                      {"socket": 2, "bind": 2, "close": 2})


# ---- tests: filters ---------------------------------------------------------------

MIX_PORTS = (21001, 21002, 21003, 21004, 21005)
MIX_PARENT = {"socket": 6, "bind": 4, "listen": 2, "connect": 2, "connect_done": 2, "accept": 2,
              "close": 8}
MIX_CHILD = {"socket": 3, "bind": 1, "listen": 0, "connect": 2, "connect_done": 2, "accept": 0,
             "close": 3}


def run_mix(ctx, *args, by_pid=False):
    ns = ctx.netns()
    if by_pid:
        w = ctx.held_workload(ns, "mix", *MIX_PORTS)
        tr = ctx.tracer("-p", w.pid, *args)
        w.go()
        f = w.wait()
        expect(f["parent_pid"] == w.pid, "held pid %d != workload pid %d" % (w.pid,
                                                                          f["parent_pid"]))
    else:
        tr = ctx.tracer(*args)
        f = ctx.workload(ns, "mix", *MIX_PORTS)
    res = tr.finish(ns)
    expect(not res.lost, "unexpected lost records: %s" % res.lost)
    return f, res


def all_events(res, what, **crit):
    """Every event record in the whole output (any netns) matches crit."""
    bad = [e for e in res.events if not all(field_ok(e, k, w) for k, w in crit.items())]
    expect(not bad, "%s: %d event(s) in the output do not match the filter (%s), e.g. %s" % (
        what, len(bad), crit_str(crit), fmt(bad[0]) if bad else ""), bad[:20])


@test()
def test_mix_unfiltered_baseline(ctx):
    """The filter tests' workload, unfiltered: the counts they rely on."""
    f, res = run_mix(ctx)
    evs = res.ours
    expect_counts(pick(evs, pid=f["parent_pid"]), "mix parent", MIX_PARENT)
    expect_counts(pick(evs, pid=f["child_pid"]), "mix child", MIX_CHILD)
    expect_count(evs, "events with no pid (except state)", 0, pid=ABSENT,
                 event=P(lambda v: v != "state", "not state"))


@test()
def test_filter_pid(ctx):
    f, res = run_mix(ctx, by_pid=True)
    all_events(res, "--pid", pid=f["parent_pid"])
    expect_counts(res.ours, "--pid (parent only)", MIX_PARENT)


@test()
def test_filter_comm(ctx):
    f, res = run_mix(ctx, "-c", "ssfiltcomm")
    expect(f["child_comm"] == "ssfiltcomm" and f["parent_comm"] == "ssfiltcomm-par", "comm setup")
    all_events(res, "--comm ssfiltcomm (parent is ssfiltcomm-par)", comm="ssfiltcomm")
    expect_counts(res.ours, "--comm (child only)", MIX_CHILD)
    for e in res.ours:
        check(e, "--comm event", pid=f["child_pid"])


@test()
def test_filter_comm_15_bytes(ctx):
    """A comm of the kernel's full 15 bytes matches --comm of those 15 bytes."""
    ns = ctx.netns()
    tr = ctx.tracer("--comm", "ss15charsnameXY")
    f = ctx.workload(ns, "basic_udp", "ss15charsnameXYZ", 22600)  # the kernel keeps 15
    res = tr.finish(ns)
    expect(f["comm"] == "ss15charsnameXY", "comm setup: %r" % f["comm"])
    all_events(res, "--comm ss15charsnameXY", comm="ss15charsnameXY")
    expect_counts(res.ours, "--comm with 15 bytes", {"socket": 2, "bind": 2, "close": 2})


@test()
def test_filter_port(ctx):
    p1 = MIX_PORTS[0]
    f, res = run_mix(ctx, "-P", p1)
    bad = [e for e in res.events if e.get("lport") != p1 and e.get("rport") != p1]
    expect(not bad, "--port %d: events with neither lport nor rport %d, e.g. %s" % (
        p1, p1, fmt(bad[0]) if bad else ""), bad)
    evs = [e for e in res.ours if e["event"] != "state"]
    expect_counts(evs, "--port %d" % p1, {"socket": 0, "bind": 2, "listen": 1, "connect": 1,
                                          "connect_done": 1, "accept": 1, "close": 3})
    P_, Ch = f["parent_pid"], f["child_pid"]
    one(evs, "successful bind", event="bind", pid=P_, lport=p1, error=ABSENT)
    one(evs, "failed bind", event="bind", pid=P_, lport=p1, error="EADDRINUSE")
    one(evs, "connect", event="connect", pid=Ch, rport=p1)
    one(evs, "accept", event="accept", pid=P_, lport=p1, rport=f["c1_port"])


@test()
def test_filter_proto_udp(ctx):
    f, res = run_mix(ctx, "--proto", "udp")
    all_events(res, "--proto udp", proto="udp")
    expect_counts(res.ours, "--proto udp", {"socket": 3, "bind": 2, "listen": 0, "connect": 1,
                                            "connect_done": 1, "accept": 0, "close": 3,
                                            "state": 0})


@test()
def test_filter_family6(ctx):
    f, res = run_mix(ctx, "--family", "6")
    all_events(res, "--family 6", family="inet6")
    evs = [e for e in res.ours if e["event"] != "state"]
    expect_counts(evs, "--family 6", {"socket": 3, "bind": 2, "listen": 1, "connect": 1,
                                      "connect_done": 1, "accept": 1, "close": 4})
    ac = one(evs, "v4-mapped accept", event="accept")
    check(ac, "v4-mapped accept under --family 6", pid=f["parent_pid"], lport=f["p4"],
          raddr="127.0.0.1", rport=f["c4_port"])


@test()
def test_filter_events(ctx):
    f, res = run_mix(ctx, "-e", "bind,close")
    all_events(res, "--events bind,close", event=P(lambda v: v in ("bind", "close"),
                                                     "bind|close"))
    expect_counts(res.ours, "--events bind,close", {
        "socket": 0, "bind": 5, "listen": 0, "connect": 0, "connect_done": 0, "accept": 0,
        "close": 11, "state": 0})


@test()
def test_filter_failed(ctx):
    f, res = run_mix(ctx, "--failed")
    all_events(res, "--failed", error=P(lambda v: isinstance(v, str), "<present>"))
    evs = res.ours
    expect(len(evs) == 2, "--failed: want exactly 2 events (EADDRINUSE bind, ECONNREFUSED "
           "connect_done), got %d" % len(evs), evs)
    one(evs, "failed bind", event="bind", pid=f["parent_pid"], laddr="127.0.0.1",
        lport=f["p1"], error="EADDRINUSE", errno=98)
    one(evs, "refused connect_done", event="connect_done", pid=f["parent_pid"],
        raddr="127.0.0.1", rport=f["p3"], error="ECONNREFUSED", errno=111)


def text_lines(data, what):
    """Text-mode output: a header line, then one line per event, each starting
    with a HH:MM:SS.micro timestamp (a line that does not is a broken event)."""
    lines = data.split(b"\n")
    expect(lines[-1] == b"", "%s: output does not end with a newline" % what)
    lines = lines[:-1]
    body = [l for l in lines if not l.startswith(b"TIME ")]
    bad = [l for l in body if not TEXT_LINE_RE.match(l)]
    if bad:
        raise Fail("%s: %d line(s) are not events (broken line?), e.g. %r" % (
            what, len(bad), bad[0][:200]))
    return body


def text_pid_lines(body, pid):
    return [l for l in body if re.match(rb"^\S+ +\S+ +%d " % pid, l)]


@test(timeout=90)
def test_states(ctx):
    ns, f, evs, (L, K, A) = check_tcp_lifecycle(ctx, "4", 21100, ("--states",))
    S, C = f["server_pid"], f["client_pid"]

    def transitions(cookie):
        return [(e["old_state"], e["new_state"]) for e in pick(evs, event="state", cookie=cookie)]

    ct = transitions(K)
    expect(ct[:2] == [("CLOSE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED")],
           "client state events start %r, want CLOSE->SYN_SENT, SYN_SENT->ESTABLISHED" % ct, evs)
    expect(("ESTABLISHED", "FIN_WAIT1") in ct, "client: no ESTABLISHED->FIN_WAIT1 in %r" % ct)
    lt = transitions(L)
    expect(lt == [("CLOSE", "LISTEN"), ("LISTEN", "CLOSE")],
           "listener state events %r, want CLOSE->LISTEN, LISTEN->CLOSE" % lt, evs)
    at = transitions(A)
    expect(("SYN_RECV", "ESTABLISHED") in at and ("ESTABLISHED", "CLOSE_WAIT") in at,
           "accepted socket: transitions %r lack SYN_RECV->ESTABLISHED or "
           "ESTABLISHED->CLOSE_WAIT" % at, evs)
    cd = one(evs, "connect_done", event="connect_done")
    est = one(evs, "client SYN_SENT->ESTABLISHED", event="state", cookie=K,
              new_state="ESTABLISHED")
    ordered([one(evs, "client ->SYN_SENT", event="state", cookie=K, new_state="SYN_SENT"), est],
            "client states")
    expect(abs(ts_ns(cd["ts"]) - ts_ns(est["ts"])) < 10**9, "connect_done far from ESTABLISHED")

    # JSON without --states: states are on.
    tr = ctx.tracer()
    f2 = ctx.workload(ns, "tcp_lifecycle", "4", 21101)
    evs2 = pick(tr.finish(ns).ours, pid=f2["client_pid"])
    expect(pick(evs2, event="state", new_state="SYN_SENT"),
           "JSON without --states: no state events (contract: on in JSON)", evs2)

    # Text: off by default, on with --states.
    for args, want in (((), False), (("--states",), True)):
        tr = ctx.tracer(*args, json_mode=False)
        f3 = ctx.workload(ns, "tcp_lifecycle", "4", 21102)
        body = tr.finish(ns).body
        mine = text_pid_lines(body, f3["client_pid"])
        expect(len([l for l in mine if re.match(rb"^\S+ +connect_done ", l)]) == 1,
               "text%s: want one connect_done line for pid %d, got: %r" % (
                   " --states" if want else "", f3["client_pid"], mine))
        states = [l for l in mine if re.match(rb"^\S+ +state ", l)]
        if want:
            expect(any(b"SYN_SENT->ESTABLISHED" in l for l in states),
                   "text --states: no SYN_SENT->ESTABLISHED line for the client: %r" % mine)
        else:
            expect(not states, "text without --states shows state lines: %r" % states)


# ---- tests: drops, stopping, output ---------------------------------------------------


BURST = 4000


def stalled_burst(ctx, *args):
    """A burst of 3*BURST events while the tracer's stdout pipe is not read:
    once the pipe is full the consumer blocks and only the ring buffer holds
    events (a 4 KiB ring holds ~25; 16 MiB holds them all). Then drain."""
    ns = ctx.netns()
    tr = ctx.tracer(*args, output="pipe", drain_stdout=False)
    f = ctx.workload(ns, "burst", BURST)
    tr.drain()
    # With losses, a socket's close may come without what its lost events
    # carried (holders): only the small-ring run tolerates missing fields.
    return f, tr.finish(ns, complete=not args)


@test(timeout=90)
def test_drops_small_ring(ctx):
    f, res = stalled_burst(ctx, "--ring-size", "4096")
    n, m = res.summary
    expect(res.lost, "no {\"event\":\"lost\"} record with a 4 KiB ring and %d events "
           "(summary: %d events, %d lost)" % (3 * BURST, n, m))
    expect(m > 0, "summary reports 0 lost with a 4 KiB ring and %d events" % (3 * BURST))
    total = sum(e["lost"] for e in res.lost)
    expect(total == m, "lost records add up to %d but the summary says %d lost" % (total, m))
    last_lost = res.lost[-1]["_i"]
    expect([e for e in res.resync if e["_i"] > last_lost],
           "no resync record after the last lost record (contract v1.1)")
    mine = [e for e in res.ours if e.get("pid") == f["pid"]]
    expect(len(mine) + m >= 3 * BURST, "%d delivered + %d lost < %d generated" % (
        len(mine), m, 3 * BURST))
    expect(len(mine) < 3 * BURST, "all %d events delivered, yet %d reported lost" % (
        len(mine), m))


@test(timeout=90)
def test_no_drops_default_ring(ctx):
    f, res = stalled_burst(ctx)
    expect(res.summary[1] == 0, "default ring lost %d events" % res.summary[1])
    expect(not res.lost, "lost records with the default ring: %s" % res.lost[:3])
    expect(not res.resync, "resync records without any loss: %s" % res.resync[:3])
    mine = pick(res.ours, pid=f["pid"])
    expect_counts(mine, "burst of %d binds" % BURST, {"socket": BURST, "bind": BURST,
                                                      "close": BURST})


def run_bad(ctx, args, want_rc, one_line=False):
    cmd = [ctx.binary] + args
    ctx.note("$ " + " ".join(cmd))
    t0 = time.monotonic()
    r = _run(cmd, timeout=15, check=False)
    err = r.stderr.decode(errors="replace").splitlines()
    expect(r.returncode == want_rc, "%s: exit %d, want %d (stderr: %s)" % (
        " ".join(args), r.returncode, want_rc, " | ".join(err)))
    expect(r.stdout == b"", "%s: unexpected stdout %r" % (" ".join(args), r.stdout[:200]))
    expect(err, "%s: no message on stderr" % " ".join(args))
    expect(not any(l.startswith("sockscope: tracing") for l in err),
           "%s: started tracing" % " ".join(args))
    if one_line:
        expect(len(err) == 1, "%s: want one stderr line, got %d: %s" % (
            " ".join(args), len(err), " | ".join(err)))
    return time.monotonic() - t0


@test()
def test_bad_usage(ctx):
    run_bad(ctx, ["trace", "--no-such-option"], 2, one_line=True)
    run_bad(ctx, ["--no-such-option"], 2, one_line=True)
    for args in (["trace", "--port", "70000"], ["trace", "--port", "0"],
                 ["trace", "--port", "80x"], ["trace", "--events", "bogus"],
                 ["trace", "--events", "bind,bogus"], ["trace", "--pid", "abc"],
                 ["trace", "--proto", "sctp"], ["trace", "--family", "5"],
                 ["trace", "--ring-size", "5000"], ["trace", "--ring-size", "2048"],
                 ["trace", "--ring-size", "4097"], ["trace", "-P", "65536"],
                 ["trace", "--count", "-1"], ["trace", "--duration", "soon"],
                 ["trace", "--port"]):
        run_bad(ctx, args, 2)


@test(needs=("bpftool",))
def test_bad_output_file(ctx):
    before = ss_programs()
    run_bad(ctx, ["trace", "--json", "-o", "/proc/nonexistent/x"], 5)
    left = wait_programs_gone(before, 3)
    expect(not left, "-o failure left BPF programs loaded: %s" % left)


def wait_programs_gone(before, timeout):
    deadline = time.monotonic() + timeout
    while True:
        left = {i: n for i, n in ss_programs().items() if i not in before}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


@test(timeout=90, needs=("bpftool",))
def test_cleanup_after_kill(ctx):
    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
        before = ss_programs()
        tr = ctx.tracer()
        mine = {i: n for i, n in ss_programs().items() if i not in before}
        expect(mine, "tracer is running but bpftool shows no ss_* program of it: "
               "cannot verify cleanup")
        rc = tr.stop(sig)
        if sig == signal.SIGKILL:
            expect(rc == -signal.SIGKILL, "kill -9: exit status %r" % rc)
        else:
            expect(rc == 0, "%s: exit %d, want 0: %s" % (sig.name, rc, tr.stderr_text()))
            tr.summary()
        left = wait_programs_gone(before, 5)
        expect(not left, "after %s, BPF programs remain: %s (were %s)" % (
            sig.name, left, mine))


@test()
def test_hostile_comm(ctx):
    ns = ctx.netns()
    comm = b'q"b\\s\nn\xffe'
    tr = ctx.tracer()
    f = ctx.workload(ns, "comm", comm.hex(), 21200)
    expect(bytes.fromhex(f["comm_hex"]) == comm, "prctl did not set the comm: %s" % f)
    evs = tr.finish(ns).ours
    bd = one(evs, "bind", event="bind", pid=f["pid"])
    check(bd, "bind by the hostile-comm process", lport=21200, laddr="127.0.0.1")
    c = bd.get("comm", "")
    m = re.match(r'^q"b\\s(.+)n(.+)e$', c, re.S)
    expect(m is not None, "comm %r does not round-trip the printable parts of %r" % (c, comm))
    for e in pick(evs, pid=f["pid"]):
        check(e, "comm of every event", comm=c)

    tr = ctx.tracer(json_mode=False)
    f = ctx.workload(ns, "comm", comm.hex(), 21201)
    body = tr.finish(ns).body
    mine = text_pid_lines(body, f["pid"])
    kinds = [l.split()[1] for l in mine]
    expect(kinds == [b"socket", b"bind", b"close"], "text: lines for pid %d are %r" % (
        f["pid"], mine))
    bind = mine[1]
    expect(b'q"b' in bind and b"127.0.0.1:21201" in bind,
           "text bind line lacks the comm or the port: %r" % bind)


@test()
def test_count(ctx):
    ns = ctx.netns()
    tr = ctx.tracer("-n", 3, "--comm", "sscount3", output="pipe")
    f = ctx.workload(ns, "basic_udp", "sscount3", 21300)
    rc = tr.wait_exit(5)
    expect(rc is not None, "--count 3: tracer still running 5 s after the workload")
    res = tr.finish(ns, stopped=True)
    expect(res.summary == (3, 0), "--count 3: summary %s" % (res.summary,))
    expect(len(res.records) == 3, "--count 3: %d records written" % len(res.records),
           res.records)
    expect([e["event"] for e in res.ours] == ["socket", "bind", "close"] and
           all(e.get("pid") == f["pid"] for e in res.ours),
           "--count 3: want the workload's socket, bind, close", res.records)


@test()
def test_duration(ctx):
    for opt, arg, lo, hi in (("--duration", "1", 0.9, 3.0), ("-d", "0.5", 0.4, 2.5)):
        tr = ctx.tracer(opt, arg)
        rc = tr.wait_exit(hi + 2)
        expect(rc is not None, "%s %s: still running after %.1f s" % (opt, arg, hi + 2))
        took = tr.t_exit - tr.t_ready
        expect(lo <= took <= hi, "%s %s: exited %.2f s after tracing started" % (
            opt, arg, took))
        tr.finish(stopped=True)


@test()
def test_closed_stdout_pipe(ctx):
    ns = ctx.netns()
    tr = ctx.tracer(output="pipe", drain_stdout=False)
    tr.proc.stdout.close()
    ctx.workload(ns, "burst", 200)
    rc = tr.wait_exit(5)
    if rc is None:
        tr.stop()
        raise Fail("tracer kept running with its stdout pipe closed")
    expect(rc == 0, "closed stdout pipe: exit status %d, want 0 (quietly): %s" % (
        rc, tr.stderr_text()))
    noise = [l for l in tr.stderr if not l.startswith("sockscope: tracing")
             and not SUMMARY_RE.match(l)]
    expect(not noise, "closed stdout pipe is not quiet: %s" % " | ".join(noise))


@test()
def test_output_file_append_and_mode(ctx):
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "new.json")
    tr = ctx.tracer(umask=0, path=path)
    ctx.workload(ns, "basic_udp", "ssappend", 21400)
    tr.finish(ns)
    mode = os.stat(path).st_mode & 0o7777
    expect(mode == 0o644, "new output file has mode %o, want 644" % mode)
    old = open(path, "rb").read()
    tr = ctx.tracer(path=path, sub=(), out_flag="--output")  # sockscope --json --output F
    f = ctx.workload(ns, "basic_udp", "ssappend", 21400)
    res = tr.finish(ns, prefix=old)
    expect_counts(pick(res.ours, pid=f["pid"]), "appended run", {"socket": 2, "bind": 2,
                                                                "close": 2})


@test()
def test_help_version(ctx):
    for args in (["--help"], ["-h"], ["--version"]):
        r = _run([ctx.binary] + args, check=False)
        expect(r.returncode == 0 and r.stdout.strip(), "%s: exit %d, stdout %r" % (
            " ".join(args), r.returncode, r.stdout[:100]))


# The port-map tests (ports, who, --watch, explained failures) live in their
# own module and use this harness through __main__; they register on import.
try:
    import ports_tests  # noqa: F401,E402
except Exception as _ex:  # a broken module is a failure, never a silent gap
    _import_error = "%s: %s" % (type(_ex).__name__, _ex)

    @test()
    def test_ports_tests_import(ctx):
        raise Fail("tests/integration/ports_tests.py does not import: %s" % _import_error)

# The daemon's tests (SQLite, sinks, rsyslog, metrics, queries), likewise.
try:
    import daemon_tests  # noqa: F401,E402
except Exception as _ex2:
    _import_error2 = "%s: %s" % (type(_ex2).__name__, _ex2)

    @test()
    def test_daemon_tests_import(ctx):
        raise Fail("tests/integration/daemon_tests.py does not import: %s" % _import_error2)

# The loop under silent clients (issue 8), likewise.
try:
    import stall_tests  # noqa: F401,E402
except Exception as _ex3:
    _import_error3 = "%s: %s" % (type(_ex3).__name__, _ex3)

    @test()
    def test_stall_tests_import(ctx):
        raise Fail("tests/integration/stall_tests.py does not import: %s" % _import_error3)


# ---- harness -----------------------------------------------------------------------


def ci_mode():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}


def bpf_probe():
    """None if the bpf() syscall works, else why not: a tiny array map."""
    nr = BPF_SYSCALL.get(os.uname().machine)
    if nr is None:
        return None  # unknown syscall number here: let the tests find out
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    attr = (ctypes.c_uint32 * 30)(2, 4, 4, 1)  # ARRAY, key 4, value 4, 1 entry
    fd = libc.syscall(nr, 0, ctypes.byref(attr), ctypes.sizeof(attr))  # BPF_MAP_CREATE
    if fd < 0:
        e = ctypes.get_errno()
        return "bpf(BPF_MAP_CREATE) failed: %s" % errno_mod.errorcode.get(e, e)
    os.close(fd)
    return None


def environment_problem():
    """Why this machine cannot run the suite (None if it can)."""
    if os.geteuid() != 0:
        return "not root (euid %d): the tracer needs root" % os.geteuid()
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no kernel BTF (/sys/kernel/btf/vmlinux)"
    why = bpf_probe()
    if why:
        return why
    with open("/proc/mounts") as f:
        if not any(l.split()[2] == "cgroup2" for l in f if len(l.split()) > 2):
            return "no cgroup v2 mounted"
    if not shutil.which("ip"):
        return "iproute2 'ip' not found"
    probe = "ss-it-probe-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    if r.returncode != 0:
        return "cannot create network namespaces: %s" % r.stderr.decode(errors="replace").strip()
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def on_alarm(signum, frame):
    raise Timeout()


def run_one(t, opts):
    missing = [n for n in t.needs if not shutil.which(n)]
    if missing:
        return "SKIP", "%s not installed" % ", ".join(missing), []
    ctx = Ctx(opts, t.name)
    status, reason, details = "PASS", "", []
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, t.timeout)
    try:
        try:
            t.fn(ctx)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except Fail as ex:
        status, reason, details = "FAIL", str(ex), ex.details
    except Skip as ex:
        status, reason = "SKIP", str(ex)
    except Timeout:
        status, reason = "FAIL", "timed out after %ds" % t.timeout
    except Exception as ex:
        import traceback
        status, reason = "FAIL", "harness error: %s: %s" % (type(ex).__name__, ex)
        details = traceback.format_exc().splitlines()
    finally:
        ctx.cleanup()
    if status == "FAIL":
        details = details + ctx.log
        if opts.verbose:
            details.append("kept %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    else:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    return status, reason, details


def main():
    ap = argparse.ArgumentParser(description="sockscope real-kernel integration tests")
    ap.add_argument("--binary", default="./sockscope", help="the sockscope binary")
    ap.add_argument("-k", dest="substring", default="", help="run tests whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true",
                    help="details of failures (events, commands, tracer stderr)")
    opts = ap.parse_args()
    opts.binary = os.path.abspath(opts.binary)
    selected = [t for t in TESTS if opts.substring in t.name]
    passed = failed = skipped = 0

    skip_all = environment_problem()
    fail_all = None
    if not skip_all and not (os.path.isfile(opts.binary) and os.access(opts.binary, os.X_OK)):
        fail_all = "binary %s not found or not executable (run make)" % opts.binary
    if skip_all:
        print("integration: SKIPPING EVERY TEST: %s%s" % (
            skip_all, " (CI is set: skips count as failures)" if ci_mode() else ""),
            file=sys.stderr, flush=True)
    if not selected:
        print("integration: no test name contains %r" % opts.substring, file=sys.stderr)

    for t in selected:
        t0 = time.monotonic()
        if skip_all:
            status, reason, details = "SKIP", skip_all, []
        elif fail_all:
            status, reason, details = "FAIL", fail_all, []
        else:
            status, reason, details = run_one(t, opts)
        took = time.monotonic() - t0
        if status == "PASS":
            passed += 1
            print("PASS %s (%.1fs)" % (t.name, took), flush=True)
        else:
            if status == "FAIL":
                failed += 1
            else:
                skipped += 1
            print("%s %s: %s" % (status, t.name, " ".join(reason.split())), flush=True)
            if opts.verbose and details:
                for line in details:
                    print("    " + line, flush=True)

    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped),
          flush=True)
    if failed or not selected:
        return 1
    if skipped and ci_mode():
        print("integration: CI is set: %d skipped test(s) count as failures" % skipped,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("integration: interrupted", file=sys.stderr)
        sys.exit(130)
