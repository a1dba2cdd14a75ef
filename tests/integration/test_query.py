"""Integration tests for the one query path: ports, who and history answer the
same whoever answers (a running daemon, or this command with no daemon).

Imported by run.py, whose harness (test registry, Ctx, assertions) it uses.
The daemon's query socket is machine-wide: one daemon at a time.
"""
import json

import harness as h
from test_daemon import Daemon, run, wait_for
from test_ports import Holder


@h.test(timeout=90)
def test_who_prints_the_same_with_and_without_a_daemon(ctx):
    ns = ctx.netns()
    port = 36600
    # A first daemon remembers a listener that came and went ...
    d = Daemon(ctx)
    old = Holder(ctx, ns, tcp_listen=[["127.0.0.1", port]])
    old.release()
    wait_for("the closed listener in the database", lambda: [
        l for l in run(ctx, "history", "--json", "--port", port).stdout.splitlines()
        if '"kind":"socket"' in l and '"pid":%d,' % old.pid in l])
    d.stop()
    # ... then someone holds the port: asked with no daemon, then of a daemon
    # on the same database (its engine seeded from the kernel, like ours).
    cur = Holder(ctx, ns, tcp_listen=[["127.0.0.1", port]])
    asks = [("who", port, "--db", d.db), ("who", port, "--db", d.db, "--json"),
            ("who", port, "--db", d.db, "--netns", ns.inode),
            ("who", port + 1, "--db", d.db)]
    alone = [run(ctx, *a, expect_rc=None) for a in asks]
    d = Daemon(ctx, db=d.db)
    served = [run(ctx, *a, expect_rc=None) for a in asks]
    # the daemon answered them (with no daemon, this database is missing)
    r = run(ctx, "history", "--port", port, "--db", ctx.tmp + "/missing.db", expect_rc=None)
    h.expect(r.returncode == 0 and "pid=%d" % old.pid in r.stdout,
             "the daemon answers, not a local fallback: %r" % (r.stdout + r.stderr))
    d.stop()
    for a, x, y in zip(asks, alone, served):
        h.expect((x.returncode, x.stdout, x.stderr) == (y.returncode, y.stdout, y.stderr),
                 "%s differs:\nwithout a daemon (exit %d):\n%s%s\nwith one (exit %d):\n%s%s" % (
                     " ".join(str(v) for v in a), x.returncode, x.stdout, x.stderr,
                     y.returncode, y.stdout, y.stderr))
    text, js = alone[0].stdout, alone[1].stdout
    h.expect(alone[0].returncode == 0 and "pid=%d" % cur.pid in text.split("held before:")[0],
             "the holder now, first: %r" % text)
    h.expect("held before:\n" in text and "pid=%d" % old.pid in text.split("held before:")[1],
             "then who held it before: %r" % text)
    rows = [json.loads(l) for l in js.splitlines() if l.strip()]
    live = [r for r in rows if "kind" not in r and r.get("netns") == ns.inode]
    past = [r for r in rows if r.get("kind") == "socket" and r.get("netns") == ns.inode]
    h.expect(len(live) == 1 and live[0]["holders"][0]["pid"] == cur.pid, "live: %s" % live)
    h.expect(past and past[0]["holders"][0]["pid"] == old.pid, "past: %s" % past)
    h.expect("held before" not in js, "--json prints rows only")
    h.expect(alone[3].returncode == 6 and "nothing holds port %d" % (port + 1) in alone[3].stderr,
             "a free port: %r" % (alone[3].stderr,))
    cur.release()
