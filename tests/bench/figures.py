"""Selecting the trials behind a figure (clean pairs first), and the
targets of issue 4 evaluated on them; shared by the report and the plot.
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
