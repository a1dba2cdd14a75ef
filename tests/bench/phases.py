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

from lib import GEN, MIB, NPROC, WORKLOADS, bpf_map_memlock, kill_proc, log, on_cleanup, \
    popen, proc_status, smaps_breakdown
from profiling import bpf_prog_stats, callgrind_top, callgrind_total
from rows import compare_rows, parse_ports, parse_ss
from tracers import Sockscope
from workloads import Holder


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
        log("saturated host: %d workers (= nproc), bind4 + conn4" % NPROC)
        for rep in range(self.a.saturated_reps):
            for wl in ("bind4", "conn4"):
                k = rep % max(1, len(self.tracers))
                order = self.tracers[k:] + self.tracers[:k]
                self.results["saturated"].extend(
                    self.ab_group(wl, self.a.trial_secs, order, workers=NPROC,
                                  tag="saturated", rep=rep))

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
