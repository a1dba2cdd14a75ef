"""A full disk (issue 10, item 1): `trace --json -o FILE` and the daemon's
file sink on a real 64 KiB tmpfs under a burst of sockets. Every record not
written is counted (the trace's summary, the sink's metrics and exit line),
and no file is ever left with a torn line: a write that fails inside a line
is cut back to the last whole one. The daemon's sink keeps running and
delivers again once space is freed.
"""

import json
import os
import re
import subprocess
import sys
import time

import harness as h
from checks import NOT_EVENTS
from test_daemon import Daemon, metrics, parse_prometheus
from test_ports import in_ns

FULL_RE = re.compile(r"^sockscope: (\d+) events, (\d+) written, (\d+) not written, (\d+) lost$")


class Tmpfs:
    """A small tmpfs in the test's own directory, unmounted at the end."""

    def __init__(self, ctx, size):
        self.ctx = ctx
        self.path = os.path.join(ctx.tmp, "small")
        os.makedirs(self.path)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs",
                        self.path], check=True, timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.ctx.procs:  # a daemon a failed check left running
            if p.poll() is None:
                p.kill()
                p.wait(10)
        if subprocess.run(["umount", self.path], timeout=10).returncode:
            subprocess.run(["umount", "-l", self.path], timeout=10)


def burst(ns, n, port_base):
    """n listeners opened and closed in the netns (a socket, bind, listen,
    state and close record each)."""
    code = ("import socket\n"
            "for i in range(%d):\n"
            "  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "  s.bind(('127.0.0.1',%d+i%%1000)); s.listen(); s.close()\n" % (n, port_base))
    in_ns(ns, sys.executable, "-c", code)


def whole_lines(data, what):
    """Every line of data a JSON object, the last one ended: no torn line."""
    h.expect(data.endswith(b"\n"), "%s ends in a torn line: ...%r" % (what, data[-120:]))
    recs = []
    for i, line in enumerate(data.split(b"\n")[:-1]):
        try:
            recs.append(json.loads(line))
        except ValueError:
            raise h.Fail("%s: line %d is not whole JSON: %r" % (what, i + 1, line[:200]))
    return recs


def full_trace(ctx, json_mode):
    """trace -o on a 64 KiB tmpfs under a burst: (summary numbers, file)."""
    ns = ctx.netns()
    with Tmpfs(ctx, "64k") as fs:
        path = os.path.join(fs.path, "trace." + ("json" if json_mode else "txt"))
        t = h.Tracer(ctx, [], json_mode=json_mode, path=path)
        t.wait_ready()
        burst(ns, 3000, 36000)
        rc = t.wait_exit(30)
        if rc is None:
            t.stop()
            raise h.Fail("the trace did not stop on a full disk: %s" % t.stderr_text())
        ctx.note("tracer stderr: " + " | ".join(t.stderr))
        h.expect(rc == 5, "exit %d on a full disk, want 5 (output): %s" % (rc, t.stderr_text()))
        h.expect(any("writing output: No space left on device" in l for l in t.stderr),
                 "no 'writing output: No space left on device': %s" % t.stderr_text())
        found = [m for m in (FULL_RE.match(l) for l in t.stderr) if m]
        h.expect(len(found) == 1, "want one 'N events, M written, K not written, L lost' "
                 "line: %s" % t.stderr_text())
        n, m, k, _ = (int(x) for x in found[0].groups())
        h.expect(k > 0, "a full disk must leave events not written (summary %d/%d/%d)"
                 % (n, m, k))
        h.expect(n == m + k, "%d events != %d written + %d not written" % (n, m, k))
        data = t.output()
        h.expect(len(data) > 32 << 10, "only %d bytes reached the 64 KiB file" % len(data))
        return m, data


@h.test(timeout=90, needs=("mount", "umount"))
def test_disk_full_trace_counts_what_it_did_not_write(ctx):
    m, data = full_trace(ctx, True)
    recs = whole_lines(data, "the trace's file")
    written = [r for r in recs if r.get("event") not in NOT_EVENTS]
    h.expect(len(written) == m, "the summary says %d written, the file holds %d events"
             % (m, len(written)))


@h.test(timeout=90, needs=("mount", "umount"))
def test_disk_full_trace_text_keeps_whole_lines(ctx):
    """Text lines too; the header line is not an event and not counted."""
    m, data = full_trace(ctx, False)
    h.expect(data.startswith(b"TIME "), "the header line is gone: %r" % data[:80])
    body = h.text_lines(data, "the trace's text file")
    h.expect(len(body) == m, "the summary says %d written, the file holds %d event lines"
             % (m, len(body)))


@h.test(timeout=120, needs=("mount", "umount"))
def test_disk_full_file_sink_cuts_counts_and_recovers(ctx):
    ns = ctx.netns()
    port = 19481
    with Tmpfs(ctx, "128k") as fs:
        # Space that can be given back: the disk fills up to it. Enough for
        # the 16 KiB queue and the sockets after the recovery (a record
        # with its process identity is ~1 KiB).
        filler = os.path.join(fs.path, "filler")
        with open(filler, "wb") as f:
            f.write(b"x" * (64 << 10))
        path = os.path.join(fs.path, "events.json")
        spec = "file:%s?queue_bytes=16K" % path
        d = Daemon(ctx, "--sink", spec, "--metrics", "127.0.0.1:%d" % port)
        burst(ns, 1500, 37000)
        deadline = time.monotonic() + 15
        while "No space left on device" not in d.stderr():
            h.expect(time.monotonic() < deadline, "no ENOSPC reported: %s" % d.stderr()[-800:])
            time.sleep(0.1)
        time.sleep(1.0)
        h.expect(d.p.poll() is None, "the daemon died on a full disk: %s" % d.stderr())
        _, s1 = parse_prometheus(metrics(port))
        label = (("sink", spec),)
        written1 = s1[("sockscope_sink_written_total", label)]
        dropped1 = s1[("sockscope_sink_dropped_total", label)]
        h.expect(dropped1 > 0, "a 16 KiB queue on a full disk dropped nothing (written %d)"
                 % written1)
        recs = whole_lines(open(path, "rb").read(), "the sink's file on a full disk")
        h.expect(len(recs) == written1, "metrics say %d written, the file holds %d lines"
                 % (written1, len(recs)))
        # Space returns: the queue goes out whole, and the sink says so.
        os.unlink(filler)
        deadline = time.monotonic() + 40
        while "delivering again" not in d.stderr():
            h.expect(time.monotonic() < deadline, "no recovery once space returned: %s"
                     % d.stderr()[-800:])
            time.sleep(0.2)
        h.expect(re.search(r"delivering again after [0-9.]+ s; [1-9][0-9]* events dropped",
                           d.stderr()), "the recovery does not count the dropped events: %s"
                 % d.stderr()[-500:])
        burst(ns, 5, 38000)
        time.sleep(1.0)
        _, s2 = parse_prometheus(metrics(port))
        h.expect(s2[("sockscope_sink_written_total", label)] > written1,
                 "nothing written after the recovery")
        h.expect(d.stop() == 0, "clean exit")
        recs = whole_lines(open(path, "rb").read(), "the sink's file after recovery")
        h.expect(any(r.get("netns") == ns.inode and r.get("lport") == 38004 for r in recs),
                 "the sockets after the recovery are not in the file")
        end = re.search(r"sink file:\S+: (\d+) events written, (\d+) not written", d.stderr())
        h.expect(end, "no final 'N events written, M not written' line: %s"
                 % d.stderr()[-500:])
        h.expect(int(end.group(1)) == len(recs), "exit line says %s written, the file holds %d"
                 % (end.group(1), len(recs)))
        h.expect(int(end.group(2)) >= dropped1, "exit line says %s not written, metrics said %d"
                 % (end.group(2), dropped1))
