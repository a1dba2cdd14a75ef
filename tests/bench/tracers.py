"""A tracer under test: the interface every tracer implements (start
when attached, stop with events / lost / CPU), and sockscope itself
(`sockscope trace --json -o FILE`).
"""

import os
import re
import signal
import subprocess
import threading
import time

from lib import count_lines, kill_proc, popen, proc_cpu_ns


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

    def spawn(self, cmd, ready_prefix):
        """Starts cmd (stderr read by a thread) and waits for its stderr line
        starting with ready_prefix: the start-up time and the CPU it took are
        kept; a tracer that never says it is ready is killed."""
        self.t0 = time.monotonic()
        self.p = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        t, line = self.err.wait_for(ready_prefix, self.ready_timeout)
        if t is None:
            kill_proc(self.p, signal.SIGKILL)
            raise RuntimeError("%s did not start: %s" % (self.name, self.err.text()))
        self.startup_s = t - self.t0
        self.ready_cpu = self.cpu_ns()
        return self

    def wait_started(self, ready, timeout=None, pause=0.02, on_fail=None):
        """Polls ready() until it is true; if the peer exits or timeout
        (default ready_timeout) passes first: kill it, on_fail(), raise."""
        deadline = time.monotonic() + (self.ready_timeout if timeout is None else timeout)
        while not ready():
            if self.p.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.p, signal.SIGKILL)
                if on_fail:
                    on_fail()
                raise RuntimeError("%s did not start: %s" % (self.name, self.err.text()))
            time.sleep(pause)


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
        return self.spawn(cmd, "sockscope: tracing")

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


class SockscopeDaemon(Tracer):
    """`sockscope daemon` in its default configuration: the SQLite history
    (a fresh --db in the work directory for each run) and one file sink.
    The sink's rotation is off (max_bytes=0) so that every line can be
    counted; the default rotates every 10 MiB (a few renames: negligible).
    --config /dev/null: not the host's configuration file."""

    name = "sockscope-daemon"

    def __init__(self, workdir, binary):
        super().__init__(workdir)
        self.binary = binary
        self.dir = os.path.join(workdir, "daemon")
        self.db = os.path.join(self.dir, "sockscope.db")
        self.sink = os.path.join(self.dir, "events.json")

    def version(self):
        return Sockscope(self.workdir, self.binary).version()

    def clean(self):
        for f in (self.db, self.db + "-wal", self.db + "-shm", self.sink):
            if os.path.exists(f):
                os.unlink(f)

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.clean()
        cmd = [self.binary, "daemon", "--config", "/dev/null", "--db", self.db,
               "--sink", "file:%s?max_bytes=0" % self.sink]
        return self.spawn(cmd, "sockscope: daemon running")

    def stop(self):
        ru = kill_proc(self.p, signal.SIGINT, 60)
        self.err.join(5)
        text = self.err.text()
        res = {"exit": self.p.returncode, "stderr": text[-2000:], "events": None, "lost": None}
        if ru is not None:
            res["cpu_s"] = max(0.0, ru.ru_utime + ru.ru_stime - self.ready_cpu / 1e9)
        # What a sink could not write, said at exit (none: every line is there)
        m = re.search(r"sink [^\n]*: (\d+) events written, (\d+) not written", text)
        res["sink_not_written"] = int(m.group(2)) if m else 0
        if os.path.exists(self.sink):
            lines, (lost_lines, resync_lines) = count_lines(
                self.sink, (b'"event":"lost"', b'"event":"resync"'))
            res["file_lines"] = lines
            res["file_lost_lines"] = lost_lines
            res["file_other_lines"] = resync_lines
            res["file_bytes"] = os.path.getsize(self.sink)
            res["events"] = lines - lost_lines - resync_lines
            res["lost"] = lost_total(self.sink) if lost_lines else 0
        res["db_bytes"] = sum(os.path.getsize(f) for f in (self.db, self.db + "-wal")
                              if os.path.exists(f))
        self.clean()
        return res


def lost_total(path):
    """The sum of the "lost" counts of a stream's lost records."""
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if b'"event":"lost"' in line:
                m = re.search(rb'"lost":(\d+)', line)
                n += int(m.group(1)) if m else 0
    return n
