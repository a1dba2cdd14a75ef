"""Nothing stays attached: the BPF programs go away after kill -9,
SIGTERM, SIGINT and a failure to open the output file.
"""

import os
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


@test(timeout=60)
def test_stale_engine_socket_removed(ctx):
    """kill -9 leaves /run/sockscope/engine-PID.sock behind (nobody can
    unlink it); the next engine to start removes the sockets whose process
    is gone, and keeps those of live engines."""
    live = ctx.tracer()
    old = ctx.tracer()
    sock = lambda t: "/run/sockscope/engine-%d.sock" % t.proc.pid
    deadline = time.monotonic() + 5
    while not (os.path.exists(sock(old)) and os.path.exists(sock(live))):
        expect(time.monotonic() < deadline, "no engine sockets %s, %s" % (sock(old), sock(live)))
        time.sleep(0.05)
    gone = sock(old)
    expect(old.stop(signal.SIGKILL) == -signal.SIGKILL, "kill -9")
    expect(os.path.exists(gone), "the killed engine's socket vanished by itself: "
           "the test cannot tell the sweep worked")
    new = ctx.tracer()
    deadline = time.monotonic() + 5
    while os.path.exists(gone):
        expect(time.monotonic() < deadline, "%s stayed after a new engine started" % gone)
        time.sleep(0.05)
    expect(os.path.exists(sock(live)), "a live engine's socket was removed")
    new.stop()
    live.stop()
    expect(not os.path.exists(sock(live)), "a stopped engine left its socket")
