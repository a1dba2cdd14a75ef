"""The markdown report, one section per function; each gets the run (b),
a function that writes one line (w) and the plot's file name (png or None).
"""

import statistics

from figures import bpf_us_per_op, evaluate_targets, events_per_op, ratio_rows, \
    tainted, tracer_names
from phases import SATURATED
from soak import section_daemon_soak
from bounds import section_bounds
from lib import MIB, NONSOCKET, NPROC, SOCKSCOPE_TRACERS, WORKLOAD_TITLE, WORKLOADS, fmt3, fmt_med, \
    median, stats3



def section_header(b, w, png):
    """Title, machine, peers, what the figures are."""
    R = b.results
    m = R["machine"]
    title = "sockscope benchmark" + (" (smoke run)" if b.smoke else "")
    w("# %s — %s\n" % (title, m["date"]))
    w("Machine: Linux %s, %s, %d CPUs (`nproc`), %s GiB, Debian %s. %s (git %s). "
      "Load average at start: %s.\n" % (m["kernel"], m.get("cpu", "?"), m["nproc"], m.get("mem_gib", "?"),
                                        m.get("debian", "?"), m["versions"].get("sockscope", "?"),
                                        m.get("git", "?"), " ".join(m.get("loadavg_start", []))))
    w("Peers: %s.\n" % (", ".join("%s" % v for k, v in m["versions"].items()
                                  if k not in SOCKSCOPE_TRACERS) or "none"))
    w("`sockscope` is `sockscope trace --json -o FILE`; `sockscope-daemon` is `sockscope daemon` "
      "in its default configuration: the SQLite history (a fresh `--db` each run) and one "
      "`file:` sink.\n")
    w("Figures are min / median / max over %d repetition(s); a ratio is traced ÷ untraced "
      "throughput of the same generator, each traced run bracketed by untraced runs "
      "(A T1 A T2 A …), so machine drift cancels out. Run took %.0f s.\n"
      % (b.a.reps, R.get("total_s", 0)))


def section_headline(b, w, png):
    """Throughput ratio per tracer and workload, lost events, tracer CPU."""
    trials = b.results["trials"]
    names = tracer_names(b)
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


def section_cpu_ratio(b, w, png):
    """The same pairs as a CPU-time ratio."""
    trials = b.results["trials"]
    names = tracer_names(b)
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


def section_other_figures(b, w, png):
    """Start-up, memory, soak, instructions per event, snapshot speed."""
    R = b.results
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


def section_targets(b, w, png):
    """PASS/FAIL for each target of issue 9 and of issue 4's still standing
    (also stored in the results)."""
    R = b.results
    w("## Targets (issue 9)\n")
    w("Issue 9's targets, with issue 4's that still stand folded in (column \"issue\"). Ratios "
      "are medians (min–max, pairs) of traced ÷ untraced throughput; n/a: not measured in this run.\n")
    w("| target | issue | measured | result |")
    w("|---|---|---|---|")
    targets = evaluate_targets(b)
    R["targets"] = targets
    for issue, name, measured, ok in targets:
        w("| %s | %s | %s | %s |" % (name, issue, measured,
                                     {True: "PASS", False: "FAIL", None: "n/a", "info": "reported"}[ok]))
    w("")


def detail_row(trials, t, wl):
    """One tracer's line of the throughput detail table of workload wl."""
    allrs = ratio_rows(trials, t, wl, prefer_clean=False)
    rs = ratio_rows(trials, t, wl)
    if not rs:
        errs = [r.get("error") for r in trials if r["tracer"] == t and r["workload"] == wl and r.get("error")]
        return "| %s | 0 | failed: %s |  |  |  |  |  |  |  |  |" % (t, (errs[0] if errs else "no data")[:80])
    ev = median([(r.get("tracer_result") or {}).get("events") for r in rs])
    evop = median([((r.get("tracer_result") or {}).get("events") or 0) / r["ops"] for r in rs if r.get("ops")])
    lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for r in rs)
    cpu = median([(r.get("tracer_result") or {}).get("cpu_s") for r in rs])
    cpup = median([100 * ((r.get("tracer_result") or {}).get("cpu_s") or 0) / r["secs"] for r in rs])
    ha = median([r.get("untraced_host_cpu_us_per_op") for r in rs])
    hb = median([r.get("host_cpu_us_per_op") for r in rs])
    cr = median([r.get("cpu_ratio") for r in rs])
    return "| %s | %d (%d) | %s | %s | %.0f | %s | %s | %d | %s | %s | %s |" % (
        t, len(allrs), sum(1 for r in allrs if r.get("clean", True)),
        fmt3(stats3([r["ratio"] for r in rs])), "—" if cr is None else "%.2f" % cr, median([r["ops_per_sec"] for r in rs]),
        "—" if ev is None else "%.0f" % ev, "—" if evop is None else "%.2f" % evop, lost,
        "—" if cpu is None else "%.2f" % cpu, "—" if cpup is None else "%.0f" % cpup,
        "—" if ha is None or hb is None else "%.1f → %.1f" % (ha, hb))


def section_throughput_detail(b, w, png):
    """Per workload: every tracer's pairs, ratios, events, CPU."""
    R = b.results
    trials = R["trials"]
    names = tracer_names(b)
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
            w(detail_row(trials, t, wl))
        w("")
    foreign = sorted(set(x for r in trials for x in r.get("foreign_tracers", [])))
    if foreign:
        n = sum(1 for r in trials if r.get("foreign_tracers"))
        w("Note: %d of %d trials ran while other BPF tracers were active on the machine (%s); "
          "both sides of their A/B pairs were exposed to them.\n" % (n, len(trials), ", ".join(foreign[:6])))


def section_saturated(b, w, png):
    """The host with nproc workers."""
    R = b.results
    names = tracer_names(b)
    sat = R.get("saturated", [])
    if sat:
        w("## Saturated host (%d workers = nproc)\n" % NPROC)
        w("Every CPU runs the workload, so each cycle the tracer spends (its consumer included) "
          "is a cycle the workload loses.\n")
        w("| tracer | " + " | ".join("%s ratio" % WORKLOAD_TITLE[x] for x in SATURATED) +
          " | lost (sum) | events/s seen (conn, med) |")
        w("|---|" + "---|" * (len(SATURATED) + 2))
        for t in names:
            rows = {wl: ratio_rows(sat, t, wl) for wl in SATURATED}
            lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for rs in rows.values() for r in rs)
            evs = median([((r.get("tracer_result") or {}).get("events") or 0) / r["secs"]
                          for r in rows["conn4"] if r.get("secs")])
            w("| %s | %s | %d | %s |" % (t, " | ".join(fmt3(stats3([r["ratio"] for r in rows[wl]]))
                                                      for wl in SATURATED), lost,
                                        "—" if evs is None else "%.0f" % evs))
        w("")


def section_nonsocket(b, w, png):
    """The tax on work that is not a socket's (issue 9)."""
    R = b.results
    ns = R.get("nonsocket", [])
    if not ns:
        return
    fs = R.get("nonsocket_fs") or {}
    w("## Work that is not a socket's (1 worker)\n")
    w("open + close (`O_RDONLY`) of a small regular file in a fresh directory of the bench's work "
      "directory (%s, a %s filesystem), and fork + the child's `_exit` + `waitpid`. The target "
      "(issue 9): ratio ≥ 0.98 under either of sockscope's tracers. Host CPU µs/op untraced → "
      "traced.\n" % (fs.get("dir", "?"), fs.get("type", "?")))
    w("| workload | tracer | pairs (clean) | ratio min / med / max | CPU/op ratio (med) | untraced ops/s (med) | traced ops/s (med) | events/trial (med) | host CPU µs/op |")
    w("|---|---|---|---|---|---|---|---|---|")
    names = sorted(set(r["tracer"] for r in ns if r["tracer"]), key=lambda t: SOCKSCOPE_TRACERS.index(t)
                   if t in SOCKSCOPE_TRACERS else 99)
    for wl in NONSOCKET:
        for t in names:
            allrs = ratio_rows(ns, t, wl, prefer_clean=False)
            rs = ratio_rows(ns, t, wl)
            if not rs:
                errs = [r.get("error") for r in ns if r["tracer"] == t and r["workload"] == wl and r.get("error")]
                w("| %s | %s | 0 | failed: %s |  |  |  |  |  |" % (WORKLOAD_TITLE[wl], t, (errs or ["no data"])[0][:80]))
                continue
            cr = median([r.get("cpu_ratio") for r in rs])
            ev = median([(r.get("tracer_result") or {}).get("events") for r in rs])
            ha = median([r.get("untraced_host_cpu_us_per_op") for r in rs])
            hb = median([r.get("host_cpu_us_per_op") for r in rs])
            w("| %s | %s | %d (%d) | %s%s | %s | %.0f | %.0f | %s | %s |" % (
                WORKLOAD_TITLE[wl], t, len(allrs), sum(1 for r in allrs if r.get("clean", True)),
                fmt3(stats3([r["ratio"] for r in rs]), "%.3f"), " †" if tainted(rs) else "",
                "—" if cr is None else "%.3f" % cr, median([r["untraced_ops_per_sec"] for r in rs]),
                median([r["ops_per_sec"] for r in rs]), "—" if ev is None else "%.0f" % ev,
                "—" if ha is None or hb is None else "%.2f → %.2f" % (ha, hb)))
    w("")


def section_sweep(b, w, png):
    """Ratio at paced rates (and the plot)."""
    R = b.results
    names = tracer_names(b)
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


def section_snapshot(b, w, png):
    """ports vs ss vs lsof on the holder's sockets, and the row comparison."""
    R = b.results
    snap = R.get("snapshot", {})
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


def memory_rows(b, w, mem):
    """The memory rows: sockscope with live sockets, after load."""
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


def soak_rows(w, soak):
    """The soak rows and the RSS samples."""
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


def section_startup_memory(b, w, png):
    """Start-up, memory with live sockets, the soak."""
    R = b.results
    st = stats3([x * 1000 for x in R.get("startup_s", [])])
    mem = R.get("memory", {})
    soak = R.get("soak", {})
    w("## Start-up and memory\n")
    w("| figure | value |")
    w("|---|---|")
    w("| start to \"tracing\" (ms, min / med / max, %d runs, idle host) | %s |" % (len(R.get("startup_s", [])), fmt3(st, "%.0f")))
    if mem:
        memory_rows(b, w, mem)
    if soak:
        soak_rows(w, soak)
    w("")


def section_callgrind(b, w, png):
    """Userspace instructions per event."""
    R = b.results
    cgr = R.get("callgrind", {})
    if cgr.get("modes"):
        w("## Userspace cost per event (callgrind)\n")
        w("`tests/bench/replay` pushes %d synthetic records (conn/bind/UDP cycles, failures, hostile "
          "names) through event_decode → the runtime (runtime__feed: engine, explanation, trace's formatter consumer, output_append to "
          "/dev/null); instructions counted inside replay_run only, minus a 0-event run.\n" % cgr["events"])
        w("| mode | instructions/event |")
        w("|---|---|")
        for k, v in cgr["modes"].items():
            w("| %s | %.0f |" % (k, v["ir_per_event"]))
        base, ident = cgr["modes"].get("json"), cgr["modes"].get("json, identity")
        if base and ident and base["ir_per_event"] > 0:
            d = ident["ir_per_event"] - base["ir_per_event"]
            w("\nIdentity (issue 11: records of four cgroups, resolved once and cached; "
              "the unit/container JSON fields on every event): %+.0f instructions/event, "
              "%+.1f%% of the JSON budget (target: at most 5%%).\n" % (d, 100.0 * d / base["ir_per_event"]))
        if cgr.get("top"):
            w("\nTop functions (self, JSON mode):\n\n```")
            for l in cgr["top"]:
                w(l)
            w("```")
        w("")


def diag_costs(w, R, d):
    """Per workload: BPF and consumer cost per operation, the ratio bound."""
    w("| workload | ops/s traced | untraced CPU µs/op | BPF µs/op (all programs) | ratio bound | consumer CPU µs/op |")
    w("|---|---|---|---|---|---|")
    for wl, x in d["workloads"].items():
        unt = median([r.get("cpu_us_per_op") for r in R["trials"] + R.get("nonsocket", [])
                      if r["workload"] == wl and r["tracer"] is None])
        bpf = bpf_us_per_op(x)
        w("| %s | %.0f | %s | %s | %s | %.2f |" % (
            wl, x["ops_per_sec"], "—" if unt is None else "%.2f" % unt,
            "—" if bpf is None else "%.2f" % bpf,
            "—" if unt is None or bpf is None else "%.3f" % (unt / (unt + bpf)),
            1e6 * x["consumer_cpu_s"] / max(1, x["ops"])))
    w("")


def diag_programs(w, d, tracer="sockscope"):
    """The BPF programs that ran, per workload."""
    for wl, x in d["workloads"].items():
        progs = [p for p in x.get("bpf_progs", []) if p["run_cnt"] >= 0.005 * max(1, x["ops"])]
        if not progs:
            if "bpf_progs" in x:
                w("BPF programs under %s (%s): none ran (fewer than 0.005 runs per operation).\n" % (wl, tracer))
            continue
        w("BPF programs under %s (%s):\n" % (wl, tracer))
        w("| program | type | runs/op | ns/run | µs/op |")
        w("|---|---|---|---|---|")
        for p in progs:
            w("| %s | %s | %.2f | %.0f | %.2f |" % (p["name"], p["type"], p["run_cnt"] / x["ops"],
                                                  p["run_time_ns"] / p["run_cnt"],
                                                  p["run_time_ns"] / 1000 / x["ops"]))
        w("")


def diag_perf(w, d, tracer="sockscope"):
    """The consumer's perf profile."""
    if d.get("perf_top"):
        w("`perf record -e cpu-clock -p <%s>` under conn4 (self time, ≥1.5%%):\n\n```" % tracer)
        for l in d["perf_top"]:
            w(l)
        w("```\n")


def section_diagnostics(b, w, png):
    """BPF time per program and the consumer's profile."""
    R = b.results
    d = R.get("diagnostics")
    per = d.get("tracers") if d and "tracers" in d else ({"sockscope": d} if d else {})
    if any(x.get("workloads") for x in per.values()):
        w("## Where sockscope's cost goes\n")
        w("sockscope (`trace --json -o FILE`, then the daemon in its default configuration) with "
          "`kernel.bpf_stats_enabled` on for this "
          "phase only (restored after; it adds two clock reads per program run, tens of ns); "
          "each workload runs %g s with 1 worker.\n" % b.a.diag_secs)
        w("\"ratio bound\" = untraced ÷ (untraced + BPF) per operation: the best throughput ratio "
          "possible with these programs even if the consumer cost nothing (1 worker). Untraced µs/op "
          "is the workers' CPU time per operation (less sensitive to other load than ops/s).\n")
        for t, x in per.items():
            w("### %s\n" % t)
            if x.get("error"):
                w("Failed: %s\n" % x["error"][:300])
                continue
            diag_costs(w, R, x)
            diag_programs(w, x, t)
            diag_perf(w, x, t)


def section_method(b, w, png):
    """How it was measured, and the run's notes."""
    w("## Method\n")
    w("- Generators (`tests/bench/*.c`, -O2): bind cycle = socket + bind 127.0.0.1:0 + close; conn cycle = "
      "socket + connect to a loopback listener + accept + SO_LINGER 0 + close both ends (RST, no TIME_WAIT); "
      "UDP cycle = socket + bind + connect + close; open/close = open(O_RDONLY) + close of a small regular "
      "file in the work directory; fork/exit = fork + child `_exit(0)` + waitpid. Each prints ops/s; `-r` paces them.")
    w("- `sockscope daemon` runs as `daemon --config /dev/null --db FILE --sink file:FILE?max_bytes=0` "
      "(both in bench-results/, fresh for each run; rotation off so the sink's lines can be counted); "
      "the workload starts after its `daemon running` line; it stops on SIGINT; events and lost are "
      "counted in the sink file (lost: the sum of its `lost` records).")
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


SECTIONS = (section_header, section_headline, section_cpu_ratio, section_other_figures,
            section_targets, section_bounds, section_throughput_detail, section_saturated, section_nonsocket,
            section_sweep,
            section_snapshot, section_startup_memory, section_daemon_soak, section_callgrind,
            section_diagnostics, section_method)


def render_report(b, png):
    """The markdown report: each section in turn; png is the plot's file name
    (or None)."""
    lines = []
    for section in SECTIONS:
        section(b, lines.append, png)
    return "\n".join(lines)
