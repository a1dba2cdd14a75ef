"""Selecting the trials behind a figure (clean pairs first), and the
targets of issues 9 and 4 evaluated on them; shared by the report and the
plot.
"""

import statistics

from lib import MIB, median, stats3


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


def events_per_op(b, wl):
    rs = [r for r in b.results["trials"] if r["tracer"] == "sockscope" and r["workload"] == wl and r.get("ops")]
    return median([((r.get("tracer_result") or {}).get("events") or 0) / r["ops"] for r in rs])


def ratio_cell(rows, tracer, wl):
    """(median ratio or None, "median (min–max), CPU-time ratio c" or "—")."""
    rs = ratio_rows(rows, tracer, wl)
    s = stats3([r["ratio"] for r in rs])
    if s is None:
        return None, "—"
    c = median([r.get("cpu_ratio") for r in rs])
    # a tracer that dropped records did less work: say so beside its ratio
    lost = sum((r.get("tracer_result") or {}).get("lost") or 0 for r in rs)
    ev = sum((r.get("tracer_result") or {}).get("events") or 0 for r in rs)
    return s[1], "%.3f (%.3f–%.3f, %d pairs%s); CPU-time ratio %s%s" % (
        s[1], s[0], s[2], len(rs), ", †" if tainted(rs) else "", "—" if c is None else "%.3f" % c,
        "; **%d records lost** (%.0f%%)" % (lost, 100.0 * lost / (lost + ev)) if lost else "")


def diag_workloads(R, tracer):
    """The diagnostics phase's per-workload figures under tracer (results of
    before issue 9 had trace's only, at the top)."""
    d = R.get("diagnostics") or {}
    if "tracers" in d:
        return (d["tracers"].get(tracer) or {}).get("workloads") or {}
    return d.get("workloads", {}) if tracer == "sockscope" else {}


def bpf_us_per_op(x):
    """BPF run time of all programs per operation, µs (None without stats)."""
    if not x.get("bpf_progs") or not x.get("ops"):
        return None
    return sum(p["run_time_ns"] for p in x["bpf_progs"]) / 1000 / x["ops"]


# Issue 9's targets: (label, workload, threshold); ≤ for BPF µs/op, ≥ for ratios
BPF_TARGETS = (("conn cycle", "conn4", 3.0), ("bind cycle", "bind4", 1.2), ("UDP cycle", "udp4", 1.5))
TRACE_TARGETS = (("conn cycle", "conn4", 0.90), ("bind cycle", "bind4", 0.85), ("UDP cycle", "udp4", 0.85))
ISSUE4_RATIO = {"conn4": 0.95, "bind4": 0.95}
SATURATED_TARGET = 0.80
DAEMON_TARGETS = (("conn cycle", "conn4", 0.85), ("bind cycle", "bind4", 0.80))
NONSOCKET_TARGET = 0.98
IR_PER_EVENT_TARGET = 2000


def evaluate_targets(b):
    """Issue 9's targets with issue 4's still standing folded in, one row
    each: (issue, target, measured, ok), ok True / False / None (not
    measured) / "info" (a figure reported, no threshold)."""
    R = b.results
    T = []
    trials = R["trials"]
    for label, wl, lim in BPF_TARGETS:
        v = bpf_us_per_op(diag_workloads(R, "sockscope").get(wl, {}))
        dv = bpf_us_per_op(diag_workloads(R, "sockscope-daemon").get(wl, {}))
        T.append(("9", "BPF time per operation (bpf_stats, all programs), %s ≤ %.1f µs" % (label, lim),
                  "—" if v is None else "%.2f µs under trace%s" % (
                      v, "" if dv is None else "; %.2f µs under the daemon" % dv),
                  None if v is None else v <= lim))
    for label, wl, lim in TRACE_TARGETS:
        v, text = ratio_cell(trials, "sockscope", wl)
        name = "`trace --json -o FILE`, 1 worker: %s ratio ≥ %.2f" % (label, lim)
        issue = "9"
        if wl in ISSUE4_RATIO:
            name += " (issue 4: ≥ %.2f)" % ISSUE4_RATIO[wl]
            issue = "9, 4"
            if v is not None:
                text += "; issue 4: %s" % ("PASS" if v >= ISSUE4_RATIO[wl] else "FAIL")
        T.append((issue, name, text, None if v is None else v >= lim))
    nw = R.get("machine", {}).get("nproc", 0)
    for label, wl, _ in TRACE_TARGETS:
        v, text = ratio_cell(R.get("saturated", []), "sockscope", wl)
        T.append(("9", "`trace --json -o FILE`, %d workers (every CPU busy): %s ratio ≥ %.2f"
                  % (nw, label, SATURATED_TARGET), text, None if v is None else v >= SATURATED_TARGET))
    for label, wl, lim in DAEMON_TARGETS:
        v, text = ratio_cell(trials, "sockscope-daemon", wl)
        T.append(("9", "`daemon` (SQLite + file sink), 1 worker: %s ratio ≥ %.2f" % (label, lim),
                  text, None if v is None else v >= lim))
    ns = R.get("nonsocket", [])
    for wl, label in (("open_close", "open + close of a regular file"), ("fork_exit", "fork + exit + wait")):
        for tracer, tl in (("sockscope", "`trace`"), ("sockscope-daemon", "the daemon")):
            v, text = ratio_cell(ns, tracer, wl)
            T.append(("9", "no tax on non-socket work: %s under %s, ratio ≥ %.2f" % (label, tl, NONSOCKET_TARGET),
                      text, None if v is None else v >= NONSOCKET_TARGET))
    modes = R.get("callgrind", {}).get("modes", {})
    j = modes.get("json")
    T.append(("9", "consumer ≤ %d instructions per JSON event (callgrind through the runtime)" % IR_PER_EVENT_TARGET,
              "—" if not j else "%.0f" % j["ir_per_event"], None if not j else j["ir_per_event"] <= IR_PER_EVENT_TARGET))
    dm = [v for k, v in modes.items() if k.startswith("daemon")]
    T.append(("9", "the daemon's instructions per event (callgrind, same way)",
              "%.0f" % dm[0]["ir_per_event"] if dm else
              ("`replay --daemon` not available" if R.get("callgrind") else "—"), "info" if dm else None))
    # 0 lost at the highest rate reached: every unpaced run of sockscope's
    runs = [r for r in trials + R.get("saturated", []) if r["tracer"] in ("sockscope", "sockscope-daemon")
            and not r.get("rate") and "tracer_result" in r]
    if runs:
        top = max(runs, key=lambda r: ((r["tracer_result"].get("events") or 0) / max(r["secs"], 1e-9)))
        lost = {t: sum(r["tracer_result"].get("lost") or 0 for r in runs if r["tracer"] == t)
                for t in ("sockscope", "sockscope-daemon")}
        rate = (top["tracer_result"].get("events") or 0) / top["secs"]
        T.append(("9, 4", "0 lost events at the highest rate, default ring (16 MiB)",
                  "%d lost under trace, %d under the daemon, over %d runs; highest %.0f events/s "
                  "(%s, %s, %d workers) lost %d"
                  % (lost["sockscope"], lost["sockscope-daemon"], len(runs), rate, top["tracer"],
                     top["workload"], top["workers"], top["tracer_result"].get("lost") or 0),
                  sum(lost.values()) == 0))
    mem = R.get("memory", {})
    if mem.get("vm_hwm"):
        T.append(("9, 4", "RSS ≤ 64 MiB with 100k live sockets" if mem.get("held", 0) >= 100000 else
                  "RSS ≤ 64 MiB with %d live sockets" % mem.get("held", 0),
                  "VmHWM %.1f MiB" % (mem["vm_hwm"] / MIB), mem["vm_hwm"] <= 64 * MIB))
    snap = R.get("snapshot", {})
    if snap:
        if not snap.get("ports_implemented"):
            T.append(("9, 4", "`ports --all` ≥ 5× faster than `ss -tuanp`, identical rows", "not implemented", None))
        elif snap["tools"].get("ports"):
            pm = median(snap["tools"]["ports"]["wall_s"])
            sm = median(snap["tools"]["ss"]["wall_s"])
            c = snap.get("compare", {})
            T.append(("9, 4", "`ports --all` ≥ 5× faster than `ss -tuanp`, identical rows",
                      "%.1f× (%.3f s vs %.3f s); rows %s" % (sm / pm, pm, sm,
                                                             "identical" if c.get("identical") else
                                                             "differ: %d only in ss, %d only in ports" % (c.get("only_ss", 0), c.get("only_ports", 0))),
                      sm / pm >= 5 and bool(c.get("identical"))))
    st = R.get("startup_s")
    if st:
        med = statistics.median(st) * 1000
        T.append(("9, 4", "start to \"tracing\" ≤ 150 ms (median)", "%.0f ms" % med, med <= 150))
    soak = R.get("soak", {})
    if soak.get("growth") is not None:
        limit = max(1 * MIB, 0.02 * soak["rss_warm"])
        T.append(("4", "RSS flat during the soak (growth after warm-up ≤ max(1 MiB, 2%%)), %d s" % soak["secs"],
                  "%+.2f MiB (%.1f → %.1f MiB)" % (soak["growth"] / MIB, soak["rss_warm"] / MIB, soak["rss_last"] / MIB),
                  soak["growth"] <= limit))
    return T
