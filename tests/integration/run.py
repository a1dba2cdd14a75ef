#!/usr/bin/env python3
"""sockscope real-kernel integration tests.

    python3 tests/integration/run.py --binary ./sockscope [-k SUBSTRING] [-v]

Each test starts the real tracer, runs a workload (tests/integration/workload.py)
in a network namespace of its own, stops the tracer and asserts on the exact
events whose `netns` is that namespace's inode (docs/CONTRACT.md is the spec).
Output: one line per test (PASS / FAIL / SKIP), then exactly one line
`integration: N passed, N failed, N skipped`. Exit 0 only without failures.
Without root or BPF every test is skipped, loudly; with CI set, skips fail.

Standard library only. -v prints, for each failure, the events and the
tracer's stderr, and keeps the test's temporary directory.

The files
---------
run.py          this runner: finds the test files, runs the selected tests
harness.py      test registry (@test), Ctx (netns, tracer, workloads), Tracer,
                environment checks, running one test with its timeout
checks.py       event matching and assertions (pick, one, check, expect, ...),
                the record schema (validate), NDJSON and text parsing
test_<area>.py  the tests by area: lifecycle, filters, drops, cleanup, hostile,
                cli, output, explain, ports (ports, who, --watch), daemon
                (daemon, sinks, store, metrics), query (who with and without a
                daemon), stall (silent clients never delay the ring)
workload.py, oracle.py, oracle_workload.py, rsyslog_fixture.py: what the
tests run (scenarios in a netns, the randomized engine-vs-ss oracle, rsyslogd)

Adding a test
-------------
A test is a function named test_<name>(ctx) registered with @test(timeout=60,
needs=()) (needs: programs that must be installed, else SKIP). <name> is what
the result line prints and what -k matches; it must be unique. Put it in the
test_<area>.py of its area, or in a new test_<area>.py (found by its name, no
list to edit):

    from harness import expect, one, test

    @test(timeout=30)
    def test_bind_twice(ctx):
        ns = ctx.netns()                  # a network namespace of its own
        tr = ctx.tracer("--failed")       # sockscope trace --json -o FILE, ready
        ctx.workload(ns, "bind_inuse", "4", 20200)  # a workload.py scenario
        evs = tr.finish(ns).ours          # stop, check the contract; events of ns
        e = one(evs, "failed bind", event="bind", error="EADDRINUSE")
        expect(e["lport"] == 20200, "port %r" % e["lport"])

Raise Fail (or use the assertions of checks.py) to fail, Skip to skip; what
you start goes in ctx.procs and ctx.netnses, which are cleaned up after the
test. run.py imports every test_*.py in name order; a file that does not
import becomes one failing test, <module>_import, never a silent gap.
"""

import argparse
import glob
import importlib
import os
import sys
import time

import harness
from harness import TESTS, Fail, ci_mode, environment_problem, run_one, test


def import_failure(module, ex):
    """A test file that does not import is a failure, never a silent gap."""
    why = "%s: %s" % (type(ex).__name__, ex)

    def fail(ctx):
        raise Fail("tests/integration/%s.py does not import: %s" % (module, why))

    fail.__name__ = "test_%s_import" % module
    test()(fail)


def discover():
    """Import test_*.py; they register their tests on import."""
    def names(pattern):
        return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(harness.HERE,
                                                                               pattern)))

    for module in names("test_*.py"):
        try:
            importlib.import_module(module)
        except Exception as ex:
            import_failure(module, ex)


def main():
    ap = argparse.ArgumentParser(description="sockscope real-kernel integration tests")
    ap.add_argument("--binary", default="./sockscope", help="the sockscope binary")
    ap.add_argument("-k", dest="substring", default="", help="run tests whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true",
                    help="details of failures (events, commands, tracer stderr)")
    opts = ap.parse_args()
    discover()
    opts.binary = os.path.abspath(opts.binary)
    selected = [t for t in TESTS if opts.substring in t.name]
    passed = failed = skipped = 0

    skip_all = environment_problem()
    fail_all = None
    if not skip_all and not (os.path.isfile(opts.binary) and os.access(opts.binary, os.X_OK)):
        fail_all = "binary %s not found or not executable (run make)" % opts.binary
    if skip_all:
        print("integration: SKIPPING EVERY TEST: %s%s" % (
            skip_all, " (CI is set: skips count as failures)" if ci_mode() else ""),
            file=sys.stderr, flush=True)
    if not selected:
        print("integration: no test name contains %r" % opts.substring, file=sys.stderr)

    for t in selected:
        t0 = time.monotonic()
        if skip_all:
            status, reason, details = "SKIP", skip_all, []
        elif fail_all:
            status, reason, details = "FAIL", fail_all, []
        else:
            status, reason, details = run_one(t, opts)
        took = time.monotonic() - t0
        if status == "PASS":
            passed += 1
            print("PASS %s (%.1fs)" % (t.name, took), flush=True)
        else:
            if status == "FAIL":
                failed += 1
            else:
                skipped += 1
            print("%s %s: %s" % (status, t.name, " ".join(reason.split())), flush=True)
            if opts.verbose and details:
                for line in details:
                    print("    " + line, flush=True)

    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped),
          flush=True)
    if failed or not selected:
        return 1
    if skipped and ci_mode():
        print("integration: CI is set: %d skipped test(s) count as failures" % skipped,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("integration: interrupted", file=sys.stderr)
        sys.exit(130)

