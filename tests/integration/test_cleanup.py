"""Nothing stays attached: the BPF programs go away after kill -9,
SIGTERM, SIGINT and a failure to open the output file.
"""

import signal
import time

from harness import expect, run_bad, ss_programs, test


@test(needs=("bpftool",))
def test_bad_output_file(ctx):
    before = ss_programs()
    run_bad(ctx, ["trace", "--json", "-o", "/proc/nonexistent/x"], 5)
    left = wait_programs_gone(before, 3)
    expect(not left, "-o failure left BPF programs loaded: %s" % left)


def wait_programs_gone(before, timeout):
    deadline = time.monotonic() + timeout
    while True:
        left = {i: n for i, n in ss_programs().items() if i not in before}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


@test(timeout=90, needs=("bpftool",))
def test_cleanup_after_kill(ctx):
    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
        before = ss_programs()
        tr = ctx.tracer()
        mine = {i: n for i, n in ss_programs().items() if i not in before}
        expect(mine, "tracer is running but bpftool shows no ss_* program of it: "
               "cannot verify cleanup")
        rc = tr.stop(sig)
        if sig == signal.SIGKILL:
            expect(rc == -signal.SIGKILL, "kill -9: exit status %r" % rc)
        else:
            expect(rc == 0, "%s: exit %d, want 0: %s" % (sig.name, rc, tr.stderr_text()))
            tr.summary()
        left = wait_programs_gone(before, 5)
        expect(not left, "after %s, BPF programs remain: %s (were %s)" % (
            sig.name, left, mine))
