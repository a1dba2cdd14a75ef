"""The daemon's configuration file: only a regular file of at most 1 MiB is
one. A directory, /proc/self/mem, a device or a FIFO is refused at once
(exit 2, a line or two on stderr), never read for ever; a file of garbage
prints a screenful of errors and how many more. And the values that used to
pass silently are refused.
"""

import os
import time

from harness import _run, expect, run_bad, test

MAX_LINES = 25


def check_config(ctx, path, *extra):
    """sockscope daemon --check-config --config PATH: must end within 2 s."""
    cmd = [ctx.binary, "daemon", "--check-config", "--config", path] + list(extra)
    ctx.note("$ " + " ".join(cmd))
    t0 = time.monotonic()
    r = _run(cmd, timeout=2, check=False)
    took = time.monotonic() - t0
    err = r.stderr.decode(errors="replace").splitlines()
    expect(r.returncode == 2, "%s: exit %d, want 2 (stderr: %s)" % (
        path, r.returncode, " | ".join(err[:5])))
    expect(0 < len(err) <= MAX_LINES, "%s: %d lines on stderr, want 1..%d" % (
        path, len(err), MAX_LINES), err[:30])
    expect(b"configuration OK" not in r.stdout + r.stderr,
           "%s: said configuration OK" % path)
    expect(took < 2, "%s: took %.1f s" % (path, took))
    return err


@test(timeout=30)
def test_config_not_a_file(ctx):
    fifo = os.path.join(ctx.tmp, "fifo")
    os.mkfifo(fifo)
    for path, why in ((ctx.tmp, "not a regular file"),
                      ("/proc/self/mem", "Input/output error"),
                      ("/dev/zero", "not a regular file"),
                      ("/dev/urandom", "not a regular file"),
                      (fifo, "not a regular file")):
        err = check_config(ctx, path)
        want = "sockscope: config %s: %s" % (path, why)
        expect(err == [want], "%s: stderr %r, want %r" % (path, err, want))


@test(timeout=30)
def test_config_garbage_and_size(ctx):
    garbage = os.path.join(ctx.tmp, "garbage.conf")
    with open(garbage, "wb") as f:
        f.write(b"no equals sign\n" * 5000)
    err = check_config(ctx, garbage)
    expect(err[-2:] == ["%s: ... and 4980 more" % garbage,
                        "sockscope: 5000 errors in %s" % garbage], err[-3:])
    expect(len(err) == 22, "want 20 errors, the rest counted: %d lines" % len(err), err)
    big = os.path.join(ctx.tmp, "big.conf")
    with open(big, "wb") as f:
        f.write(b"#" * ((1 << 20) + 1))
    err = check_config(ctx, big)
    expect(err == ["sockscope: config %s: larger than 1 MiB" % big], err)


@test(timeout=30)
def test_config_refused_values(ctx):
    for args in (["--sink", "file:relative/path"],
                 ["--sink", "syslog+udp://1.2.3.4"],
                 ["--sink", "syslog+tcp://[::1]"],
                 ["--retain", "0"],
                 ["--metrics", "::1:80"]):
        run_bad(ctx, ["daemon", "--check-config", "--config", "/dev/null"] + args, 2,
                one_line=True)
    # a symlink to a regular file is a configuration (admins manage them so)
    conf = os.path.join(ctx.tmp, "real.conf")
    with open(conf, "w") as f:
        f.write("retain = forever\nsink = file:/var/log/x.json?max_bytes=0\n")
    link = os.path.join(ctx.tmp, "link.conf")
    os.symlink(conf, link)
    r = _run([ctx.binary, "daemon", "--check-config", "--config", link], timeout=2)
    out = r.stdout.decode()
    expect("retain = forever" in out and "max_bytes=0" in out, out)
