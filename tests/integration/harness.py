"""The integration harness: the test registry, the tracer and workload
launchers, network namespaces, the environment checks and running one test.

Test files import what they use from here (``from harness import ...`` or
``import harness as h``); the assertions live in checks.py and are
re-exported here, so one import serves. run.py discovers the test files and
prints the results.
"""

import ctypes
import errno as errno_mod
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from checks import *  # noqa: F401,F403 (re-exported: one import for test files)
from checks import (NOT_EVENTS, SUMMARY_RE, Fail, Skip, Timeout, expect, fmt, parse_ndjson,
                    text_lines, ts_ns, validate)


HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")


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


# ---- processes, namespaces, the tracer ------------------------------------------


_ns_counter = [0]


class Netns:
    def __init__(self, name):
        self.name = name
        self.inode = os.stat("/run/netns/" + name).st_ino

    def __repr__(self):
        return "%s (inode %d)" % (self.name, self.inode)


def add_user(name):
    """A system user for tests that act as an unprivileged local user; the
    test removes it with del_user(name). Returns its pwd entry."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        name], check=True, capture_output=True, timeout=20)
    return pwd.getpwnam(name)


def del_user(name):
    subprocess.run(["userdel", name], capture_output=True, timeout=20)


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
        kill_procs(self.procs)
        for name in self.netnses:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=15)


def kill_procs(procs):
    """SIGKILL each process group (members outlive a leader that exited),
    reap the leader, close its pipes."""
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
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


# ---- commands that must fail ----------------------------------------------------


def run_sockscope(ctx, *args, expect_rc=0, timeout=30):
    """Runs the binary with args (text out); Fail unless it exits expect_rc
    (None: any exit)."""
    cmd = [ctx.binary] + [str(a) for a in args]
    ctx.note("$ " + " ".join(cmd))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if expect_rc is not None and r.returncode != expect_rc:
        raise Fail("%s: exit %d, want %d: %s %s" % (" ".join(cmd), r.returncode, expect_rc,
                                                    r.stdout[-300:], r.stderr[-300:]))
    return r


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


# ---- the environment, one test ------------------------------------------------------


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
