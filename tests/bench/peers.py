"""The peers a user would run instead of sockscope: libbpf-tools
tcplife and tcpstates, a bpftrace script on the same hooks (peer.bt), and
auditd with bind/connect/accept/close rules (audit state restored).
"""

import os
import re
import shutil
import signal
import subprocess
import time

from lib import HERE, count_lines, in_syscall_wait, kill_proc, kthread_pid, log, on_cleanup, \
    popen, proc_cpu_ns
from tracers import StderrReader, Tracer


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
        # attached once the main loop waits for perf-buffer data
        self.wait_started(lambda: in_syscall_wait(self.p.pid))
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

    def printed_ready(self):
        """peer.bt prints "ready" once its probes are attached."""
        try:
            with open(self.out, "rb") as f:
                return b"\nready\n" in f.read(4096)
        except OSError:
            return False

    def start(self):
        self.out = os.path.join(self.workdir, "bpftrace.out")
        if os.path.exists(self.out):
            os.unlink(self.out)
        self.p = popen([self.path, "-o", self.out, self.script], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = StderrReader(self.p.stderr)
        self.err.start()
        self.wait_started(self.printed_ready)
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
        self.wait_started(lambda: self.status().get("pid") == self.p.pid, timeout=15,
                          pause=0.05, on_fail=self.restore)
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
