"""A corrupt database (issue 10, item 4). A real database built by the daemon
gets 4 KiB of garbage in its middle; then `history` says "PATH: database is
corrupt (...)" and exits 5 instead of printing rows as if nothing happened,
and a daemon started on it checks it (PRAGMA quick_check), moves it aside
as PATH.corrupt-TIME (kept byte for byte, named in its log, counted in
sockscope_store_corrupt_total) and writes a fresh database that history
then reads.
"""

import hashlib
import os
import re
import sqlite3

import harness as h
from test_daemon import Daemon, churn, history, metrics, parse_prometheus, run, wait_for

PAGE = 4096


def integrity(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as e:
        return [(str(e),)]
    finally:
        db.close()


def middle_page(path, table=None):
    """The page nearest the middle of the file; with table, the nearest of
    that table's leaves (the pages a history query reads)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        if not table:
            return pages // 2 + 1
        leaves = [r[0] for r in db.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))]
    finally:
        db.close()
    h.expect(len(leaves) > 2, "the %s table has only %d leaves" % (table, len(leaves)))
    return min(leaves, key=lambda p: abs(p - pages // 2))


def garble(path, page):
    junk = bytes((0xa5 ^ (i * 7)) & 0xff for i in range(PAGE))
    with open(path, "r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(junk)
    h.expect(integrity(path) != [("ok",)], "4 KiB of garbage and integrity_check says ok")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def built_database(ctx, ns, n, port_base):
    """A database the daemon wrote: n sockets of ours, then stopped."""
    d = Daemon(ctx)
    churn(ns, n, port_base)
    wait_for("%d sockets in history" % n, lambda: len(
        [r for r in history(ctx) if r["kind"] == "socket" and r["netns"] == ns.inode]) >= n)
    h.expect(d.stop() == 0, "clean exit")
    return d.db


def moved_aside(db, stderr):
    m = re.search(r"database: (.*); moved to (\S+), starting a fresh one", stderr)
    h.expect(m, "the daemon did not say it moved the database aside: %s" % stderr[-800:])
    h.expect("database is corrupt" in m.group(1), "the log does not say why: %s" % m.group(1))
    moved = m.group(2)
    h.expect(re.fullmatch(re.escape(db) + r"\.corrupt-\d{8}T\d{6}Z(-\d+)?", moved),
             "moved aside as %s" % moved)
    h.expect(os.path.exists(moved), "%s does not exist" % moved)
    return moved


@h.test(timeout=120)
def test_db_corrupt_history_says_so_daemon_starts_fresh(ctx):
    ns = ctx.netns()
    db = built_database(ctx, ns, 300, 35000)
    garble(db, middle_page(db, "socket"))
    before = sha(db)
    r = run(ctx, "history", "--db", db, "--json", "--limit", 1000000, expect_rc=None)
    err = r.stderr.strip().splitlines()
    h.expect(r.returncode == 5, "history on a corrupt database: exit %d, want 5: %s"
             % (r.returncode, r.stderr))
    h.expect(len(err) == 1 and err[0].startswith("sockscope: %s: database is corrupt (" % db),
             "history's message: %r" % r.stderr)
    h.expect(sha(db) == before, "history changed the corrupt file")

    d = Daemon(ctx, "--metrics", "127.0.0.1:19483")
    moved = moved_aside(db, d.stderr())
    h.expect(sha(moved) == before, "the file moved aside is not the damaged file as it was")
    _, samples = parse_prometheus(metrics(19483))
    h.expect(samples.get(("sockscope_store_corrupt_total", ())) == 1,
             "sockscope_store_corrupt_total: %s" % samples.get(("sockscope_store_corrupt_total",
                                                               ())))
    ports = churn(ns, 20, 35400)
    wait_for("the new sockets in history", lambda: len(
        [x for x in history(ctx) if x["kind"] == "socket" and x["netns"] == ns.inode]) >= 20)
    h.expect(d.stop() == 0, "clean exit")
    h.expect(integrity(db) == [("ok",)], "the fresh database: %s" % integrity(db))
    rows = [x for x in history(ctx, "--db", db) if x["kind"] == "socket" and
            x["netns"] == ns.inode]
    h.expect(sorted(x["lport"] for x in rows) == sorted(ports),
             "the fresh database holds %s, want exactly the new ports"
             % sorted(x["lport"] for x in rows)[:30])


@h.test(timeout=120)
def test_db_corrupt_any_page_found_by_the_daemon_check(ctx):
    """Garbage in the page at the very middle, whatever it holds (an index
    no query of history may read): the daemon's check at start finds it."""
    ns = ctx.netns()
    db = built_database(ctx, ns, 300, 35600)
    garble(db, middle_page(db))
    before = sha(db)
    d = Daemon(ctx)
    moved = moved_aside(db, d.stderr())
    h.expect(sha(moved) == before, "the file moved aside is not the damaged file as it was")
    churn(ns, 5, 35950)
    wait_for("the new sockets in history", lambda: len(
        [x for x in history(ctx) if x["kind"] == "socket" and x["netns"] == ns.inode]) >= 5)
    h.expect(d.stop() == 0, "clean exit")
    h.expect(integrity(db) == [("ok",)], "the fresh database: %s" % integrity(db))
