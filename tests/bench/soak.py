"""The daemon soak (issue 10, item 16): `sockscope daemon` with its SQLite
store (size-capped), a file sink that rotates (small max_bytes) and the
metrics endpoint, under mixed paced load (bind / conn / UDP cycles, IPv4 and
IPv6) for --daemon-soak-secs, while `history`, `who` and `ports` query it
every few seconds. The daemon's RSS, open fds, database size (+WAL) and sink
files are sampled every --daemon-soak-interval s; each series gets a
flat / not-flat verdict: after warm-up, the maximum over the last third of
the samples may exceed the maximum over the first third only by a small
tolerance (see FLAT). Mixed into Bench (harness.py) like phases.py.
"""

import os
import re
import signal
import subprocess
import threading
import time

from lib import MIB, kill_proc, log, popen, proc_cpu_ns, proc_status

# workloads cycled by the load thread (generators of tests/bench/*.c)
SOAK_WORKLOADS = ("bind4", "conn4", "udp4", "conn6", "bind6", "udp-sendto4")
# series: (key, title, relative tolerance, absolute tolerance)
FLAT = (("rss", "daemon RSS (bytes)", 0.10, 1 * MIB),
        ("fds", "daemon open fds", 0.0, 2),
        ("db", "database + WAL (bytes)", 0.10, 256 * 1024),
        ("sink", "sink files, total (bytes)", 0.10, 64 * 1024))
SOAK_METRICS_PORT = 19463 + 37
SOAK_RETAIN = 4 * MIB
SOAK_SINK_MAX = 256 * 1024
SOAK_SINK_KEEP = 3


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def files_size(paths):
    total = 0
    for p in paths:
        try:
            total += os.path.getsize(p)
        except OSError:
            pass
    return total


def flat_verdict(samples, key, rel, slack, warm_t):
    """Compare the last third's max with the first third's max after warm-up."""
    v = [s[key] for s in samples if s["t"] >= warm_t and s.get(key) is not None]
    if len(v) < 3:
        return {"verdict": "too few samples", "flat": None}
    n = len(v) // 3
    first, last = max(v[:n]), max(v[-n:])
    limit = first * (1 + rel) + slack
    return {"first_max": first, "last_max": last, "limit": limit, "flat": last <= limit,
            "verdict": "flat" if last <= limit else "NOT flat"}


class Queries(threading.Thread):
    """history, who and ports against the running daemon, every period s."""

    def __init__(self, sockscope, period, port):
        super().__init__(daemon=True)
        self.cmds = (("history", [sockscope, "history", "--limit", "200", "--json"]),
                     ("who", [sockscope, "who", str(port), "--json"]),
                     ("ports", [sockscope, "ports", "--json"]))
        self.period = period
        self.stop_ev = threading.Event()
        self.stats = {name: {"runs": 0, "failed": 0, "wall_s": [], "last_error": None}
                      for name, _ in self.cmds}

    def run(self):
        while not self.stop_ev.is_set():
            for name, cmd in self.cmds:
                t0 = time.monotonic()
                try:
                    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, timeout=60)
                    rc, err, out = r.returncode, r.stderr, r.stdout
                except subprocess.TimeoutExpired:
                    rc, err, out = None, "timed out after 60 s", ""
                st = self.stats[name]
                st["runs"] += 1
                st["wall_s"].append(round(time.monotonic() - t0, 4))
                # history may be empty (nothing closed yet); who and ports
                # always have the daemon's own metrics listener
                if rc != 0 or (name != "history" and not out.strip()):
                    st["failed"] += 1
                    st["last_error"] = "exit %s: %s" % (rc, err.strip()[-300:])
            self.stop_ev.wait(self.period)


class Load(threading.Thread):
    """The generators in turn, paced, chunk s each, until stopped."""

    def __init__(self, gens, rate, chunk):
        super().__init__(daemon=True)
        self.gens, self.rate, self.chunk = gens, rate, chunk
        self.stop_ev = threading.Event()
        self.ops = {wl: 0 for wl in SOAK_WORKLOADS}
        self.errors = []

    def run(self):
        i = 0
        while not self.stop_ev.is_set():
            wl = SOAK_WORKLOADS[i % len(SOAK_WORKLOADS)]
            i += 1
            try:
                r = self.gens.run(wl, secs=self.chunk, rate=self.rate)
                self.ops[wl] += r["ops"]
            except Exception as e:  # recorded, the soak goes on
                self.errors.append("%s: %s" % (wl, e))
                self.stop_ev.wait(1)


class DaemonSoak:
    """phase_daemon_soak, mixed into Bench."""

    def soak_daemon_start(self, cmd, err_path):
        err = open(err_path, "w")
        p = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 30
        while True:
            with open(err_path) as f:
                text = f.read()
            if "daemon running" in text:
                return p, err
            if p.poll() is not None or time.monotonic() > deadline:
                kill_proc(p, signal.SIGKILL)
                err.close()
                raise RuntimeError("daemon did not start: %s" % text.strip()[-500:])
            time.sleep(0.05)

    def soak_sample(self, pid, t, db, sink_dir, load):
        sink_files = sorted(os.listdir(sink_dir)) if os.path.isdir(sink_dir) else []
        return {"t": round(t, 1), "rss": proc_status(pid, "VmRSS"), "fds": fd_count(pid),
                "db": files_size([db, db + "-wal"]), "db_main": files_size([db]),
                "sink": files_size(os.path.join(sink_dir, f) for f in sink_files),
                "sink_files": len(sink_files), "cpu_s": round((proc_cpu_ns(pid) or 0) / 1e9, 2),
                "ops": sum(load.ops.values())}

    def soak_metrics(self):
        import urllib.request
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % SOAK_METRICS_PORT,
                                        timeout=10) as r:
                text = r.read().decode("utf-8", "replace")
        except OSError as e:
            return {"error": str(e)}
        out = {}
        for line in text.splitlines():
            m = re.match(r"^(sockscope_[a-z_]+)(\{[^}]*\})? ([0-9.e+]+)$", line)
            if m:
                out[m.group(1)] = out.get(m.group(1), 0) + float(m.group(3))
        return out

    def phase_daemon_soak(self):
        secs = self.a.daemon_soak_secs
        if not secs:
            return
        interval = self.a.daemon_soak_interval
        d = os.path.join(self.work, "soak")
        sink_dir = os.path.join(d, "sink")
        os.makedirs(sink_dir)
        db = os.path.join(d, "sockscope.db")
        spec = "file:%s?max_bytes=%d&keep=%d" % (os.path.join(sink_dir, "events.json"),
                                                SOAK_SINK_MAX, SOAK_SINK_KEEP)
        cmd = [self.sockscope, "daemon", "--config", "/dev/null", "--db", db, "--sink", spec,
               "--retain-size", str(SOAK_RETAIN), "--metrics", "127.0.0.1:%d" % SOAK_METRICS_PORT]
        res = {"secs": secs, "interval": interval, "rate": self.a.daemon_soak_rate,
               "workloads": list(SOAK_WORKLOADS), "retain_bytes": SOAK_RETAIN,
               "sink_max_bytes": SOAK_SINK_MAX, "sink_keep": SOAK_SINK_KEEP,
               "query_period": self.a.daemon_soak_query_period, "cmd": " ".join(cmd[1:]),
               "samples": []}
        self.results["daemon_soak"] = res
        log("daemon soak: %ds of %s at %d ops/s, samples every %gs, queries every %gs"
            % (secs, ",".join(SOAK_WORKLOADS), self.a.daemon_soak_rate, interval,
               self.a.daemon_soak_query_period))
        p, err = self.soak_daemon_start(cmd, os.path.join(d, "daemon.err"))
        load = Load(self.gens, self.a.daemon_soak_rate, min(5.0, max(1.0, secs / 20)))
        queries = Queries(self.sockscope, self.a.daemon_soak_query_period, SOAK_METRICS_PORT)
        t0 = time.monotonic()
        load.start()
        queries.start()
        alive = True
        try:
            while True:
                t = time.monotonic() - t0
                if p.poll() is not None:
                    alive = False
                    break
                res["samples"].append(self.soak_sample(p.pid, t, db, sink_dir, load))
                if t >= secs:
                    break
                time.sleep(max(0.0, min(interval, secs - t) - (time.monotonic() - t0 - t)))
        finally:
            load.stop_ev.set()
            queries.stop_ev.set()
            load.join(120)
            queries.join(120)
        res["metrics"] = self.soak_metrics() if alive else {}
        res["vm_hwm"] = proc_status(p.pid, "VmHWM")
        kill_proc(p, signal.SIGTERM, 60)
        err.close()
        res["exit"] = p.returncode
        with open(os.path.join(d, "daemon.err")) as f:
            res["stderr_tail"] = f.read()[-1500:]
        res["ops"] = load.ops
        res["load_errors"] = load.errors[:10]
        res["queries"] = queries.stats
        res["db_final"] = files_size([db, db + "-wal"])
        res["sink_files_final"] = sorted(os.listdir(sink_dir))
        warm_t = min(60.0, secs * 0.2)
        res["warm_t"] = warm_t
        res["verdicts"] = {k: flat_verdict(res["samples"], k, rel, slack, warm_t)
                           for k, _, rel, slack in FLAT}
        self.soak_checks(res, alive)
        if not self.smoke:
            path = os.path.join(self.outdir, "soak-%s.md" % self.stamp)
            with open(path, "w") as f:
                f.write("\n".join(soak_report(self, res)) + "\n")
            log("soak report: %s" % path)

    def soak_checks(self, res, alive):
        c = self.checks.check
        c("daemon soak: daemon alive for %ds, exit 0 on SIGTERM" % res["secs"],
          alive and res["exit"] == 0, "exit %s" % res["exit"])
        ops = sum(res["ops"].values())
        c("daemon soak: load ran", ops > 0 and not res["load_errors"],
          "%d ops; %s" % (ops, "; ".join(res["load_errors"]) or "no errors"))
        for name, st in res["queries"].items():
            c("daemon soak: %s queries answered" % name, st["runs"] > 0 and st["failed"] == 0,
              "%d runs, %d failed%s" % (st["runs"], st["failed"],
                                        ": " + st["last_error"] if st["last_error"] else ""))
        c("daemon soak: the file sink rotated", len(res["sink_files_final"]) > 1,
          ", ".join(res["sink_files_final"]))
        m = res.get("metrics", {})
        c("daemon soak: no event lost or dropped",
          not m.get("error") and m.get("sockscope_lost_records_total", 0) == 0 and
          m.get("sockscope_sink_dropped_total", 0) == 0 and
          m.get("sockscope_store_dropped_total", 0) == 0,
          "lost %s, sink dropped %s, store dropped %s" % (
              m.get("sockscope_lost_records_total"), m.get("sockscope_sink_dropped_total"),
              m.get("sockscope_store_dropped_total")) if not m.get("error") else m["error"])
        if self.smoke:
            return  # seconds are too few for a trend
        for k, title, _, _ in FLAT:
            v = res["verdicts"][k]
            c("daemon soak: %s flat" % title, v["flat"],
              "%s: last third max %s, first third max %s" % (v["verdict"], v.get("last_max"),
                                                             v.get("first_max")))


def fmt_size(v):
    if v is None:
        return "—"
    return "%.2f MiB" % (v / MIB) if v >= MIB else "%.0f KiB" % (v / 1024)


def soak_report(b, res):
    """Markdown lines: set-up, samples table, verdicts, queries, counters."""
    L = []
    w = L.append
    w("## Daemon soak\n")
    w("`sockscope %s` for %d s (%s; machine: %s CPUs, Linux %s). Load: %s in turn, %d ops/s "
      "each, paced; `history --limit 200 --json`, `who %d --json` and `ports --json` every %g s. "
      "Sampled every %g s; flat = after %g s of warm-up, the last third's max ≤ the first "
      "third's max + tolerance.\n"
      % (res["cmd"], res["secs"], b.results["machine"].get("date", "?"),
         b.results["machine"].get("nproc", "?"), b.results["machine"].get("kernel", "?"),
         ", ".join(res["workloads"]), res["rate"], SOAK_METRICS_PORT, res["query_period"],
         res["interval"], res["warm_t"]))
    w("| series | first third max | last third max | tolerance | verdict |")
    w("|---|---|---|---|---|")
    for k, title, rel, slack in FLAT:
        v = res["verdicts"][k]
        f = (lambda x: "—" if x is None else "%d" % x) if k == "fds" else fmt_size
        tol = "+%d" % slack if k == "fds" else "+%d%% + %s" % (rel * 100, fmt_size(slack))
        w("| %s | %s | %s | %s | %s |" % (title, f(v.get("first_max")), f(v.get("last_max")),
                                         tol, v["verdict"]))
    w("")
    w("| t (s) | ops so far | RSS | fds | db + WAL | db file | sink files | sink bytes | daemon CPU s |")
    w("|---|---|---|---|---|---|---|---|---|")
    for s in res["samples"]:
        w("| %.0f | %d | %s | %s | %s | %s | %d | %s | %.1f |" % (
            s["t"], s["ops"], fmt_size(s["rss"]), s["fds"], fmt_size(s["db"]),
            fmt_size(s["db_main"]), s["sink_files"], fmt_size(s["sink"]), s["cpu_s"]))
    w("")
    w("| query | runs | failed | wall s (median / max) |")
    w("|---|---|---|---|")
    for name, st in res["queries"].items():
        ws = sorted(st["wall_s"])
        w("| %s | %d | %d | %s |" % (name, st["runs"], st["failed"],
                                     "%.3f / %.3f" % (ws[len(ws) // 2], ws[-1]) if ws else "—"))
    w("")
    m = res.get("metrics", {})
    keys = ("sockscope_events_total", "sockscope_lost_records_total", "sockscope_sink_written_total",
            "sockscope_sink_dropped_total", "sockscope_store_committed_total",
            "sockscope_store_dropped_total")
    w("Generator operations: %s (total %d). Counters at the end (metrics): %s. VmHWM %s; "
      "exit %s on SIGTERM; sink files at the end: %s.\n"
      % (", ".join("%s %d" % kv for kv in res["ops"].items()), sum(res["ops"].values()),
         ", ".join("%s %s" % (k[len("sockscope_"):], "%d" % m[k] if k in m else "—") for k in keys),
         fmt_size(res.get("vm_hwm")), res.get("exit"), ", ".join(res["sink_files_final"])))
    return L


def section_daemon_soak(b, w, png):
    """The report section (report.py SECTIONS)."""
    res = b.results.get("daemon_soak")
    if res and res.get("verdicts"):
        for line in soak_report(b, res):
            w(line)
