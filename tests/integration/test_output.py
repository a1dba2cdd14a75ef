"""Where the output goes: a closed stdout pipe, an output file created
with mode 600 and appended to.
"""

import os

from harness import expect, expect_counts, Fail, pick, SUMMARY_RE, test


@test()
def test_closed_stdout_pipe(ctx):
    ns = ctx.netns()
    tr = ctx.tracer(output="pipe", drain_stdout=False)
    tr.proc.stdout.close()
    ctx.workload(ns, "burst", 200)
    rc = tr.wait_exit(5)
    if rc is None:
        tr.stop()
        raise Fail("tracer kept running with its stdout pipe closed")
    expect(rc == 0, "closed stdout pipe: exit status %d, want 0 (quietly): %s" % (
        rc, tr.stderr_text()))
    noise = [l for l in tr.stderr if not l.startswith("sockscope: tracing")
             and not SUMMARY_RE.match(l)]
    expect(not noise, "closed stdout pipe is not quiet: %s" % " | ".join(noise))


@test()
def test_output_file_append_and_mode(ctx):
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "new.json")
    tr = ctx.tracer(umask=0, path=path)
    ctx.workload(ns, "basic_udp", "ssappend", 21400)
    tr.finish(ns)
    mode = os.stat(path).st_mode & 0o7777
    expect(mode == 0o600, "new output file has mode %o, want 600" % mode)
    old = open(path, "rb").read()
    tr = ctx.tracer(path=path, sub=(), out_flag="--output")  # sockscope --json --output F
    f = ctx.workload(ns, "basic_udp", "ssappend", 21400)
    res = tr.finish(ns, prefix=old)
    expect_counts(pick(res.ours, pid=f["pid"]), "appended run", {"socket": 2, "bind": 2,
                                                                "close": 2})
