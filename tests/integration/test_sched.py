"""The event loop, which drains the ring for every traced process, runs 4
nice levels above what started it (as auditd's priority_boost), and only it:
the output writer thread keeps the nice it was started with.
"""

import os
import signal
import time

from harness import expect, test


def thread_nices(pid):
    """{tid: nice} of every thread of pid (field 19 of /proc/PID/task/TID/stat)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[int(tid)] = int(fields[16])
    return out


@test()
def test_event_loop_runs_boosted_writer_does_not(ctx):
    tr = ctx.tracer()  # trace --json -o FILE: the loop and a writer thread
    try:
        deadline = time.monotonic() + 5
        while True:
            nices = thread_nices(tr.proc.pid)
            if len(nices) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        base = os.getpriority(os.PRIO_PROCESS, 0)
        expect(nices.get(tr.proc.pid) == base - 4,
               "the loop thread (the main one) at nice %d - 4: %s" % (base, nices))
        others = {t: n for t, n in nices.items() if t != tr.proc.pid}
        expect(others and all(n == base for n in others.values()),
               "the other threads keep nice %d: %s" % (base, nices))
    finally:
        tr.stop(signal.SIGINT)
