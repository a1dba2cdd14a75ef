#!/usr/bin/env python3
"""sockscope benchmark harness (issues 4 and 9).

    bench.py [--smoke] [options]          (as root; see tests/bench/README.md)

Full run: throughput of the C workload generators untraced vs traced by
sockscope (`trace`: full capture, NDJSON to a file; `daemon`: its default
configuration, SQLite history and a file sink), by the peers a user would run
instead (libbpf-tools tcplife and tcpstates, a bpftrace script on the same
hooks, auditd with bind/connect/accept/close rules), and the tax on work
that is not a socket's (open/close of a file, fork/exit), interleaved A/B/A/B so
machine drift cancels out; snapshot timing (sockscope ports --all vs ss vs
lsof); start-up time; memory with 100k live sockets and over a soak; the
userspace instructions per event under callgrind; a markdown report, a JSON
dump of every measurement and a PNG plot in bench-results/.

--smoke: the same pipeline in seconds, sockscope only, asserting that the
harness works end to end; prints "bench-smoke: N passed, N failed" and exits
non-zero on any failure.

Standard library only, plus matplotlib for the plot (skipped without it).
"""

# This file is the command line; the rest, by job:
#   lib.py        constants, log, processes and clean-up, /proc readers, statistics
#   workloads.py  the C generators (Gens) and the socket holder (Holder)
#   tracers.py    the tracer interface and sockscope
#   peers.py      tcplife/tcpstates (libbpf-tools), bpftrace, auditd
#   harness.py    Checks and Bench: trials, A/B/A groups, the run, the outputs
#   phases.py     the phases of a run (what is measured)
#   rows.py       ss / ports rows and their comparison
#   profiling.py  callgrind and BPF program statistics
#   figures.py    the trials behind a figure, the targets of issues 4 and 9
#   report.py     the markdown report, a function per section
#   plot.py       the PNG

import argparse
import json
import os
import sys

from harness import Bench
from lib import PEERS, ROOT, install_cleanup, log, run_cleanups
from plot import make_plot
from report import render_report


class _Named:
    def __init__(self, name):
        self.name = name


def render_only(path):
    """Report and plot again from a saved results-*.json (next to it)."""
    with open(path) as f:
        results = json.load(f)
    b = Bench.__new__(Bench)
    b.a = argparse.Namespace(**results["args"])
    b.smoke = b.a.smoke
    b.results = results
    b.notes = results.get("notes", [])
    b.tracers = [_Named(n) for n in results["tracers"]]
    stem = os.path.splitext(path)[0].replace("results-", "report-")
    png = stem + ".png"
    plotted = make_plot(b, png)
    with open(stem + ".md", "w") as f:
        f.write(render_report(b, os.path.basename(png) if plotted else None))
    log("report: %s.md" % stem)
    return 0


def main():
    install_cleanup()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds-long self-check (CI)")
    ap.add_argument("--sockscope", default=os.path.join(ROOT, "sockscope"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".output", "bench"))
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "bench-results"))
    ap.add_argument("--tracers", default=None,
                    help="comma list (default: sockscope,sockscope-daemon + every peer; smoke: the two)")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--trial-secs", type=float, default=None)
    ap.add_argument("--saturated-reps", type=int, default=None)
    ap.add_argument("--nonsocket-reps", type=int, default=None,
                    help="A/B/A groups of the non-socket loops (default 10: a 1%% effect on a "
                    "fork loop is within one group's noise; smoke 1)")
    ap.add_argument("--sweep", default=None, help="offered-rate fractions of capacity, e.g. 0.1,0.3,0.6")
    ap.add_argument("--sweep-secs", type=float, default=None)
    ap.add_argument("--soak-secs", type=float, default=None, help="soak duration (default 600; smoke 3)")
    ap.add_argument("--daemon-soak-secs", type=float, default=None,
                    help="daemon soak duration, 0: none (default 600; smoke 15)")
    ap.add_argument("--daemon-soak-interval", type=float, default=None,
                    help="seconds between RSS / fd / database samples (default 10; smoke 2)")
    ap.add_argument("--daemon-soak-rate", type=int, default=None,
                    help="ops/s of each soak workload (default 300)")
    ap.add_argument("--daemon-soak-query-period", type=float, default=None,
                    help="seconds between history/who/ports queries (default 5; smoke 2)")
    ap.add_argument("--snapshot-sockets", type=int, default=None)
    ap.add_argument("--snapshot-procs", type=int, default=None)
    ap.add_argument("--snapshot-runs", type=int, default=None)
    ap.add_argument("--memory-sockets", type=int, default=None)
    ap.add_argument("--memory-procs", type=int, default=None)
    ap.add_argument("--memory-load-secs", type=float, default=None)
    ap.add_argument("--startup-runs", type=int, default=None)
    ap.add_argument("--replay-events", type=int, default=None)
    ap.add_argument("--diag-secs", type=float, default=None)
    ap.add_argument("--quiet-wait", type=float, default=None,
                    help="wait up to this long for other BPF tracers to finish before each group")
    ap.add_argument("--quiet-budget", type=float, default=None,
                    help="total seconds the run may spend waiting for other tracers")
    ap.add_argument("--skip", default="", help="phases to skip: startup,throughput,saturated,sweep,snapshot,memory,soak,"
                    "nonsocket,daemon-soak,callgrind,diagnostics")
    ap.add_argument("--plot-in-smoke", action="store_true")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only re-render the report and plot from a results-*.json")
    a = ap.parse_args()
    if a.render:
        return render_only(a.render)
    full = dict(tracers="sockscope,sockscope-daemon," + ",".join(PEERS), reps=5, trial_secs=1.5,
                saturated_reps=3, nonsocket_reps=10,
                sweep="0.1,0.3,0.6", sweep_secs=1.0, soak_secs=600, daemon_soak_secs=600,
                daemon_soak_interval=10, daemon_soak_rate=300, daemon_soak_query_period=5,
                snapshot_sockets=20000, snapshot_procs=100, snapshot_runs=5, memory_sockets=100000, memory_procs=100,
                memory_load_secs=5, startup_runs=10, replay_events=100000, diag_secs=4, quiet_wait=60,
                quiet_budget=60)
    smoke = dict(tracers="sockscope,sockscope-daemon", reps=1, trial_secs=0.3, saturated_reps=1,
                 nonsocket_reps=1,
                 sweep="0.3",
                 sweep_secs=0.3, soak_secs=3, daemon_soak_secs=15, daemon_soak_interval=2,
                 daemon_soak_rate=300, daemon_soak_query_period=2, snapshot_sockets=400,
                 snapshot_procs=4, snapshot_runs=2,
                 memory_sockets=2000, memory_procs=4, memory_load_secs=0.5, startup_runs=3,
                 replay_events=5000, diag_secs=0.2, quiet_wait=0, quiet_budget=0)
    for k, v in (smoke if a.smoke else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if os.geteuid() != 0:
        print("bench: needs root (BPF, auditd, namespaces)", file=sys.stderr)
        if a.smoke:
            print("bench-smoke: 0 passed, 1 failed")
        return 1
    for f in (a.sockscope, os.path.join(a.bin_dir, "conn_cycle")):
        if not os.path.exists(f):
            print("bench: %s missing (make sockscope bench-bins)" % f, file=sys.stderr)
            if a.smoke:
                print("bench-smoke: 0 passed, 1 failed")
            return 1
    try:
        return Bench(a).run()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Exception:
        import traceback
        traceback.print_exc()
        if a.smoke:
            print("bench-smoke: 0 passed, 1 failed")
        return 1
    finally:
        run_cleanups()


if __name__ == "__main__":
    sys.exit(main())
