"""The workload generators (tests/bench/*.c): one timed run with its
ops/s and CPU cost, and the socket holder in a network namespace of its
own.
"""

import json
import os
import subprocess
import time

from lib import CLK_TCK, GEN, host_busy_ticks, on_cleanup, popen, reap


class Gens:
    def __init__(self, bindir, tmpdir=None):
        self.bindir = bindir
        # where open_close makes its file ($TMPDIR); None: the generator's /tmp
        self.tmpdir = tmpdir
        self.env = dict(os.environ, TMPDIR=tmpdir) if tmpdir else None

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
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
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
