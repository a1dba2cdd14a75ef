"""The command line: usage errors, --help/--version, --count and
--duration.
"""

from harness import _run, expect, run_bad, test


@test()
def test_bad_usage(ctx):
    run_bad(ctx, ["trace", "--no-such-option"], 2, one_line=True)
    run_bad(ctx, ["--no-such-option"], 2, one_line=True)
    for args in (["trace", "--port", "70000"], ["trace", "--port", "0"],
                 ["trace", "--port", "80x"], ["trace", "--events", "bogus"],
                 ["trace", "--events", "bind,bogus"], ["trace", "--pid", "abc"],
                 ["trace", "--proto", "sctp"], ["trace", "--family", "5"],
                 ["trace", "--ring-size", "5000"], ["trace", "--ring-size", "2048"],
                 ["trace", "--ring-size", "4097"], ["trace", "-P", "65536"],
                 ["trace", "--count", "-1"], ["trace", "--duration", "soon"],
                 ["trace", "--port"]):
        run_bad(ctx, args, 2)


@test()
def test_count(ctx):
    ns = ctx.netns()
    tr = ctx.tracer("-n", 3, "--comm", "sscount3", output="pipe")
    f = ctx.workload(ns, "basic_udp", "sscount3", 21300)
    rc = tr.wait_exit(5)
    expect(rc is not None, "--count 3: tracer still running 5 s after the workload")
    res = tr.finish(ns, stopped=True)
    expect(res.summary == (3, 0), "--count 3: summary %s" % (res.summary,))
    expect(len(res.records) == 3, "--count 3: %d records written" % len(res.records),
           res.records)
    expect([e["event"] for e in res.ours] == ["socket", "bind", "close"] and
           all(e.get("pid") == f["pid"] for e in res.ours),
           "--count 3: want the workload's socket, bind, close", res.records)


@test()
def test_duration(ctx):
    for opt, arg, lo, hi in (("--duration", "1", 0.9, 3.0), ("-d", "0.5", 0.4, 2.5)):
        tr = ctx.tracer(opt, arg)
        rc = tr.wait_exit(hi + 2)
        expect(rc is not None, "%s %s: still running after %.1f s" % (opt, arg, hi + 2))
        took = tr.t_exit - tr.t_ready
        expect(lo <= took <= hi, "%s %s: exited %.2f s after tracing started" % (
            opt, arg, took))
        tr.finish(stopped=True)


@test()
def test_help_version(ctx):
    for args in (["--help"], ["-h"], ["--version"]):
        r = _run([ctx.binary] + args, check=False)
        expect(r.returncode == 0 and r.stdout.strip(), "%s: exit %d, stdout %r" % (
            " ".join(args), r.returncode, r.stdout[:100]))
