"""The phases of a run (throughput, saturated host, rate sweep, generator
pacing, start-up, snapshot, memory, soak, callgrind, diagnostics): what each
measures and the checks it records. Mixed into Bench (harness.py), whose
trials, A/B groups and results they use.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from lib import GEN, MIB, NONSOCKET, NPROC, SOCKSCOPE_TRACERS, WORKLOADS, bpf_map_memlock, \
    fs_type, kill_proc, log, on_cleanup, popen, proc_status, smaps_breakdown
from profiling import bpf_prog_stats, callgrind_top, callgrind_total
from rows import compare_rows, parse_ports, parse_ss
from tracers import Sockscope, SockscopeDaemon
from workloads import Holder

# the saturated host's workloads (nproc workers; smoke: the one issue 9 added)
SATURATED = ("bind4", "conn4", "udp4")
SATURATED_SMOKE = ("udp4",)
# the diagnostics phase's workloads (smoke: the shortest set that shows both kinds)
DIAG_WORKLOADS = ("conn4", "bind4", "udp4") + tuple(NONSOCKET)
DIAG_WORKLOADS_SMOKE = ("conn4", "open_close")
# replay's daemon consumers (issue 9): a row when replay has the option
REPLAY_DAEMON_MODE = ("daemon (SQLite + file sink)", ["--daemon"])


class Phases:
    """The measurements of a run, one method each; Bench (harness.py) runs them."""

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
        wls = SATURATED_SMOKE if self.smoke else SATURATED
        log("saturated host: %d workers (= nproc), %s" % (NPROC, " + ".join(wls)))
        for rep in range(self.a.saturated_reps):
            for wl in wls:
                k = rep % max(1, len(self.tracers))
                order = self.tracers[k:] + self.tracers[:k]
                self.results["saturated"].extend(
                    self.ab_group(wl, self.a.trial_secs, order, workers=NPROC,
                                  tag="saturated", rep=rep))

    def phase_nonsocket(self):
        """Work that is not a socket's (issue 9: no tax on it): open + close of
        a regular file and fork + exit + wait, 1 worker, under sockscope's
        tracers (trace and the daemon), A/B/A like the throughput phase."""
        tracers = [t for t in self.tracers if t.name in SOCKSCOPE_TRACERS]
        if not tracers:
            self.notes.append("non-socket loops: no sockscope tracer in --tracers, skipped")
            return
        self.results["nonsocket_fs"] = {"dir": self.work, "type": fs_type(self.work)}
        log("non-socket loops: %d reps x %s x (untraced + %s); open_close's file on %s (%s)"
            % (self.a.nonsocket_reps, ",".join(NONSOCKET), ",".join(t.name for t in tracers),
               self.work, self.results["nonsocket_fs"]["type"]))
        for rep in range(self.a.nonsocket_reps):
            for wl in NONSOCKET:
                k = rep % len(tracers)
                recs = self.ab_group(wl, self.a.trial_secs, tracers[k:] + tracers[:k],
                                     tag="nonsocket", rep=rep)
                self.results["nonsocket"].extend(recs)
                for r in recs:
                    if r.get("tracer") and "ratio" in r:
                        log("  rep %d %-10s %-16s ratio %.3f  CPU ratio %s"
                            % (rep, wl, r["tracer"], r["ratio"],
                               "%.3f" % r["cpu_ratio"] if r.get("cpu_ratio") else "—"))

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
            [("json", []), ("text", ["--text"]), ("json, no engine", ["--no-engine"]),
             ("json, identity", ["--identity"])]
        # the daemon's consumers (SQLite, a file sink), once replay has them
        r = subprocess.run([replay, "100", REPLAY_DAEMON_MODE[1][0]], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=self.work, env=self.gens.env)
        res["daemon_mode"] = r.returncode == 0
        if r.returncode == 0:
            modes.append(REPLAY_DAEMON_MODE)
        else:
            res["daemon_mode_error"] = (r.stderr.strip() or r.stdout.strip()).splitlines()[:1]
            self.notes.append("callgrind: `replay N %s` is not available (exit %d: %s): no daemon row"
                              % (REPLAY_DAEMON_MODE[1][0], r.returncode,
                                 " ".join(res["daemon_mode_error"])[:120]))
        for mode, extra in modes:
            irs = {}
            for n in (0, self.a.replay_events):
                f = os.path.join(self.work, "callgrind.%d.out" % n)
                cmd = [vg, "--tool=callgrind", "--toggle-collect=replay_run",
                       "--callgrind-out-file=" + f, replay, str(n)] + extra
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=self.work, env=self.gens.env)
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
        if res["daemon_mode"]:
            m = REPLAY_DAEMON_MODE[0]
            self.checks.check("callgrind instructions/event, daemon", m in res["modes"] and
                              res["modes"][m]["ir_per_event"] > 0,
                              "%.0f" % res["modes"].get(m, {}).get("ir_per_event", 0))

    def phase_diagnostics(self):
        """Where sockscope's cost goes: BPF run time per program (bpf_stats)
        under each workload of DIAG_WORKLOADS, for trace and for the daemon
        (when it is among the tracers), and a perf profile of each under
        conn4 (not in smoke)."""
        res = {"tracers": {}}
        self.results["diagnostics"] = res
        stats_path = "/proc/sys/kernel/bpf_stats_enabled"
        try:
            with open(stats_path) as f:
                orig = f.read().strip()
        except OSError:
            orig = None
        use_stats = orig is not None and shutil.which("bpftool") is not None
        res["bpf_stats"] = use_stats

        def restore_stats():
            if use_stats:
                with open(stats_path, "w") as f:
                    f.write(orig)

        names = ["sockscope"] + [t.name for t in self.tracers if t.name == "sockscope-daemon"]
        wls = DIAG_WORKLOADS_SMOKE if self.smoke else DIAG_WORKLOADS
        try:
            if use_stats:
                with open(stats_path, "w") as f:
                    f.write("1")
                on_cleanup(restore_stats)
            for name in names:
                t = Sockscope(self.work, self.sockscope) if name == "sockscope" else \
                    SockscopeDaemon(self.work, self.sockscope)
                try:
                    res["tracers"][name] = self.diag_one(t, wls, use_stats)
                except Exception as e:
                    log("diagnostics under %s: %s" % (name, e))
                    res["tracers"][name] = {"error": str(e), "workloads": {}}
        finally:
            try:
                restore_stats()
            except OSError:
                pass
        # the layout of earlier results (trace's figures at the top)
        res.update({k: v for k, v in res["tracers"].get("sockscope", {}).items() if k != "error"})

    def diag_one(self, t, wls, use_stats):
        """One tracer t under each workload of wls: ops, the consumer's CPU,
        each program's runs and run time (deltas of bpftool's counters)."""
        d = {"workloads": {}}
        t.start()
        try:
            time.sleep(0.2)
            for wl in wls:
                before = {p["name"]: p for p in bpf_prog_stats(t.p.pid)} if use_stats else {}
                perf = None
                pf = os.path.join(self.work, "perf.data")
                if wl == "conn4" and not self.smoke and shutil.which("perf"):
                    perf = popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g",
                                  "-p", str(t.p.pid), "-o", pf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
                    time.sleep(0.5)
                c0 = t.cpu_ns()
                g = self.gens.run(wl, secs=self.a.diag_secs)
                time.sleep(0.1 if self.smoke else 0.3)
                c1 = t.cpu_ns()
                x = {"ops": g["ops"], "errors": g["errors"], "ops_per_sec": g["ops_per_sec"],
                     "cpu_us_per_op": g.get("cpu_us_per_op"),
                     "consumer_cpu_s": ((c1 or 0) - (c0 or 0)) / 1e9}
                if use_stats:
                    progs = []
                    for p in bpf_prog_stats(t.p.pid):
                        b = before.get(p["name"], {"run_cnt": 0, "run_time_ns": 0})
                        progs.append(dict(p, run_cnt=p["run_cnt"] - b["run_cnt"],
                                          run_time_ns=p["run_time_ns"] - b["run_time_ns"]))
                    progs.sort(key=lambda p: -p["run_time_ns"])
                    x["bpf_progs"] = progs
                if perf is not None:
                    kill_proc(perf, signal.SIGINT, 30)
                    if os.path.exists(pf):
                        r = subprocess.run(["perf", "report", "-i", pf, "--stdio", "--no-children",
                                            "--sort", "dso,sym", "--percent-limit", "1.5", "-g", "none"],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                        d["perf_top"] = [l for l in r.stdout.splitlines()
                                         if l.strip() and not l.startswith("#")][:25]
                        os.unlink(pf)
                d["workloads"][wl] = x
            tr = t.stop()
            d["events"], d["lost"], d["cpu_s"] = tr.get("events"), tr.get("lost"), tr.get("cpu_s")
            d["exit"] = tr.get("exit")
        finally:
            if t.p is not None and t.p.returncode is None:
                kill_proc(t.p, signal.SIGKILL)
        return d
