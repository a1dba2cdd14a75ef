"""Query errors that must say what is wrong (issue 10, items 7 and 8): an
unreadable database is "permission denied" (exit 3), not "no database"; a bad
--at/--since/--until is a usage error (exit 2) whether or not there is a
database.

Imported by run.py, whose harness (test registry, Ctx, assertions) it uses.
Run under the kernel lock: no daemon of the suite is running then.
"""
import os
import socket
import subprocess

import harness as h
from test_daemon import SOCK, Daemon

from harness import add_user, del_user

USER = "ssqueryerr"


def no_daemon():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(SOCK)
    except OSError:
        return
    finally:
        s.close()
    raise h.Fail("a daemon answers on %s: these tests need none" % SOCK)


def as_user(ctx, pw, *args):
    cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
           ctx.binary] + [str(a) for a in args]
    ctx.note("$ " + " ".join(cmd))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def want(ctx, r, args, rc, text):
    h.expect(r.returncode == rc and text in r.stderr and not r.stdout,
             "%s: exit %d, want %d with %r: stdout %r stderr %r" % (
                 " ".join(str(a) for a in args), r.returncode, rc, text, r.stdout[-300:],
                 r.stderr[-300:]))


@h.test(timeout=90, needs=("setpriv", "useradd", "userdel"))
def test_unreadable_database_is_permission_denied(ctx):
    # a real database, root's and 0600, in a directory anyone may enter: the
    # file itself is what the user may not read
    os.chmod(ctx.tmp, 0o755)
    d = Daemon(ctx)
    d.stop()
    os.chmod(d.db, 0o600)
    no_daemon()
    pw = add_user(USER)
    try:
        args = ("history", "--db", d.db)
        want(ctx, as_user(ctx, pw, *args), args, 3, "database %s: permission denied" % d.db)
        args = ("who", 80, "--at", "1h", "--db", d.db)
        want(ctx, as_user(ctx, pw, *args), args, 3, "database %s: permission denied" % d.db)
        # and a missing one is still "no database" (exit 1)
        missing = os.path.join(ctx.tmp, "missing.db")
        args = ("history", "--db", missing)
        want(ctx, as_user(ctx, pw, *args), args, 1, "there is no database at %s" % missing)
    finally:
        del_user(USER)


@h.test(timeout=60)
def test_bad_times_are_usage_errors_without_a_database(ctx):
    no_daemon()
    db = os.path.join(ctx.tmp, "missing.db")
    for args, text in [
            (("who", 80, "--at", "yesterday-ish"), "bad --at 'yesterday-ish': expected RFC 3339"),
            (("history", "--since", "2026-02-30T00:00:00Z"),
             "bad --since '2026-02-30T00:00:00Z': expected RFC 3339"),
            (("history", "--since", "9999-12-31T23:59:59Z"),
             "bad --since '9999-12-31T23:59:59Z': out of range (years 1678 to 2261)"),
            (("history", "--until", "99999999d"), "bad --until '99999999d': out of range"),
            (("history", "--since", "1h", "--until", "2h"), "--until '2h' is before --since '1h'"),
    ]:
        args = args + ("--db", db)
        r = h.run_sockscope(ctx, *args, expect_rc=None)
        want(ctx, r, args, 2, text)
        h.expect("no database" not in r.stderr, "%s: %r" % (" ".join(map(str, args)), r.stderr))
    # a window the right way round is no error: just nothing there
    args = ("history", "--since", "2h", "--until", "1h", "--db", db)
    r = h.run_sockscope(ctx, *args, expect_rc=None)
    want(ctx, r, args, 1, "no database at %s" % db)
