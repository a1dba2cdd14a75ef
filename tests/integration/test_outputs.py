"""How `trace -o PATH` opens its file (issue 10, items 2 and 13): a symbolic
link planted by another user is refused, a new file is 0600, a FIFO with no
reader is refused at once (the --duration is not lost in open()), and what
may be named on purpose (/dev/null, root's /dev/stdout) still works.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Fail, expect, run_bad, test

from harness import add_user, del_user

USER = "ss-it-outputs"
PROTECTED = "/proc/sys/fs/protected_symlinks"


def trace(ctx, path, *args, timeout=20, umask=None):
    cmd = [ctx.binary, "trace", "-o", path, "-d", "1"] + list(args)
    ctx.note("$ " + " ".join(cmd))
    pre = (lambda: os.umask(umask)) if umask is not None else None
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           preexec_fn=pre)
    except subprocess.TimeoutExpired:
        raise Fail("%s: still running after %d s" % (" ".join(cmd), timeout))
    return r, time.monotonic() - t0, r.stderr.decode(errors="replace").splitlines()


@test(timeout=60, needs=("useradd", "userdel"))
def test_output_planted_symlink_refused(ctx):
    """fs.protected_symlinks=0 (the hosts where this matters): root must not
    append to /root/VICTIM through a link another user planted, in a sticky
    /tmp-like directory (where the kernel may refuse it too) or in a
    directory of the user's own (where only O_NOFOLLOW does)."""
    victim = tempfile.NamedTemporaryFile(prefix="ss-it-victim-", dir="/root", delete=False)
    victim.write(b"precious\n")
    victim.close()
    sticky = tempfile.mkdtemp(prefix="ss-it-sticky-", dir="/tmp")
    os.chmod(sticky, 0o1777)
    saved = open(PROTECTED).read().strip()
    try:
        pw = add_user(USER)
        own = os.path.join(sticky, "own")
        os.mkdir(own, 0o755)
        os.chown(own, pw.pw_uid, pw.pw_gid)
        with open(PROTECTED, "w") as f:
            f.write("0")
        for d in (sticky, own):
            link = os.path.join(d, "x")
            subprocess.run(["ln", "-s", victim.name, link], check=True, capture_output=True,
                           timeout=10, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
            expect(os.lstat(link).st_uid == pw.pw_uid, "the link is not the user's")
            r, _, err = trace(ctx, link)
            expect(r.returncode == 5, "-o planted link: exit %d, want 5: %s" % (
                r.returncode, " | ".join(err)))
            expect(len(err) == 1 and link in err[0] and "symbolic link" in err[0],
                   "want one line naming %s and why: %s" % (link, " | ".join(err)))
            with open(victim.name, "rb") as f:
                data = f.read()
            expect(data == b"precious\n", "the victim file changed: %r" % data[:200])
            st = os.stat(victim.name)
            expect(st.st_mode & 0o7777 == 0o600 and st.st_uid == 0,
                   "victim mode %o uid %d" % (st.st_mode & 0o7777, st.st_uid))
    finally:
        with open(PROTECTED, "w") as f:
            f.write(saved)
        shutil.rmtree(sticky, ignore_errors=True)
        os.unlink(victim.name)
        del_user(USER)


@test(timeout=60)
def test_output_new_file_mode_0600(ctx):
    path = os.path.join(ctx.tmp, "new.json")
    r, _, err = trace(ctx, path, "--json", umask=0)
    expect(r.returncode == 0, "-o new file: exit %d: %s" % (r.returncode, " | ".join(err)))
    mode = os.stat(path).st_mode & 0o7777
    expect(mode == 0o600, "new output file has mode %o, want 600" % mode)
    # named on purpose: a character device, and root's own link /dev/stdout
    for dev in ("/dev/null", "/dev/stdout"):
        r, _, err = trace(ctx, dev)
        expect(r.returncode == 0, "-o %s: exit %d: %s" % (dev, r.returncode, " | ".join(err)))


@test(timeout=60)
def test_output_fifo_without_reader(ctx):
    fifo = os.path.join(ctx.tmp, "fifo")
    os.mkfifo(fifo)
    r, took, err = trace(ctx, fifo, timeout=10)
    expect(took < 5, "-o FIFO -d 1 with no reader took %.1f s" % took)
    expect(r.returncode == 5, "-o FIFO, no reader: exit %d, want 5: %s" % (
        r.returncode, " | ".join(err)))
    expect(len(err) == 1 and ("no reader on FIFO " + fifo) in err[0],
           "want 'no reader on FIFO %s': %s" % (fifo, " | ".join(err)))


@test(timeout=60)
def test_output_not_a_file_refused(ctx):
    """A directory, a UNIX socket: one line naming the path, exit 5."""
    sock_path = os.path.join(ctx.tmp, "sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock_path)
    try:
        for path in (ctx.tmp, sock_path):
            run_bad(ctx, ["trace", "-o", path, "-d", "1"], 5, one_line=True)
    finally:
        s.close()
