"""What every part of the benchmark uses: the constants (workloads, peers,
generator commands), the log, processes we start and their clean-up (the
machine is left as found), /proc readers (CPU, memory, BPF fds, foreign
tracers), line counting and min / median / max statistics.
"""

import atexit
import collections
import os
import re
import signal
import statistics
import subprocess
import sys
import time


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NPROC = os.cpu_count() or 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
WORKLOADS = ["bind4", "conn4", "conn6", "udp4"]
# work that is not a socket's: what sockscope taxes it (issue 9)
NONSOCKET = ["open_close", "fork_exit"]
PEERS = ["tcplife", "tcpstates", "bpftrace", "auditd"]
# sockscope's own tracers: `trace --json -o FILE` and the daemon (defaults)
SOCKSCOPE_TRACERS = ["sockscope", "sockscope-daemon"]
# generator binary and arguments for each workload name
GEN = {
    "bind4": ("bind_cycle", []),
    "bind6": ("bind_cycle", ["-6"]),
    "conn4": ("conn_cycle", []),
    "conn6": ("conn_cycle", ["-6"]),
    "udp4": ("udp_cycle", []),
    "udp6": ("udp_cycle", ["-6"]),
    "udp-sendto4": ("udp_cycle", ["--sendto"]),
    "open_close": ("open_close", []),
    "fork_exit": ("fork_exit", []),
}
WORKLOAD_TITLE = {
    "bind4": "bind cycle (IPv4)",
    "conn4": "conn cycle (IPv4)",
    "conn6": "conn cycle (IPv6)",
    "udp4": "UDP cycle (IPv4)",
    "open_close": "open + close of a file",
    "fork_exit": "fork + exit + wait",
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


def _sigterm(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def install_cleanup():
    """Run the clean-ups at exit, and on SIGTERM/SIGHUP (as on Ctrl-C)."""
    atexit.register(run_cleanups)
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


def fs_type(path):
    """The filesystem type of the mount path is on (/proc/self/mountinfo),
    e.g. "ext4", or None."""
    path = os.path.realpath(path)
    best, typ = -1, None
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                mnt = left.split()[4].replace("\\040", " ")
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) > best:
                    best, typ = len(mnt), right.split()[0]
    except (OSError, IndexError):
        return None
    return typ


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
