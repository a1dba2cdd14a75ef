#!/usr/bin/env python3
"""sockscope benchmark harness (issue 4).

    bench.py [--smoke] [options]          (as root; see tests/bench/README.md)

Full run: throughput of the C workload generators untraced vs traced by
sockscope (full capture, NDJSON to a file) and by the peers a user would run
instead (libbpf-tools tcplife and tcpstates, a bpftrace script on the same
hooks, auditd with bind/connect/accept/close rules), interleaved A/B/A/B so
machine drift cancels out; snapshot timing (sockscope ports --all vs ss vs
lsof); start-up time; memory with 100k live sockets and over a soak; the
userspace instructions per event under callgrind; a markdown report, a JSON
dump of every measurement and a PNG plot in bench-results/.

--smoke: the same pipeline in seconds, sockscope only, asserting that the
harness works end to end; prints "bench-smoke: N passed, N failed" and exits
non-zero on any failure.

Standard library only, plus matplotlib for the plot (skipped without it).
"""

import argparse
import atexit
import collections
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NPROC = os.cpu_count() or 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
WORKLOADS = ["bind4", "conn4", "conn6", "udp4"]
PEERS = ["tcplife", "tcpstates", "bpftrace", "auditd"]
# generator binary and arguments for each workload name
GEN = {
    "bind4": ("bind_cycle", []),
    "bind6": ("bind_cycle", ["-6"]),
    "conn4": ("conn_cycle", []),
    "conn6": ("conn_cycle", ["-6"]),
    "udp4": ("udp_cycle", []),
    "udp6": ("udp_cycle", ["-6"]),
    "udp-sendto4": ("udp_cycle", ["--sendto"]),
}
WORKLOAD_TITLE = {
    "bind4": "bind cycle (IPv4)",
    "conn4": "conn cycle (IPv4)",
    "conn6": "conn cycle (IPv6)",
    "udp4": "UDP cycle (IPv4)",
}
MIB = 1024 * 1024


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


# ---- cleanup: leave the machine as found ---------------------------------

_cleanups = []


def on_cleanup(fn):
    _cleanups.append(fn)
    return fn


def run_cleanups():
    # our own tracers, holders, profilers still running (by pid, never by name)
    for p in list(_procs):
        if p.returncode is None and p.poll() is None:
            try:
                p.send_signal(signal.SIGINT)
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            except OSError:
                pass
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # keep cleaning up
            log("cleanup: %s" % e)


atexit.register(run_cleanups)


def _sigterm(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


signal.signal(signal.SIGTERM, _sigterm)
signal.signal(signal.SIGHUP, _sigterm)

_children = set()  # pids we started (never treated as foreign tracers)
_procs = []


def popen(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    _children.add(p.pid)
    _procs.append(p)
    return p


def kill_proc(p, sig=signal.SIGINT, timeout=30.0):
    """Signal p and reap it; SIGKILL after timeout. Returns rusage or None."""
    if p.returncode is not None:
        return None
    try:
        p.send_signal(sig)
    except ProcessLookupError:
        pass
    return reap(p, timeout)


def reap(p, timeout):
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return ru
        if time.monotonic() > deadline:
            try:
                p.kill()
            except ProcessLookupError:
                pass
            pid, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            return ru
        time.sleep(0.01)


# ---- /proc helpers -----------------------------------------------------------


def proc_cpu_ns(pid):
    """CPU time of every thread of pid, ns (schedstat), or None if gone."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


def host_busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v[:8]) - idle


def proc_status(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def bpf_map_memlock(pid):
    """Sum of memlock over the BPF map fds of pid (kernel memory), bytes."""
    total = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != "anon_inode:bpf-map":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("memlock:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def smaps_breakdown(pid, top=5):
    """Resident bytes by mapping name (largest first) and Anonymous total."""
    by = collections.Counter()
    anon = 0
    name = "?"
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    parts = line.split(None, 5)
                    name = parts[5].strip() if len(parts) > 5 and parts[5].strip() else "[anon]"
                elif line.startswith("Rss:"):
                    by[os.path.basename(name) if name.startswith("/") else name] += int(line.split()[1]) * 1024
                elif line.startswith("Anonymous:"):
                    anon += int(line.split()[1]) * 1024
    except OSError:
        return None
    return {"top": by.most_common(top), "anonymous": anon}


def kthread_pid(name):
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/comm" % d) as f:
                    if f.read().strip() == name:
                        return int(d)
            except OSError:
                pass
    return None


def in_syscall_wait(pid):
    """True when pid's main thread sleeps in epoll_wait/epoll_pwait/poll/ppoll."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            nr = f.read().split()[0]
    except (OSError, IndexError):
        return False
    return nr in ("232", "281", "7", "271", "441")


def foreign_tracers():
    """Processes we did not start that hold BPF links or programs (other
    tracers running on this machine skew every measurement)."""
    found = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        if pid == me or pid in _children:
            continue
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if t in ("anon_inode:bpf_link", "anon_inode:bpf-prog"):
                try:
                    with open("/proc/%d/comm" % pid) as f:
                        comm = f.read().strip()
                except OSError:
                    comm = "?"
                found.append("%s[%d]" % (comm, pid))
                break
    return found


def count_lines(path, extra=()):
    """Newlines in path, and occurrences of each bytes string in extra."""
    n = 0
    hits = [0] * len(extra)
    tail = b""
    keep = max([len(x) for x in extra] + [1]) - 1
    with open(path, "rb") as f:
        while True:
            chunk = f.read(8 * MIB)
            if not chunk:
                break
            n += chunk.count(b"\n")
            buf = tail + chunk
            for i, x in enumerate(extra):
                hits[i] += buf.count(x)
            # occurrences split across chunks are counted once: keep a tail
            # shorter than the pattern so none is counted twice
            tail = buf[-keep:] if keep else b""
            for i, x in enumerate(extra):
                hits[i] -= tail.count(x)
    return n, hits


def stats3(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return (min(v), statistics.median(v), max(v))


def fmt3(t, f="%.2f"):
    if t is None:
        return "—"
    return (f + " / " + f + " / " + f) % t


def fmt_med(t, f="%.2f"):
    return "—" if t is None else (f % t[1])


def median(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


# ---- workload generators --------------------------------------------------------


class Gens:
    def __init__(self, bindir):
        self.bindir = bindir

    def path(self, name):
        return os.path.join(self.bindir, name)

    def run(self, workload, secs=None, count=None, rate=0, workers=1, timeout=None):
        binary, args = GEN[workload]
        cmd = [self.path(binary)] + args + ["-j", str(workers)]
        if secs is not None:
            cmd += ["-d", "%g" % secs]
        else:
            cmd += ["-d", "0"]
        if count is not None:
            cmd += ["-n", str(count)]
        if rate:
            cmd += ["-r", "%g" % rate]
        t0 = time.monotonic()
        h0 = host_busy_ticks()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout or (secs or 60) + 60)
        h1 = host_busy_ticks()
        wall = time.monotonic() - t0
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                      r.stderr.strip()))
        res = json.loads(r.stdout.strip().splitlines()[-1])
        res["host_cpu_s"] = (h1 - h0) / CLK_TCK
        res["wall"] = wall
        res["host_cpu_us_per_op"] = (res["host_cpu_s"] * 1e6 / res["ops"]) if res["ops"] else None
        res["cpu_us_per_op"] = (res["cpu_s"] * 1e6 / res["ops"]) if res.get("cpu_s") and res["ops"] else None
        return res


class Holder:
    """tests/bench/holder in a private network namespace (unshare -n)."""

    def __init__(self, gens, nsock, nprocs, netns=True):
        self.gens, self.nsock, self.nprocs, self.netns = gens, nsock, nprocs, netns
        self.p = None
        self.info = None

    def __enter__(self):
        cmd = [self.gens.path("holder"), "-n", str(self.nsock), "-p", str(self.nprocs),
               "-t", "3600"]
        if self.netns:
            cmd = ["unshare", "--net", "sh", "-c",
                   'ip link set lo up && exec "$@"', "holder"] + cmd
        t0 = time.monotonic()
        self.p = popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
        on_cleanup(self.close)
        line = self.p.stdout.readline()
        if not line:
            err = self.p.stderr.read()
            raise RuntimeError("holder failed: %s" % err.strip())
        self.info = json.loads(line)
        self.info["setup_s"] = time.monotonic() - t0
        self.pids = set(self.info["pids"])
        self.pid0 = self.info["pids"][0]
        self.netns_ino = os.stat("/proc/%d/ns/net" % self.pid0).st_ino
        return self

    def nsenter(self, cmd):
        if not self.netns:
            return cmd
        return ["nsenter", "--net=/proc/%d/ns/net" % self.pid0] + cmd

    def close(self):
        if self.p and self.p.returncode is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            reap(self.p, 10)

    def __exit__(self, *a):
        self.close()


# ---- tracers ---------------------------------------------------------------------


class StderrReader(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = []
        self.cond = threading.Condition()

    def run(self):
        for line in self.stream:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.lines.append((time.monotonic(), None))
            self.cond.notify_all()

    def wait_for(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if line is None:
                        return None, None
                    if line.startswith(prefix):
                        return t, line
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, None
                self.cond.wait(left)

    def text(self):
        return "\n".join(l for _, l in self.lines if l is not None)


class Tracer:
    name = "?"
    ready_timeout = 60.0

    def __init__(self, workdir):
        self.workdir = workdir
        self.p = None

    def available(self):
        return True

    def version(self):
        return ""

    def cpu_ns(self):
        return proc_cpu_ns(self.p.pid)

    def start(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError


class Sockscope(Tracer):
    name = "sockscope"

    def __init__(self, workdir, binary, output=None, extra=()):
        super().__init__(workdir)
        self.binary = binary
        self.output = output
        self.extra = list(extra)

    def version(self):
        r = subprocess.run([self.binary, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return r.stdout.strip()

    def start(self):
        self.out = self.output or os.path.join(self.workdir, "sockscope.ndjson")
        if self.out != "/dev/null" and os.path.exists(self.out):
            os.unlink(self.out)
        cmd = [self.binary, "trace", "--json", "-o", self.out] + self.extra
        self.t0 = time.monotonic()
        self.p = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        t, line = self.err.wait_for("sockscope: tracing", self.ready_timeout)
        if t is None:
            kill_proc(self.p, signal.SIGKILL)
            raise RuntimeError("sockscope did not start: %s" % self.err.text())
        self.startup_s = t - self.t0
        self.ready_cpu = self.cpu_ns()
        return self

    def stop(self):
        ru = kill_proc(self.p, signal.SIGINT, 60)
        self.err.join(5)
        text = self.err.text()
        m = re.search(r"sockscope: (\d+) events, (\d+) lost", text)
        res = {"exit": self.p.returncode, "stderr": text[-2000:]}
        if m:
            res["events"] = int(m.group(1))
            res["lost"] = int(m.group(2))
        else:
            res["events"] = res["lost"] = None
        if ru is not None:
            res["cpu_s"] = max(0.0, ru.ru_utime + ru.ru_stime - self.ready_cpu / 1e9)
        if self.out != "/dev/null" and os.path.exists(self.out):
            lines, (lost_lines, resync_lines) = count_lines(
                self.out, (b'"event":"lost"', b'"event":"resync"'))
            res["file_lines"] = lines
            res["file_lost_lines"] = lost_lines
            res["file_other_lines"] = resync_lines
            res["file_bytes"] = os.path.getsize(self.out)
            os.unlink(self.out)
        return res


class LibbpfTool(Tracer):
    """tcplife / tcpstates from libbpf-tools: stdout to a file."""

    def __init__(self, workdir, name):
        super().__init__(workdir)
        self.name = name
        self.path = shutil.which(name) or shutil.which(name + "-bpfcc") or \
            ("/usr/sbin/" + name if os.path.exists("/usr/sbin/" + name) else None)

    def available(self):
        return self.path is not None

    def version(self):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libbpf-tools"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return "libbpf-tools " + r.stdout.strip()

    def start(self):
        self.out = os.path.join(self.workdir, self.name + ".out")
        self.fout = open(self.out, "w")
        self.p = popen([self.path], stdin=subprocess.DEVNULL, stdout=self.fout,
                       stderr=subprocess.PIPE, text=True)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        deadline = time.monotonic() + self.ready_timeout
        # attached once the main loop waits for perf-buffer data
        while not in_syscall_wait(self.p.pid):
            if self.p.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.p, signal.SIGKILL)
                raise RuntimeError("%s did not start: %s" % (self.name, self.err.text()))
            time.sleep(0.02)
        self.ready_cpu = self.cpu_ns()
        return self

    def stop(self):
        ru = kill_proc(self.p, signal.SIGINT, 30)
        self.err.join(5)
        self.fout.close()
        text = self.err.text()
        lost = sum(int(x) for x in re.findall(r"[Ll]ost (\d+) events", text))
        lines, _ = count_lines(self.out)
        os.unlink(self.out)
        res = {"exit": self.p.returncode, "events": max(0, lines - 1), "lost": lost,
               "stderr": text[-2000:]}
        if ru is not None:
            res["cpu_s"] = max(0.0, ru.ru_utime + ru.ru_stime - self.ready_cpu / 1e9)
        return res


class Bpftrace(Tracer):
    name = "bpftrace"

    def __init__(self, workdir):
        super().__init__(workdir)
        self.path = shutil.which("bpftrace")
        self.script = os.path.join(HERE, "peer.bt")

    def available(self):
        return self.path is not None

    def version(self):
        r = subprocess.run([self.path, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return r.stdout.strip()

    def start(self):
        self.out = os.path.join(self.workdir, "bpftrace.out")
        if os.path.exists(self.out):
            os.unlink(self.out)
        self.p = popen([self.path, "-o", self.out, self.script], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        deadline = time.monotonic() + self.ready_timeout
        while True:
            try:
                with open(self.out, "rb") as f:
                    if b"\nready\n" in f.read(4096) or False:
                        break
            except OSError:
                pass
            if self.p.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.p, signal.SIGKILL)
                raise RuntimeError("bpftrace did not start: %s" % self.err.text())
            time.sleep(0.02)
        self.ready_cpu = self.cpu_ns()
        return self

    def stop(self):
        ru = kill_proc(self.p, signal.SIGINT, 30)
        self.err.join(5)
        _, (events, lost_lines) = count_lines(self.out, (b"\nE ", b"Lost "))
        lost = 0
        with open(self.out, "rb") as f:
            for m in re.finditer(rb"Lost (\d+) events", f.read()):
                lost += int(m.group(1))
        lost += sum(int(x) for x in re.findall(r"Lost (\d+) events", self.err.text()))
        os.unlink(self.out)
        res = {"exit": self.p.returncode, "events": events, "lost": lost,
               "stderr": self.err.text()[-2000:]}
        if ru is not None:
            res["cpu_s"] = max(0.0, ru.ru_utime + ru.ru_stime - self.ready_cpu / 1e9)
        return res


class Auditd(Tracer):
    """auditd (-n, private config and log) with bind/connect/accept/close
    rules. Restores the audit state it found: rules, enabled, backlog."""

    name = "auditd"
    RULE = ["always,exit", "-F", "arch=b64", "-S", "bind,connect,accept,accept4,close",
            "-k", "ssbench"]

    def __init__(self, workdir):
        super().__init__(workdir)
        self.auditd = shutil.which("auditd") or "/usr/sbin/auditd"
        self.auditctl = shutil.which("auditctl") or "/usr/sbin/auditctl"

    def available(self):
        return os.path.exists(self.auditd) and os.path.exists(self.auditctl)

    def version(self):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "auditd"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return "auditd " + r.stdout.strip()

    def ctl(self, *args, check=True):
        r = subprocess.run([self.auditctl] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("auditctl %s: %s" % (" ".join(args), r.stdout.strip()))
        return r.stdout

    def status(self):
        st = {}
        for line in self.ctl("-s").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].lstrip("-").isdigit():
                st[parts[0]] = int(parts[1])
        return st

    def start(self):
        self.orig = self.status()
        self.orig_rules = self.ctl("-l").strip()
        if self.orig.get("pid"):
            raise RuntimeError("an audit daemon is already running (pid %d)" % self.orig["pid"])
        self.conf = os.path.join(self.workdir, "audit")
        os.makedirs(self.conf, exist_ok=True)
        self.log = os.path.join(self.conf, "audit.log")
        with open("/etc/audit/auditd.conf") as f:
            conf = f.read()
        conf = re.sub(r"(?m)^log_file\s*=.*$", "log_file = %s" % self.log, conf)
        conf = re.sub(r"(?m)^max_log_file_action\s*=.*$", "max_log_file_action = IGNORE", conf)
        path = os.path.join(self.conf, "auditd.conf")
        with open(path, "w") as f:
            f.write(conf)
        os.chmod(path, 0o640)
        self.p = popen([self.auditd, "-n", "-c", self.conf], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        on_cleanup(self.restore)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        deadline = time.monotonic() + 15
        while self.status().get("pid") != self.p.pid:
            if self.p.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.p, signal.SIGKILL)
                self.restore()
                raise RuntimeError("auditd did not start: %s" % self.err.text())
            time.sleep(0.05)
        self.ctl("-b", "8192")  # what Debian's audit.rules sets
        self.ctl("-a", *self.RULE)
        self.lost0 = self.status().get("lost", 0)
        self.kaudit = kthread_pid("kauditd")
        self.kaudit_cpu0 = proc_cpu_ns(self.kaudit) if self.kaudit else 0
        self.ready_cpu = self.cpu_ns()
        return self

    def cpu_ns(self):
        own = proc_cpu_ns(self.p.pid) or 0
        k = proc_cpu_ns(self.kaudit) if getattr(self, "kaudit", None) else 0
        return own + (k or 0)

    def restore(self):
        """Rules removed, daemon stopped, enabled/backlog as found."""
        if not hasattr(self, "orig"):
            return
        self.ctl("-d", *self.RULE, check=False)
        if self.p is not None and self.p.returncode is None:
            kill_proc(self.p, signal.SIGTERM, 20)
        self.ctl("-b", str(self.orig.get("backlog_limit", 64)), check=False)
        self.ctl("-e", str(self.orig.get("enabled", 0)), check=False)
        if self.ctl("-l").strip() != self.orig_rules:
            log("warning: audit rules differ from what was found")

    def stop(self):
        k1 = proc_cpu_ns(self.kaudit) if self.kaudit else 0
        time.sleep(0.3)  # let auditd write what the kernel queued
        lost = self.status().get("lost", 0) - self.lost0
        self.ctl("-d", *self.RULE, check=False)
        own0 = self.ready_cpu - self.kaudit_cpu0
        ru = kill_proc(self.p, signal.SIGTERM, 20)
        self.restore()
        del self.orig
        events = 0
        for name in os.listdir(self.conf):
            if name.startswith("audit.log"):
                _, (n,) = count_lines(os.path.join(self.conf, name), (b"type=SYSCALL",))
                events += n
                os.unlink(os.path.join(self.conf, name))
        res = {"exit": self.p.returncode, "events": events, "lost": lost,
               "stderr": self.err.text()[-2000:]}
        if ru is not None:
            res["cpu_s"] = max(0.0, ru.ru_utime + ru.ru_stime - own0 / 1e9) + \
                max(0, (k1 or 0) - self.kaudit_cpu0) / 1e9
        return res


# ---- the harness ----------------------------------------------------------------


class Checks:
    def __init__(self):
        self.items = []

    def check(self, name, ok, detail=""):
        self.items.append((name, bool(ok), detail))
        log("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail else ""))
        return ok

    def counts(self):
        p = sum(1 for _, ok, _ in self.items if ok)
        return p, len(self.items) - p


class Bench:
    def __init__(self, args):
        self.a = args
        self.smoke = args.smoke
        self.checks = Checks()
        self.results = {"trials": [], "sweep": [], "saturated": []}
        self.notes = []
        stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H%M%S")
        self.stamp = stamp
        self.outdir = os.path.abspath(args.out_dir)
        os.makedirs(self.outdir, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="tmp-%s-" % stamp, dir=self.outdir)
        on_cleanup(lambda: shutil.rmtree(self.work, ignore_errors=True))
        # a private copy: other people may rebuild ./sockscope during the run
        self.sockscope = os.path.join(self.work, "sockscope")
        shutil.copy2(args.sockscope, self.sockscope)
        self.gens = Gens(os.path.abspath(args.bin_dir))
        self.tracers = self.make_tracers()
        self.quiet_budget = args.quiet_budget
        self.settle = 0.05 if self.smoke else 0.2
        self.grace = 0.1 if self.smoke else 0.5

    # -- set-up
    def make_tracers(self):
        want = [t for t in self.a.tracers.split(",") if t]
        out = []
        for name in want:
            if name == "sockscope":
                t = Sockscope(self.work, self.sockscope)
            elif name in ("tcplife", "tcpstates"):
                t = LibbpfTool(self.work, name)
            elif name == "bpftrace":
                t = Bpftrace(self.work)
            elif name == "auditd":
                t = Auditd(self.work)
            else:
                raise SystemExit("unknown tracer %s" % name)
            if t.available():
                out.append(t)
            else:
                self.notes.append("%s is not installed: skipped (make bench-deps installs it)" % name)
                log("%s not installed: skipped" % name)
        return out

    def machine(self):
        m = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
             "kernel": platform.release(), "nproc": NPROC, "arch": platform.machine()}
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        m["cpu"] = line.split(":", 1)[1].strip()
                        break
            with open("/proc/meminfo") as f:
                m["mem_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
            m["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
        except OSError:
            pass
        try:
            with open("/etc/debian_version") as f:
                m["debian"] = f.read().strip()
        except OSError:
            pass
        r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        m["git"] = r.stdout.strip()
        m["versions"] = {t.name: t.version() for t in self.tracers}
        if "sockscope" not in m["versions"]:
            m["versions"]["sockscope"] = Sockscope(self.work, self.sockscope).version()
        return m

    def wait_quiet(self, limit):
        """Wait (up to limit s) until no foreign BPF tracer runs; returns them."""
        deadline = time.monotonic() + limit
        f = foreign_tracers()
        if f:
            log("other BPF tracers running (%s): waiting up to %ds" % (", ".join(f), limit))
        while f and time.monotonic() < deadline:
            time.sleep(1)
            f = foreign_tracers()
        return f

    # -- one traced or untraced trial
    def trial(self, tracer, workload, secs, rate=0, workers=1, tag="main", rep=0):
        rec = {"tag": tag, "rep": rep, "workload": workload, "tracer": tracer.name if tracer else None,
               "rate": rate, "workers": workers}
        foreign0 = foreign_tracers()
        try:
            self._trial(rec, tracer, workload, secs, rate, workers)
        finally:
            rec["foreign_tracers"] = sorted(set(foreign0) | set(foreign_tracers()))
        return rec

    def _trial(self, rec, tracer, workload, secs, rate, workers):
        if tracer is not None:
            try:
                tracer.start()
            except Exception as e:
                rec["error"] = str(e)
                log("%s: %s" % (tracer.name, e))
                return rec
            if getattr(tracer, "startup_s", None) is not None:
                rec["startup_s"] = tracer.startup_s
            time.sleep(self.settle)
        try:
            res = self.gens.run(workload, secs=secs, rate=rate, workers=workers)
        except Exception as e:
            rec["error"] = str(e)
            log("%s under %s: %s" % (workload, tracer.name if tracer else "none", e))
            if tracer is not None:
                tracer.stop()
            return rec
        rec.update(res)
        if tracer is not None:
            time.sleep(self.grace)  # let asynchronous consumers catch up before stopping
            tr = tracer.stop()
            rec["tracer_result"] = {k: v for k, v in tr.items() if k != "stderr"}
            if tr.get("exit") not in (0, None):
                rec["tracer_stderr"] = tr.get("stderr")
        return rec

    def ab_group(self, workload, secs, tracers, rate=0, workers=1, tag="main", rep=0):
        """A T1 A T2 A ... A: each traced run is bracketed by untraced runs."""
        if self.quiet_budget > 0:
            t0 = time.monotonic()
            self.wait_quiet(min(self.a.quiet_wait, self.quiet_budget))
            self.quiet_budget -= time.monotonic() - t0
        seq = []
        seq.append(self.trial(None, workload, secs, rate, workers, tag, rep))
        for t in tracers:
            seq.append(self.trial(t, workload, secs, rate, workers, tag, rep))
            seq.append(self.trial(None, workload, secs, rate, workers, tag, rep))
        out = []
        for i in range(1, len(seq), 2):
            b, a0, a1 = seq[i], seq[i - 1], seq[i + 1]
            base = [x["ops_per_sec"] for x in (a0, a1) if "ops_per_sec" in x]
            if "ops_per_sec" in b and base:
                b["untraced_ops_per_sec"] = sum(base) / len(base)
                b["ratio"] = b["ops_per_sec"] / b["untraced_ops_per_sec"]
                ca = [x["cpu_us_per_op"] for x in (a0, a1) if x.get("cpu_us_per_op")]
                if ca and b.get("cpu_us_per_op"):
                    b["untraced_cpu_us_per_op"] = sum(ca) / len(ca)
                    b["cpu_ratio"] = b["untraced_cpu_us_per_op"] / b["cpu_us_per_op"]
                hb = [x["host_cpu_us_per_op"] for x in (a0, a1) if x.get("host_cpu_us_per_op")]
                b["untraced_host_cpu_us_per_op"] = sum(hb) / len(hb) if hb else None
            b["clean"] = not (b["foreign_tracers"] or a0["foreign_tracers"] or a1["foreign_tracers"])
            out.append(b)
        out.extend(seq[0::2])
        return out

    # -- phases
    def phase_throughput(self):
        reps, secs = self.a.reps, self.a.trial_secs
        log("throughput: %d reps x %s x (untraced + %s), %.1fs trials, 1 worker"
            % (reps, ",".join(WORKLOADS), ",".join(t.name for t in self.tracers), secs))
        for rep in range(reps):
            for wl in WORKLOADS:
                k = rep % max(1, len(self.tracers))
                order = self.tracers[k:] + self.tracers[:k]  # rotate: no tracer always first
                recs = self.ab_group(wl, secs, order, tag="main", rep=rep)
                self.results["trials"].extend(recs)
                for r in recs:
                    if r.get("tracer") and "ratio" in r:
                        tr = r.get("tracer_result", {})
                        log("  rep %d %-6s %-10s ratio %.3f  events %s lost %s cpu %.2fs"
                            % (rep, wl, r["tracer"], r["ratio"], tr.get("events"),
                               tr.get("lost"), tr.get("cpu_s") or 0))

    def phase_saturated(self):
        if not self.a.saturated_reps or NPROC < 2:
            return
        log("saturated host: %d workers (= nproc), bind4 + conn4" % NPROC)
        for rep in range(self.a.saturated_reps):
            for wl in ("bind4", "conn4"):
                k = rep % max(1, len(self.tracers))
                order = self.tracers[k:] + self.tracers[:k]
                self.results["saturated"].extend(
                    self.ab_group(wl, self.a.trial_secs, order, workers=NPROC,
                                  tag="saturated", rep=rep))

    def capacity(self, wl):
        v = [r["ops_per_sec"] for r in self.results["trials"]
             if r["workload"] == wl and r["tracer"] is None and "ops_per_sec" in r]
        return median(v)

    def phase_sweep(self):
        fracs = [float(x) for x in self.a.sweep.split(",") if x]
        if not fracs:
            return
        for wl in ("bind4", "conn4"):
            cap = self.capacity(wl)
            if not cap:
                continue
            for f in fracs:
                rate = round(cap * f)
                log("sweep: %s at %d ops/s (%.0f%% of untraced capacity)" % (wl, rate, f * 100))
                self.results["sweep"].extend(
                    self.ab_group(wl, self.a.sweep_secs, self.tracers, rate=rate, tag="sweep"))

    def phase_pacing_check(self):
        r = self.gens.run("bind4", secs=0.5, rate=2000)
        self.checks.check("generator pacing (-r 2000)", 1500 <= r["ops_per_sec"] <= 2300,
                          "%.0f ops/s" % r["ops_per_sec"])
        for wl in ("bind6", "udp6", "udp-sendto4"):
            r = self.gens.run(wl, secs=0.2)
            self.checks.check("generator %s runs" % wl, r["ops"] > 0 and r["errors"] == 0,
                              "%.0f ops/s" % r["ops_per_sec"])

    def phase_startup(self):
        n = self.a.startup_runs
        times = []
        for _ in range(n):
            s = Sockscope(self.work, self.sockscope, output="/dev/null")
            try:
                s.start()
                times.append(s.startup_s)
                s.stop()
            except Exception as e:
                log("startup: %s" % e)
        self.results["startup_s"] = times
        self.checks.check("sockscope reaches 'tracing'", len(times) == n,
                          "%d/%d runs" % (len(times), n))

    def ports_implemented(self):
        r = subprocess.run([self.sockscope, "ports", "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        return not (r.returncode == 2 and "unknown command" in (r.stderr + r.stdout))

    def phase_snapshot(self):
        nsock, nprocs = self.a.snapshot_sockets, self.a.snapshot_procs
        log("snapshot: holder with %d sockets in %d processes (own netns)" % (nsock, nprocs))
        res = {"sockets": nsock, "processes": nprocs, "tools": {}}
        self.results["snapshot"] = res
        implemented = self.ports_implemented()
        res["ports_implemented"] = implemented
        with Holder(self.gens, nsock, nprocs) as h:
            res["holder_setup_s"] = h.info["setup_s"]
            res["held"] = h.info["sockets"]
            self.checks.check("holder holds %d sockets" % nsock, h.info["sockets"] == nsock,
                              "%d in %.2fs" % (h.info["sockets"], h.info["setup_s"]))
            tools = [("ss", ["ss", "-tuanp"]), ("lsof", ["lsof", "-nP", "-i"])]
            if implemented:
                tools[:0] = [("ports", [self.sockscope, "ports", "--all"]),
                             ("ports-json", [self.sockscope, "ports", "--all", "--json"])]
            if not shutil.which("lsof"):
                tools = [t for t in tools if t[0] != "lsof"]
                self.notes.append("lsof not installed: snapshot row skipped")
            outputs = {}
            for i in range(self.a.snapshot_runs):
                for name, cmd in tools:
                    if name == "lsof" and i >= max(1, self.a.snapshot_runs - 2):
                        continue  # lsof is slow: fewer runs
                    full = h.nsenter(cmd)
                    t0 = time.monotonic()
                    r = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    dt = time.monotonic() - t0
                    d = res["tools"].setdefault(name, {"wall_s": [], "exit": []})
                    d["wall_s"].append(dt)
                    d["exit"].append(r.returncode)
                    outputs[name] = r.stdout.decode("utf-8", "replace")
                    if r.returncode != 0:
                        d["stderr"] = r.stderr.decode("utf-8", "replace")[-500:]
            ss_rows = parse_ss(outputs.get("ss", ""))
            res["tools"]["ss"]["rows"] = len(ss_rows)
            if "lsof" in outputs:
                res["tools"]["lsof"]["rows"] = max(0, len(outputs["lsof"].splitlines()) - 1)
            self.checks.check("ss sees the holder's sockets", len(ss_rows) >= nsock,
                              "%d rows" % len(ss_rows))
            if implemented:
                p_rows, bad = parse_ports(outputs.get("ports-json", ""), h.netns_ino)
                res["tools"]["ports-json"]["rows"] = len(p_rows)
                res["tools"]["ports"]["rows"] = max(0, len(outputs.get("ports", "").splitlines()) - 1)
                res["compare"] = compare_rows(ss_rows, p_rows, bad)
                c = res["compare"]
                log("ports vs ss: %d vs %d rows, %d only in ss, %d only in ports"
                    % (c["ports_rows"], c["ss_rows"], c["only_ss"], c["only_ports"]))

    def phase_memory(self):
        nsock, nprocs = self.a.memory_sockets, self.a.memory_procs
        log("memory: sockscope with %d live sockets in %d processes" % (nsock, nprocs))
        res = {"sockets": nsock, "processes": nprocs}
        self.results["memory"] = res
        with Holder(self.gens, nsock, nprocs) as h:
            res["held"] = h.info["sockets"]
            s = Sockscope(self.work, self.sockscope, output="/dev/null")
            s.start()
            res["startup_s"] = s.startup_s
            m = re.search(r"(\d+) existing sockets seen", s.err.text())
            res["seeded"] = int(m.group(1)) if m else None
            res["rss_after_start"] = proc_status(s.p.pid, "VmRSS")
            for wl in ("conn4", "bind4"):
                self.gens.run(wl, secs=self.a.memory_load_secs)
            res["vm_hwm"] = proc_status(s.p.pid, "VmHWM")
            res["rss_end"] = proc_status(s.p.pid, "VmRSS")
            res["smaps"] = smaps_breakdown(s.p.pid)
            res["bpf_map_bytes"] = bpf_map_memlock(s.p.pid)
            tr = s.stop()
            res["events"], res["lost"] = tr.get("events"), tr.get("lost")
        self.checks.check("sockscope with %d live sockets" % nsock,
                          res["vm_hwm"] is not None and tr.get("exit") == 0,
                          "VmHWM %.1f MiB" % ((res["vm_hwm"] or 0) / MIB))

    def phase_soak(self):
        secs = self.a.soak_secs
        log("soak: %ds of conn4 (1 worker, unpaced) under sockscope -o /dev/null" % secs)
        res = {"secs": secs, "samples": []}
        self.results["soak"] = res
        s = Sockscope(self.work, self.sockscope, output="/dev/null")
        s.start()
        binary, args = GEN["conn4"]
        gen = popen([self.gens.path(binary)] + args + ["-d", str(secs)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        interval = max(0.5, secs / 60.0)
        cpu0 = s.cpu_ns()
        while gen.poll() is None:
            res["samples"].append((round(time.monotonic() - t0, 1),
                                   proc_status(s.p.pid, "VmRSS")))
            time.sleep(interval)
        out, _ = gen.communicate()
        res["gen"] = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        res["samples"].append((round(time.monotonic() - t0, 1), proc_status(s.p.pid, "VmRSS")))
        res["cpu_s"] = ((s.cpu_ns() or 0) - (cpu0 or 0)) / 1e9
        res["vm_hwm"] = proc_status(s.p.pid, "VmHWM")
        tr = s.stop()
        res["events"], res["lost"] = tr.get("events"), tr.get("lost")
        warm_t = max(min(10.0, secs / 2), secs * 0.1)
        warm = [v for t, v in res["samples"] if t >= warm_t and v]
        res["rss_warm"] = warm[0] if warm else None
        res["rss_last"] = res["samples"][-1][1]
        res["rss_max"] = max(v for _, v in res["samples"] if v)
        res["growth"] = (res["rss_last"] - res["rss_warm"]) if warm else None
        self.checks.check("soak ran with RSS samples", len(res["samples"]) >= 2 and tr.get("exit") == 0,
                          "%d samples, %s events, %s lost" % (len(res["samples"]), tr.get("events"), tr.get("lost")))

    def phase_callgrind(self):
        replay = self.gens.path("replay")
        vg = shutil.which("valgrind")
        res = {"events": self.a.replay_events, "modes": {}}
        self.results["callgrind"] = res
        r = subprocess.run([replay, "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.checks.check("replay runs", r.returncode == 0, r.stdout.strip() or r.stderr.strip())
        if not vg:
            self.notes.append("valgrind not installed: no callgrind figures")
            return
        modes = [("json", [])] if self.smoke else \
            [("json", []), ("text", ["--text"]), ("json, no engine", ["--no-engine"])]
        for mode, extra in modes:
            irs = {}
            for n in (0, self.a.replay_events):
                f = os.path.join(self.work, "callgrind.%d.out" % n)
                cmd = [vg, "--tool=callgrind", "--toggle-collect=replay_run",
                       "--callgrind-out-file=" + f, replay, str(n)] + extra
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if r.returncode != 0:
                    log("callgrind failed: %s" % r.stderr[-500:])
                    break
                irs[n] = callgrind_total(f)
                if n and mode == "json":
                    res["top"] = callgrind_top(f)
                os.unlink(f)
            if len(irs) == 2 and irs[self.a.replay_events] is not None:
                per = (irs[self.a.replay_events] - irs[0]) / self.a.replay_events
                res["modes"][mode] = {"ir_total": irs[self.a.replay_events], "ir_base": irs[0],
                                      "ir_per_event": per}
                log("callgrind %s: %.0f instructions/event" % (mode, per))
        self.checks.check("callgrind instructions/event", "json" in res["modes"] and
                          res["modes"]["json"]["ir_per_event"] > 0,
                          "%.0f" % res["modes"].get("json", {}).get("ir_per_event", 0))

    def phase_diagnostics(self):
        """Where sockscope's cost goes: BPF run time per program (bpf_stats)
        for conn4, bind4 and udp4, and a perf profile of the sockscope
        process under conn4."""
        res = {"workloads": {}}
        self.results["diagnostics"] = res
        stats_path = "/proc/sys/kernel/bpf_stats_enabled"
        try:
            with open(stats_path) as f:
                orig = f.read().strip()
        except OSError:
            orig = None
        use_stats = orig is not None and shutil.which("bpftool") is not None

        def restore_stats():
            if use_stats:
                with open(stats_path, "w") as f:
                    f.write(orig)

        s = Sockscope(self.work, self.sockscope)
        try:
            if use_stats:
                with open(stats_path, "w") as f:
                    f.write("1")
                on_cleanup(restore_stats)
            s.start()
            time.sleep(0.2)
            for wl in ("conn4", "bind4", "udp4"):
                before = {p["name"]: p for p in bpf_prog_stats(s.p.pid)} if use_stats else {}
                perf = None
                pf = os.path.join(self.work, "perf.data")
                if wl == "conn4" and shutil.which("perf"):
                    perf = popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g",
                                  "-p", str(s.p.pid), "-o", pf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
                    time.sleep(0.5)
                c0 = s.cpu_ns()
                g = self.gens.run(wl, secs=self.a.diag_secs)
                time.sleep(0.3)
                c1 = s.cpu_ns()
                d = {"ops": g["ops"], "ops_per_sec": g["ops_per_sec"],
                     "consumer_cpu_s": ((c1 or 0) - (c0 or 0)) / 1e9}
                if use_stats:
                    progs = []
                    for p in bpf_prog_stats(s.p.pid):
                        b = before.get(p["name"], {"run_cnt": 0, "run_time_ns": 0})
                        progs.append(dict(p, run_cnt=p["run_cnt"] - b["run_cnt"],
                                          run_time_ns=p["run_time_ns"] - b["run_time_ns"]))
                    progs.sort(key=lambda x: -x["run_time_ns"])
                    d["bpf_progs"] = progs
                if perf is not None:
                    kill_proc(perf, signal.SIGINT, 30)
                    if os.path.exists(pf):
                        r = subprocess.run(["perf", "report", "-i", pf, "--stdio", "--no-children",
                                            "--sort", "dso,sym", "--percent-limit", "1.5", "-g", "none"],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                        res["perf_top"] = [l for l in r.stdout.splitlines()
                                           if l.strip() and not l.startswith("#")][:25]
                res["workloads"][wl] = d
            tr = s.stop()
            res["events"], res["lost"], res["cpu_s"] = tr.get("events"), tr.get("lost"), tr.get("cpu_s")
        finally:
            if s.p is not None and s.p.returncode is None:
                kill_proc(s.p, signal.SIGKILL)
            try:
                restore_stats()
            except OSError:
                pass

    # -- smoke assertions on the throughput trials
    def smoke_checks(self):
        untraced = [r for r in self.results["trials"] if r["tracer"] is None]
        for wl in WORKLOADS:
            rs = [r for r in untraced if r["workload"] == wl]
            ok = rs and all(r.get("ops", 0) > 0 and r.get("errors", 1) == 0 for r in rs)
            self.checks.check("generator %s runs" % wl, ok,
                              "%.0f ops/s" % median([r.get("ops_per_sec") for r in rs] or [0]) if ok else
                              "; ".join(r.get("error", "") for r in rs))
        for wl in WORKLOADS:
            rs = [r for r in self.results["trials"] if r["workload"] == wl and r["tracer"] == "sockscope"]
            for r in rs:
                tr = r.get("tracer_result") or {}
                ev, lost = tr.get("events"), tr.get("lost")
                ok = ev is not None and r.get("ops") and ev >= r["ops"]
                self.checks.check("sockscope captures %s (rep %d)" % (wl, r["rep"]), ok,
                                  "%s events for %s ops" % (ev, r.get("ops")) if "error" not in r else r["error"])
                self.checks.check("sockscope lost nothing on %s (rep %d)" % (wl, r["rep"]), lost == 0,
                                  "%s lost" % lost)
                fl = tr.get("file_lines")
                self.checks.check("NDJSON file has every event (%s rep %d)" % (wl, r["rep"]),
                                  fl is not None and ev is not None and
                                  fl - tr.get("file_lost_lines", 0) - tr.get("file_other_lines", 0) == ev,
                                  "%s lines, %s events" % (fl, ev))

    def run(self):
        t_start = time.monotonic()
        self.results["machine"] = self.machine()
        self.results["args"] = vars(self.a)
        self.results["tracers"] = [t.name for t in self.tracers]
        log("machine: %s" % json.dumps(self.results["machine"]))
        if not self.smoke and self.quiet_budget > 0:
            t0 = time.monotonic()
            f = self.wait_quiet(min(self.a.quiet_wait, self.quiet_budget))
            self.quiet_budget -= time.monotonic() - t0
            if f:
                self.notes.append("other BPF tracers were running at start: %s" % ", ".join(f))
        phases = [("startup", self.phase_startup),
                  ("throughput", self.phase_throughput)]
        if self.smoke:
            phases.append(("pacing", self.phase_pacing_check))
        phases += [("saturated", self.phase_saturated),
                   ("sweep", self.phase_sweep),
                   ("snapshot", self.phase_snapshot),
                   ("memory", self.phase_memory),
                   ("soak", self.phase_soak),
                   ("callgrind", self.phase_callgrind)]
        if not self.smoke and self.a.diag_secs > 0:
            phases.append(("diagnostics", self.phase_diagnostics))
        skip = set(x for x in self.a.skip.split(",") if x)
        self.results["phase_s"] = {}
        for name, fn in phases:
            if name in skip:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except KeyboardInterrupt:
                raise
            except Exception as e:
                import traceback
                traceback.print_exc()
                self.checks.check("phase %s" % name, False, str(e))
                self.notes.append("phase %s failed: %s" % (name, e))
            self.results["phase_s"][name] = time.monotonic() - t0
        if self.smoke:
            self.smoke_checks()
        self.results["total_s"] = time.monotonic() - t_start
        self.results["notes"] = self.notes
        self.write_outputs()
        if self.smoke:
            p, f = self.checks.counts()
            print("bench-smoke: %d passed, %d failed" % (p, f))
            return 1 if f else 0
        return 0

    # -- output
    def write_outputs(self):
        base = "smoke-" if self.smoke else "report-"
        md = os.path.join(self.outdir, base + self.stamp + ".md")
        js = os.path.join(self.outdir, ("smoke-" if self.smoke else "results-") + self.stamp + ".json")
        png = os.path.join(self.outdir, base + self.stamp + ".png")
        plotted = False
        if not self.smoke or self.a.plot_in_smoke:
            plotted = make_plot(self, png)
        text = render_report(self, os.path.basename(png) if plotted else None)
        with open(md, "w") as f:
            f.write(text)
        with open(js, "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        self.report_path = md
        self.checks.check("report written", os.path.getsize(md) > 0, md)
        log("report: %s" % md)
        if plotted:
            log("plot: %s" % png)


# ---- snapshot row parsing ------------------------------------------------------


def norm_addr(a):
    a = a.split("%", 1)[0]
    if a.startswith("[") and a.endswith("]"):
        a = a[1:-1]
    if a in ("*", "0.0.0.0", "::", ""):
        return "any"
    if a.lower().startswith("::ffff:") and "." in a:
        return a[7:]
    return a.lower()


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return norm_addr(host), (0 if port in ("*", "") else int(port))


TCP_STATES = {"ESTAB": "ESTABLISHED", "FIN_WAIT_1": "FIN_WAIT1", "FIN_WAIT_2": "FIN_WAIT2",
              "SYN_RECV": "SYN_RECV", "CLOSED": "CLOSE", "UNCONN": "CLOSE"}


def norm_state(proto, st):
    st = (st or "").upper().replace("-", "_")
    if proto == "udp":
        return "ESTAB" if st in ("ESTAB", "ESTABLISHED") else "UNCONN"
    return TCP_STATES.get(st, st)


def parse_ss(text):
    rows = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 6 or f[0] not in ("tcp", "udp"):
            continue
        la, lp = split_hostport(f[4])
        ra, rp = split_hostport(f[5])
        pids = frozenset(int(x) for x in re.findall(r"pid=(\d+)", " ".join(f[6:])))
        rows.append((f[0], norm_state(f[0], f[1]), la, lp, ra, rp, pids))
    return rows


def parse_ports(text, netns):
    rows, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if netns is not None and o.get("netns") not in (None, netns):
            continue
        proto = o.get("proto")
        pids = frozenset(h.get("pid") for h in o.get("holders", []) if h.get("pid"))
        rows.append((proto, norm_state(proto, o.get("state")), norm_addr(str(o.get("laddr", "*"))),
                     int(o.get("lport") or 0), norm_addr(str(o.get("raddr", "*"))),
                     int(o.get("rport") or 0), pids))
    return rows, bad


def compare_rows(ss_rows, p_rows, bad):
    a, b = collections.Counter(ss_rows), collections.Counter(p_rows)
    only_ss, only_p = a - b, b - a
    strip = lambda rows: collections.Counter(r[:6] for r in rows)
    a2, b2 = strip(ss_rows), strip(p_rows)

    def show(c):
        out = []
        for r, n in list(c.items())[:5]:
            out.append("%s %s %s:%d -> %s:%d pids=%s%s" % (r[0], r[1], r[2], r[3], r[4], r[5],
                                                          sorted(r[6]) if len(r) > 6 else "",
                                                          " x%d" % n if n > 1 else ""))
        return out

    return {"ss_rows": len(ss_rows), "ports_rows": len(p_rows), "unparsable": bad,
            "only_ss": sum(only_ss.values()), "only_ports": sum(only_p.values()),
            "tuple_only_ss": sum((a2 - b2).values()), "tuple_only_ports": sum((b2 - a2).values()),
            "examples_only_ss": show(only_ss), "examples_only_ports": show(only_p),
            "identical": not only_ss and not only_p and bad == 0}


# ---- callgrind / bpftool helpers ----------------------------------------------------


def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return None


def callgrind_top(path, n=12):
    ann = shutil.which("callgrind_annotate")
    if not ann:
        return []
    r = subprocess.run([ann, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = []
    started = False
    for line in r.stdout.splitlines():
        if re.search(r"file:function", line):
            started = True
            continue
        if started and line.strip():
            if line.startswith("-"):
                continue
            line = re.sub(r"\s*\[[^]]*\]$", "", line.strip())
            out.append(line.replace(ROOT + "/", ""))
            if len(out) >= n:
                break
    return out


def bpf_prog_stats(pid):
    r = subprocess.run(["bpftool", "prog", "show", "-j"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    try:
        progs = json.loads(r.stdout)
    except ValueError:
        return []
    ids = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) not in ("anon_inode:bpf-prog",
                                                                    "anon_inode:bpf_link"):
                    continue
                with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except (OSError, ValueError):
                pass
    except OSError:
        return []
    out = []
    for p in progs:
        if p.get("id") not in ids and not any(x.get("pid") == pid for x in p.get("pids", [])):
            continue
        out.append({"name": p.get("name"), "type": p.get("type"),
                    "run_cnt": p.get("run_cnt", 0), "run_time_ns": p.get("run_time_ns", 0)})
    out.sort(key=lambda x: -x["run_time_ns"])
    return out


# ---- report ------------------------------------------------------------------------


def ratio_rows(trials, tracer, wl, prefer_clean=True):
    """Traced trials of a cell. Pairs exposed to another BPF tracer running on
    the machine are left out when at least 3 (or all) pairs were clean."""
    rows = [r for r in trials if r["tracer"] == tracer and r["workload"] == wl and "ratio" in r]
    if prefer_clean:
        clean = [r for r in rows if r.get("clean", True)]
        if len(clean) >= min(3, len(rows)):
            return clean
    return rows


def tainted(rows):
    return any(not r.get("clean", True) for r in rows)


def tracer_names(b):
    return [t.name for t in b.tracers]


def render_report(b, png):
    R = b.results
    m = R["machine"]
    L = []
    w = L.append
    title = "sockscope benchmark" + (" (smoke run)" if b.smoke else "")
    w("# %s — %s\n" % (title, m["date"]))
    w("Machine: Linux %s, %s, %d CPUs (`nproc`), %s GiB, Debian %s. %s (git %s). "
      "Load average at start: %s.\n" % (m["kernel"], m.get("cpu", "?"), m["nproc"], m.get("mem_gib", "?"),
                                        m.get("debian", "?"), m["versions"].get("sockscope", "?"),
                                        m.get("git", "?"), " ".join(m.get("loadavg_start", []))))
    w("Peers: %s.\n" % (", ".join("%s" % v for k, v in m["versions"].items() if k != "sockscope") or "none"))
    w("Figures are min / median / max over %d repetition(s); a ratio is traced ÷ untraced "
      "throughput of the same generator, each traced run bracketed by untraced runs "
      "(A T1 A T2 A …), so machine drift cancels out. Run took %.0f s.\n"
      % (b.a.reps, R.get("total_s", 0)))
    names = tracer_names(b)
    trials = R["trials"]

    # headline
    w("## Headline\n")
    w("Throughput ratio (median, min–max) with 1 worker; events lost in total; tracer CPU "
      "per trial (median seconds of its own process for a %.1f s trial).\n" % b.a.trial_secs)
    hdr = "| tracer | " + " | ".join(WORKLOAD_TITLE[x] for x in WORKLOADS) + " | lost | tracer CPU s (conn4) |"
    w(hdr)
    w("|" + "---|" * (len(WORKLOADS) + 3))
    any_tainted = False
    for t in names:
        cells = []
        lost_total = 0
        for wl in WORKLOADS:
            rs = ratio_rows(trials, t, wl)
            s = stats3([r["ratio"] for r in rs])
            cells.append("—" if s is None else "**%.2f** (%.2f–%.2f)%s" % (s[1], s[0], s[2],
                                                                         " †" if tainted(rs) else ""))
            any_tainted = any_tainted or tainted(rs)
            lost_total += sum((r.get("tracer_result") or {}).get("lost") or 0 for r in rs)
        cpu = stats3([(r.get("tracer_result") or {}).get("cpu_s") for r in ratio_rows(trials, t, "conn4")])
        w("| %s | %s | %d | %s |" % (t, " | ".join(cells), lost_total, fmt_med(cpu)))
    w("")
    if any_tainted:
        w("† includes A/B pairs during which another BPF tracer ran on this machine (fewer than 3 "
          "clean pairs were left for that cell); see the notes in the detail section.\n")
    w("Same pairs, as a CPU-time ratio: the workload's own CPU time per operation (user + system, "
      "which includes the tracer's BPF programs running in its context) untraced ÷ traced. With 1 "
      "worker on %d CPUs it approximates the throughput ratio of an otherwise idle host and is "
      "less sensitive to CPU contention from other processes (not to other tracers' BPF "
      "programs, which run in the workload's context too) (median, min–max):\n" % NPROC)
    w("| tracer | " + " | ".join(WORKLOAD_TITLE[x] for x in WORKLOADS) + " |")
    w("|" + "---|" * (len(WORKLOADS) + 1))
    for t in names:
        cells = []
        for wl in WORKLOADS:
            s3 = stats3([r.get("cpu_ratio") for r in ratio_rows(trials, t, wl)])
            cells.append("—" if s3 is None else "**%.2f** (%.2f–%.2f)" % (s3[1], s3[0], s3[2]))
        w("| %s | %s |" % (t, " | ".join(cells)))
    w("")
    st = stats3([x * 1000 for x in R.get("startup_s", [])])
    mem = R.get("memory", {})
    soak = R.get("soak", {})
    cg = R.get("callgrind", {}).get("modes", {})
    w("| other figure | value |")
    w("|---|---|")
    w("| start to \"tracing\" (ms, min / median / max) | %s |" % fmt3(st, "%.0f"))
    if mem.get("vm_hwm"):
        w("| peak RSS with %d live sockets | %.1f MiB |" % (mem.get("held", 0), mem["vm_hwm"] / MIB))
    if soak.get("rss_last"):
        w("| RSS during a %d s soak (after warm-up → end, max) | %.1f → %.1f MiB, max %.1f |"
          % (soak["secs"], (soak.get("rss_warm") or 0) / MIB, soak["rss_last"] / MIB, soak["rss_max"] / MIB))
    if "json" in cg:
        w("| userspace instructions per event (callgrind, JSON) | %.0f |" % cg["json"]["ir_per_event"])
    snap = R.get("snapshot", {})
    if snap:
        tools = snap.get("tools", {})
        ssm = median(tools.get("ss", {}).get("wall_s", []))
        if snap.get("ports_implemented") and tools.get("ports"):
            pm = median(tools["ports"]["wall_s"])
            w("| `ports --all` vs `ss -tuanp`, %d sockets | %.3f s vs %.3f s (%.1f× faster) |"
              % (snap.get("held", 0), pm, ssm, ssm / pm if pm else 0))
        else:
            w("| `ports --all` vs `ss -tuanp` | not implemented (ss: %.3f s) |" % (ssm or 0))
    w("")

    # targets
    w("## Targets (issue 4)\n")
    w("| target | measured | result |")
    w("|---|---|---|")
    targets = evaluate_targets(b)
    R["targets"] = targets
    for name, measured, ok in targets:
        w("| %s | %s | %s |" % (name, measured, {True: "PASS", False: "FAIL", None: "n/a"}[ok]))
    w("")

    # per-workload detail
    w("## Throughput detail (1 worker)\n")
    w("Untraced/traced ops/s are medians of the trials; events and lost per trial (median, and "
      "lost summed over the repetitions); host CPU µs/op is all CPUs busy time over operations, "
      "untraced → traced (it includes the kernel-side cost of the tracer's programs, which runs "
      "in the workload's context). \"pairs (clean)\": traced trials, and how many of them (with "
      "both bracketing untraced runs) saw no other BPF tracer on the machine; statistics use the "
      "clean ones when there are at least 3.\n")
    for wl in WORKLOADS:
        w("### %s\n" % WORKLOAD_TITLE[wl])
        base = stats3([r["ops_per_sec"] for r in trials if r["workload"] == wl and r["tracer"] is None
                       and "ops_per_sec" in r])
        w("Untraced: %s ops/s.\n" % fmt3(base, "%.0f"))
        w("| tracer | pairs (clean) | ratio min / med / max | CPU/op ratio (med) | traced ops/s (med) | events/trial (med) | events/op | lost (sum) | tracer CPU s (med) | tracer CPU % of a core | host CPU µs/op |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for t in names:
            allrs = ratio_rows(trials, t, wl, prefer_clean=False)
            rs = ratio_rows(trials, t, wl)
            if not rs:
                errs = [r.get("error") for r in trials if r["tracer"] == t and r["workload"] == wl and r.get("error")]
                w("| %s | 0 | failed: %s |  |  |  |  |  |  |  |  |" % (t, (errs[0] if errs else "no data")[:80]))
                continue
            ev = median([(r.get("tracer_result") or {}).get("events") for r in rs])
            evop = median([((r.get("tracer_result") or {}).get("events") or 0) / r["ops"] for r in rs if r.get("ops")])
            lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for r in rs)
            cpu = median([(r.get("tracer_result") or {}).get("cpu_s") for r in rs])
            cpup = median([100 * ((r.get("tracer_result") or {}).get("cpu_s") or 0) / r["secs"] for r in rs])
            ha = median([r.get("untraced_host_cpu_us_per_op") for r in rs])
            hb = median([r.get("host_cpu_us_per_op") for r in rs])
            cr = median([r.get("cpu_ratio") for r in rs])
            w("| %s | %d (%d) | %s | %s | %.0f | %s | %s | %d | %s | %s | %s |" % (
                t, len(allrs), sum(1 for r in allrs if r.get("clean", True)),
                fmt3(stats3([r["ratio"] for r in rs])), "—" if cr is None else "%.2f" % cr, median([r["ops_per_sec"] for r in rs]),
                "—" if ev is None else "%.0f" % ev, "—" if evop is None else "%.2f" % evop, lost,
                "—" if cpu is None else "%.2f" % cpu, "—" if cpup is None else "%.0f" % cpup,
                "—" if ha is None or hb is None else "%.1f → %.1f" % (ha, hb)))
        w("")
    foreign = sorted(set(x for r in trials for x in r.get("foreign_tracers", [])))
    if foreign:
        n = sum(1 for r in trials if r.get("foreign_tracers"))
        w("Note: %d of %d trials ran while other BPF tracers were active on the machine (%s); "
          "both sides of their A/B pairs were exposed to them.\n" % (n, len(trials), ", ".join(foreign[:6])))

    sat = R.get("saturated", [])
    if sat:
        w("## Saturated host (%d workers = nproc)\n" % NPROC)
        w("Every CPU runs the workload, so each cycle the tracer spends (its consumer included) "
          "is a cycle the workload loses.\n")
        w("| tracer | bind cycle ratio | conn cycle ratio | lost (sum) | events/s seen (conn, med) |")
        w("|---|---|---|---|---|")
        for t in names:
            rb = ratio_rows(sat, t, "bind4")
            rc = ratio_rows(sat, t, "conn4")
            lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for r in rb + rc)
            evs = median([((r.get("tracer_result") or {}).get("events") or 0) / r["secs"] for r in rc if r.get("secs")])
            w("| %s | %s | %s | %d | %s |" % (t, fmt3(stats3([r["ratio"] for r in rb])),
                                             fmt3(stats3([r["ratio"] for r in rc])), lost,
                                             "—" if evs is None else "%.0f" % evs))
        w("")

    sw = R.get("sweep", [])
    if sw or png:
        w("## Throughput ratio vs offered event rate\n")
        if png:
            w("![ratio vs rate](%s)\n" % png)
        w("Offered rates are fractions of the untraced capacity (paced open-loop generator, 1 worker); "
          "the x axis counts sockscope's events per operation (%s). Ratio = achieved traced ÷ "
          "achieved untraced.\n" % ", ".join("%s %.1f/op" % (wl, events_per_op(b, wl) or 0) for wl in ("bind4", "conn4")))
        w("| workload | offered ops/s | " + " | ".join(names) + " |")
        w("|---|---|" + "---|" * len(names))
        for wl in ("bind4", "conn4"):
            rates = sorted(set(r["rate"] for r in sw if r["workload"] == wl))
            for rate in rates:
                cells = []
                for t in names:
                    v = [r["ratio"] for r in sw if r["workload"] == wl and r["rate"] == rate and r["tracer"] == t and "ratio" in r]
                    lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for r in sw
                               if r["workload"] == wl and r["rate"] == rate and r["tracer"] == t)
                    cells.append("—" if not v else "%.2f%s" % (median(v), (" (%d lost)" % lost) if lost else ""))
                w("| %s | %.0f | %s |" % (wl, rate, " | ".join(cells)))
        w("")

    if snap:
        w("## Snapshot: %d sockets in %d processes\n" % (snap.get("held", 0), snap.get("processes", 0)))
        w("The holder runs in its own network namespace (loopback only); each tool runs in it "
          "(`nsenter --net`), wall time of the whole command with its output read from a pipe. "
          "`ports` lists every namespace (its rows are compared for the holder's namespace); "
          "`ss` lists one. Text `ports` rows include a header line.\n")
        w("| tool | wall s (min / med / max) | rows | vs ss |")
        w("|---|---|---|---|")
        ssm = median(snap["tools"].get("ss", {}).get("wall_s", []))
        if not snap.get("ports_implemented"):
            w("| `sockscope ports --all` | not implemented | — | — |")
        for name, label in (("ports", "`sockscope ports --all`"), ("ports-json", "`sockscope ports --all --json`"),
                            ("ss", "`ss -tuanp`"), ("lsof", "`lsof -nP -i`")):
            d = snap["tools"].get(name)
            if not d:
                continue
            s = stats3(d["wall_s"])
            w("| %s | %s | %s | %s |" % (label, fmt3(s, "%.3f"), d.get("rows", "—"),
                                        "%.2f× faster" % (ssm / s[1]) if name != "ss" and s[1] < ssm else
                                        ("%.2f× slower" % (s[1] / ssm) if name != "ss" else "")))
        c = snap.get("compare")
        if c:
            w("\nRows, `ports --all --json` (this namespace) vs `ss -tuanp`: %d vs %d; %d only in ss, "
              "%d only in ports (by tuple alone: %d / %d); identical: %s.\n"
              % (c["ports_rows"], c["ss_rows"], c["only_ss"], c["only_ports"], c["tuple_only_ss"],
                 c["tuple_only_ports"], "yes" if c["identical"] else "**no**"))
            for x in c["examples_only_ss"]:
                w("- only in ss: `%s`" % x)
            for x in c["examples_only_ports"]:
                w("- only in ports: `%s`" % x)
            w("")

    w("## Start-up and memory\n")
    w("| figure | value |")
    w("|---|---|")
    w("| start to \"tracing\" (ms, min / med / max, %d runs, idle host) | %s |" % (len(R.get("startup_s", [])), fmt3(st, "%.0f")))
    if mem:
        w("| start to \"tracing\" with %s live sockets (%s seen) | %s ms |" % (
            mem.get("held"), mem.get("seeded"), "%.0f" % (mem["startup_s"] * 1000) if mem.get("startup_s") else "—"))
        for k, label in (("rss_after_start", "RSS after start"), ("vm_hwm", "peak RSS (VmHWM) after %ss conn + bind load" % b.a.memory_load_secs),
                         ("rss_end", "RSS at the end")):
            if mem.get(k):
                w("| %s, %s live sockets | %.1f MiB |" % (label, mem.get("held"), mem[k] / MIB))
        sm = mem.get("smaps")
        if sm:
            w("| RSS by mapping at the end (largest) | %s; anonymous total %.1f MiB |" % (
                ", ".join("%s %.1f MiB" % (n, v / MIB) for n, v in sm["top"]), sm["anonymous"] / MIB))
        if mem.get("bpf_map_bytes"):
            w("| BPF map memory (kernel, memlock of its maps) | %.1f MiB |" % (mem["bpf_map_bytes"] / MIB))
    if soak:
        g = soak.get("gen") or {}
        w("| soak: %d s of conn4 at %.0f ops/s; events / lost | %s / %s |" % (
            soak["secs"], g.get("ops_per_sec", 0), soak.get("events"), soak.get("lost")))
        w("| soak: sockscope CPU | %.1f s (%.0f%% of a core) |" % (soak.get("cpu_s", 0), 100 * soak.get("cpu_s", 0) / max(1, soak["secs"])))
        if soak.get("rss_warm"):
            w("| soak: RSS after warm-up → end (growth), max, VmHWM | %.2f → %.2f MiB (%+.2f MiB), %.2f, %.2f MiB |" % (
                soak["rss_warm"] / MIB, soak["rss_last"] / MIB, soak["growth"] / MIB, soak["rss_max"] / MIB,
                (soak.get("vm_hwm") or 0) / MIB))
        samples = soak.get("samples", [])
        if samples:
            step = max(1, len(samples) // 12)
            w("\nRSS samples (s: MiB): " + ", ".join("%g: %.1f" % (t, (v or 0) / MIB) for t, v in samples[::step]) + "\n")
    w("")

    cgr = R.get("callgrind", {})
    if cgr.get("modes"):
        w("## Userspace cost per event (callgrind)\n")
        w("`tests/bench/replay` pushes %d synthetic records (conn/bind/UDP cycles, failures, hostile "
          "names) through event_decode → trace_cmd's on_event steps (engine, format, output_append to "
          "/dev/null); instructions counted inside replay_run only, minus a 0-event run.\n" % cgr["events"])
        w("| mode | instructions/event |")
        w("|---|---|")
        for k, v in cgr["modes"].items():
            w("| %s | %.0f |" % (k, v["ir_per_event"]))
        if cgr.get("top"):
            w("\nTop functions (self, JSON mode):\n\n```")
            for l in cgr["top"]:
                w(l)
            w("```")
        w("")

    d = R.get("diagnostics")
    if d and d.get("workloads"):
        w("## Where sockscope's cost goes\n")
        w("One sockscope (`trace --json -o FILE`) with `kernel.bpf_stats_enabled` on for this "
          "phase only (restored after; it adds two clock reads per program run, tens of ns); "
          "each workload runs %g s with 1 worker.\n" % b.a.diag_secs)
        w("\"ratio bound\" = untraced ÷ (untraced + BPF) per operation: the best throughput ratio "
          "possible with these programs even if the consumer cost nothing (1 worker). Untraced µs/op "
          "is the workers' CPU time per operation (less sensitive to other load than ops/s).\n")
        w("| workload | ops/s traced | untraced CPU µs/op | BPF µs/op (all programs) | ratio bound | consumer CPU µs/op |")
        w("|---|---|---|---|---|---|")
        for wl, x in d["workloads"].items():
            unt = median([r.get("cpu_us_per_op") for r in R["trials"]
                          if r["workload"] == wl and r["tracer"] is None])
            bpf = sum(p["run_time_ns"] for p in x.get("bpf_progs", [])) / 1000 / max(1, x["ops"])
            w("| %s | %.0f | %s | %.2f | %s | %.2f |" % (
                wl, x["ops_per_sec"], "—" if unt is None else "%.1f" % unt, bpf,
                "—" if unt is None else "%.2f" % (unt / (unt + bpf)),
                1e6 * x["consumer_cpu_s"] / max(1, x["ops"])))
        w("")
        for wl, x in d["workloads"].items():
            progs = [p for p in x.get("bpf_progs", []) if p["run_cnt"] >= 0.005 * max(1, x["ops"])]
            if not progs:
                continue
            w("BPF programs under %s:\n" % wl)
            w("| program | type | runs/op | ns/run | µs/op |")
            w("|---|---|---|---|---|")
            for p in progs:
                w("| %s | %s | %.2f | %.0f | %.2f |" % (p["name"], p["type"], p["run_cnt"] / x["ops"],
                                                      p["run_time_ns"] / p["run_cnt"],
                                                      p["run_time_ns"] / 1000 / x["ops"]))
            w("")
        if d.get("perf_top"):
            w("`perf record -e cpu-clock -p <sockscope>` under conn4 (self time, ≥1.5%):\n\n```")
            for l in d["perf_top"]:
                w(l)
            w("```\n")

    w("## Method\n")
    w("- Generators (`tests/bench/*.c`, -O2): bind cycle = socket + bind 127.0.0.1:0 + close; conn cycle = "
      "socket + connect to a loopback listener + accept + SO_LINGER 0 + close both ends (RST, no TIME_WAIT); "
      "UDP cycle = socket + bind + connect + close. Each prints ops/s; `-r` paces them.")
    w("- sockscope runs as `sockscope trace --json -o FILE` (file in bench-results/, deleted after counting); "
      "events and lost from its exit line `sockscope: N events, M lost`; the file's line count is checked against it.")
    w("- tcplife / tcpstates: stdout to a file, lost from their `lost N events` warnings. bpftrace: "
      "`tests/bench/peer.bt` (bind/connect/accept/close syscall tracepoints + sock:inet_sock_set_state, a line per event), "
      "lost from `Lost N events`. auditd: private config and log, `-b 8192`, rule `-S bind,connect,accept,accept4,close`; "
      "lost from the kernel's audit lost counter; CPU includes kauditd. Audit state restored afterwards.")
    w("- Tracer CPU: utime+stime of the tracer process from ready to exit (its final drain included).")
    w("- Each tracer waits until attached (sockscope: the `tracing` line; libbpf tools: main loop in epoll; bpftrace: BEGIN printed; auditd: registered) before the workload starts.")
    if b.notes:
        w("\n## Notes\n")
        for n in b.notes:
            w("- %s" % n)
    w("")
    return "\n".join(L)


def events_per_op(b, wl):
    rs = [r for r in b.results["trials"] if r["tracer"] == "sockscope" and r["workload"] == wl and r.get("ops")]
    return median([((r.get("tracer_result") or {}).get("events") or 0) / r["ops"] for r in rs])


def evaluate_targets(b):
    R = b.results
    T = []
    trials = R["trials"]
    for wl, label in (("conn4", "conn cycle ratio ≥ 0.95 (median, full capture to a file)"),
                      ("bind4", "bind cycle ratio ≥ 0.95 (median)")):
        rows = ratio_rows(trials, "sockscope", wl)
        s = stats3([r["ratio"] for r in rows])
        c = median([r.get("cpu_ratio") for r in rows])
        T.append((label, "—" if s is None else "%.3f (CPU-time ratio %s)" % (s[1], "—" if c is None else "%.3f" % c),
                  None if s is None else s[1] >= 0.95))
    # 0 lost at the highest rate reached: every unpaced sockscope run
    runs = [r for r in trials + R.get("saturated", []) if r["tracer"] == "sockscope" and not r.get("rate")
            and "tracer_result" in r]
    if runs:
        top = max(runs, key=lambda r: ((r["tracer_result"].get("events") or 0) / max(r["secs"], 1e-9)))
        lost = sum(r["tracer_result"].get("lost") or 0 for r in runs)
        rate = (top["tracer_result"].get("events") or 0) / top["secs"]
        T.append(("0 lost events at the highest rate, default ring (16 MiB)",
                  "%d lost over %d runs; highest %.0f events/s (%s, %d workers) lost %d"
                  % (lost, len(runs), rate, top["workload"], top["workers"], top["tracer_result"].get("lost") or 0),
                  lost == 0))
    snap = R.get("snapshot", {})
    if snap:
        if not snap.get("ports_implemented"):
            T.append(("`ports --all` ≥ 5× faster than `ss -tuanp`, identical rows", "not implemented", None))
        elif snap["tools"].get("ports"):
            pm = median(snap["tools"]["ports"]["wall_s"])
            sm = median(snap["tools"]["ss"]["wall_s"])
            c = snap.get("compare", {})
            T.append(("`ports --all` ≥ 5× faster than `ss -tuanp`, identical rows",
                      "%.1f× (%.3f s vs %.3f s); rows %s" % (sm / pm, pm, sm,
                                                             "identical" if c.get("identical") else
                                                             "differ: %d only in ss, %d only in ports" % (c.get("only_ss", 0), c.get("only_ports", 0))),
                      sm / pm >= 5 and bool(c.get("identical"))))
    st = R.get("startup_s")
    if st:
        med = statistics.median(st) * 1000
        T.append(("start to \"tracing\" ≤ 150 ms (median)", "%.0f ms" % med, med <= 150))
    mem = R.get("memory", {})
    if mem.get("vm_hwm"):
        T.append(("RSS ≤ 64 MiB with 100k live sockets" if mem.get("held", 0) >= 100000 else
                  "RSS ≤ 64 MiB with %d live sockets" % mem.get("held", 0),
                  "VmHWM %.1f MiB" % (mem["vm_hwm"] / MIB), mem["vm_hwm"] <= 64 * MIB))
    soak = R.get("soak", {})
    if soak.get("growth") is not None:
        limit = max(1 * MIB, 0.02 * soak["rss_warm"])
        T.append(("RSS flat during the soak (growth after warm-up ≤ max(1 MiB, 2%%)), %d s" % soak["secs"],
                  "%+.2f MiB (%.1f → %.1f MiB)" % (soak["growth"] / MIB, soak["rss_warm"] / MIB, soak["rss_last"] / MIB),
                  soak["growth"] <= limit))
    return T


# ---- plot --------------------------------------------------------------------------


def make_plot(b, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        b.notes.append("matplotlib not available: no plot (apt-get install python3-matplotlib)")
        return False
    R = b.results
    names = tracer_names(b)
    if not names or not R["trials"]:
        return False
    colors = {"sockscope": "#1f77b4", "tcplife": "#ff7f0e", "tcpstates": "#2ca02c",
              "bpftrace": "#d62728", "auditd": "#9467bd"}
    markers = {"sockscope": "o", "tcplife": "s", "tcpstates": "^", "bpftrace": "D", "auditd": "v"}
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
    ymax = 1.0
    for ax, wl in zip(axes, ("bind4", "conn4")):
        epo = events_per_op(b, wl) or 1.0
        for t in names:
            pts = collections.defaultdict(list)
            for r in R.get("sweep", []):
                if r["workload"] == wl and r["tracer"] == t and "ratio" in r:
                    pts[r["rate"] * epo].append(r["ratio"])
            main = ratio_rows(R["trials"], t, wl)
            cap = b.capacity(wl)
            if main and cap:
                pts[cap * epo] = [r["ratio"] for r in main]
            if not pts:
                continue
            xs = sorted(pts)
            ys = [statistics.median(pts[x]) for x in xs]
            lo = [statistics.median(pts[x]) - min(pts[x]) for x in xs]
            hi = [max(pts[x]) - statistics.median(pts[x]) for x in xs]
            ymax = max([ymax] + [max(pts[x]) for x in xs])
            ax.errorbar(xs, ys, yerr=[lo, hi], label=t, color=colors.get(t), marker=markers.get(t, "o"),
                        capsize=3, linewidth=1.6, markersize=6)
        ax.axhline(0.95, color="grey", linestyle="--", linewidth=1)
        ax.text(0.01, 0.925, "target 0.95", transform=ax.get_yaxis_transform(),
                color="grey", fontsize=9, ha="left")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: ("%gk" % (v / 1e3)) if v < 1e6 else ("%gM" % (v / 1e6))))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title("%s — %.0f sockscope events per op" % (WORKLOAD_TITLE[wl], epo))
        ax.set_xlabel("offered load, socket events/s (log; rightmost = unpaced)")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes:
        ax.set_ylim(0, max(1.1, ymax + 0.05))
    axes[0].set_ylabel("throughput ratio, traced / untraced")
    axes[1].legend(loc="lower left", fontsize=9)
    m = R["machine"]
    fig.suptitle("sockscope vs peers: throughput ratio vs event rate — %s, Linux %s, %d CPUs"
                 % (m["date"][:10], m["kernel"], m["nproc"]), fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


class _Named:
    def __init__(self, name):
        self.name = name


def render_only(path):
    """Report and plot again from a saved results-*.json (next to it)."""
    with open(path) as f:
        results = json.load(f)
    b = Bench.__new__(Bench)
    b.a = argparse.Namespace(**results["args"])
    b.smoke = b.a.smoke
    b.results = results
    b.notes = results.get("notes", [])
    b.tracers = [_Named(n) for n in results["tracers"]]
    stem = os.path.splitext(path)[0].replace("results-", "report-")
    png = stem + ".png"
    plotted = make_plot(b, png)
    with open(stem + ".md", "w") as f:
        f.write(render_report(b, os.path.basename(png) if plotted else None))
    log("report: %s.md" % stem)
    return 0


# ---- main ----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds-long self-check (CI)")
    ap.add_argument("--sockscope", default=os.path.join(ROOT, "sockscope"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".output", "bench"))
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "bench-results"))
    ap.add_argument("--tracers", default=None, help="comma list (default: sockscope + every peer; smoke: sockscope)")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--trial-secs", type=float, default=None)
    ap.add_argument("--saturated-reps", type=int, default=None)
    ap.add_argument("--sweep", default=None, help="offered-rate fractions of capacity, e.g. 0.1,0.3,0.6")
    ap.add_argument("--sweep-secs", type=float, default=None)
    ap.add_argument("--soak-secs", type=float, default=None, help="soak duration (default 600; smoke 3)")
    ap.add_argument("--snapshot-sockets", type=int, default=None)
    ap.add_argument("--snapshot-procs", type=int, default=None)
    ap.add_argument("--snapshot-runs", type=int, default=None)
    ap.add_argument("--memory-sockets", type=int, default=None)
    ap.add_argument("--memory-procs", type=int, default=None)
    ap.add_argument("--memory-load-secs", type=float, default=None)
    ap.add_argument("--startup-runs", type=int, default=None)
    ap.add_argument("--replay-events", type=int, default=None)
    ap.add_argument("--diag-secs", type=float, default=None)
    ap.add_argument("--quiet-wait", type=float, default=None,
                    help="wait up to this long for other BPF tracers to finish before each group")
    ap.add_argument("--quiet-budget", type=float, default=None,
                    help="total seconds the run may spend waiting for other tracers")
    ap.add_argument("--skip", default="", help="phases to skip: startup,throughput,saturated,sweep,snapshot,memory,soak,callgrind,diagnostics")
    ap.add_argument("--plot-in-smoke", action="store_true")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only re-render the report and plot from a results-*.json")
    a = ap.parse_args()
    if a.render:
        return render_only(a.render)
    full = dict(tracers="sockscope," + ",".join(PEERS), reps=5, trial_secs=1.5, saturated_reps=2,
                sweep="0.1,0.3,0.6", sweep_secs=1.0, soak_secs=600, snapshot_sockets=20000,
                snapshot_procs=100, snapshot_runs=5, memory_sockets=100000, memory_procs=100,
                memory_load_secs=5, startup_runs=10, replay_events=100000, diag_secs=4, quiet_wait=60,
                quiet_budget=60)
    smoke = dict(tracers="sockscope", reps=1, trial_secs=0.3, saturated_reps=0, sweep="0.3",
                 sweep_secs=0.3, soak_secs=3, snapshot_sockets=400, snapshot_procs=4, snapshot_runs=2,
                 memory_sockets=2000, memory_procs=4, memory_load_secs=0.5, startup_runs=3,
                 replay_events=5000, diag_secs=0, quiet_wait=0, quiet_budget=0)
    for k, v in (smoke if a.smoke else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if os.geteuid() != 0:
        print("bench: needs root (BPF, auditd, namespaces)", file=sys.stderr)
        if a.smoke:
            print("bench-smoke: 0 passed, 1 failed")
        return 1
    for f in (a.sockscope, os.path.join(a.bin_dir, "conn_cycle")):
        if not os.path.exists(f):
            print("bench: %s missing (make sockscope bench-bins)" % f, file=sys.stderr)
            if a.smoke:
                print("bench-smoke: 0 passed, 1 failed")
            return 1
    try:
        return Bench(a).run()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:
        import traceback
        traceback.print_exc()
        if a.smoke:
            print("bench-smoke: 0 passed, 1 failed")
        return 1
    finally:
        run_cleanups()


if __name__ == "__main__":
    sys.exit(main())
