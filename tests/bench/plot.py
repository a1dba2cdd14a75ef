"""The PNG: throughput ratio vs offered event rate, per tracer, for
the bind and conn cycles (matplotlib; skipped without it).
"""

import collections
import statistics

from figures import events_per_op, ratio_rows, tracer_names
from lib import WORKLOAD_TITLE


def make_plot(b, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        b.notes.append("matplotlib not available: no plot (apt-get install python3-matplotlib)")
        return False
    R = b.results
    names = tracer_names(b)
    if not names or not R["trials"]:
        return False
    colors = {"sockscope": "#1f77b4", "tcplife": "#ff7f0e", "tcpstates": "#2ca02c",
              "bpftrace": "#d62728", "auditd": "#9467bd"}
    markers = {"sockscope": "o", "tcplife": "s", "tcpstates": "^", "bpftrace": "D", "auditd": "v"}
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
    ymax = 1.0
    for ax, wl in zip(axes, ("bind4", "conn4")):
        epo = events_per_op(b, wl) or 1.0
        for t in names:
            pts = collections.defaultdict(list)
            for r in R.get("sweep", []):
                if r["workload"] == wl and r["tracer"] == t and "ratio" in r:
                    pts[r["rate"] * epo].append(r["ratio"])
            main = ratio_rows(R["trials"], t, wl)
            cap = b.capacity(wl)
            if main and cap:
                pts[cap * epo] = [r["ratio"] for r in main]
            if not pts:
                continue
            xs = sorted(pts)
            ys = [statistics.median(pts[x]) for x in xs]
            lo = [statistics.median(pts[x]) - min(pts[x]) for x in xs]
            hi = [max(pts[x]) - statistics.median(pts[x]) for x in xs]
            ymax = max([ymax] + [max(pts[x]) for x in xs])
            ax.errorbar(xs, ys, yerr=[lo, hi], label=t, color=colors.get(t), marker=markers.get(t, "o"),
                        capsize=3, linewidth=1.6, markersize=6)
        ax.axhline(0.95, color="grey", linestyle="--", linewidth=1)
        ax.text(0.01, 0.925, "target 0.95", transform=ax.get_yaxis_transform(),
                color="grey", fontsize=9, ha="left")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: ("%gk" % (v / 1e3)) if v < 1e6 else ("%gM" % (v / 1e6))))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title("%s — %.0f sockscope events per op" % (WORKLOAD_TITLE[wl], epo))
        ax.set_xlabel("offered load, socket events/s (log; rightmost = unpaced)")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes:
        ax.set_ylim(0, max(1.1, ymax + 0.05))
    axes[0].set_ylabel("throughput ratio, traced / untraced")
    axes[1].legend(loc="lower left", fontsize=9)
    m = R["machine"]
    fig.suptitle("sockscope vs peers: throughput ratio vs event rate — %s, Linux %s, %d CPUs"
                 % (m["date"][:10], m["kernel"], m["nproc"]), fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
