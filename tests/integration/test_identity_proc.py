"""Integration tests for process identity: nspid, pidns, ppid, pcomm, exe and
cmdline on events and on ports/who rows (issue 11, the process part).

The processes run in pid, network and mount namespaces of their own
(unshare --pid --net --fork --mount-proc), or bind and exit at once, or
take a pid another process just had; each is found in the host-wide trace
by a marker in its command line.
"""
import json
import os
import subprocess
import sys
import time
import uuid

import harness as h

PY = sys.executable
PY_EXE = os.path.realpath(PY)

# Binds TCP 127.0.0.1:0 and listens, prints its facts as one JSON line, holds
# the socket until stdin closes. argv[1] is the marker.
HOLD = r'''
import json, os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(json.dumps({"pid": os.getpid(), "port": s.getsockname()[1],
                  "pidns": os.stat("/proc/self/ns/pid").st_ino,
                  "exe": os.readlink("/proc/self/exe")}), flush=True)
sys.stdin.read()
'''

# Binds and exits at once: gone before anyone could read /proc/PID.
BIND_EXIT = 'import socket; socket.socket().bind(("127.0.0.1", 0))'


def script(ctx, name, text):
    """text in a file of the test's directory: a command line stays short
    (cmdline is bounded)."""
    path = os.path.join(ctx.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def marker():
    return "ssid-" + uuid.uuid4().hex[:12]


def with_marker(evs, mark, event="bind"):
    return [e for e in evs if e.get("event") == event and mark in e.get("cmdline", "")]


def only(evs, mark, event="bind"):
    got = with_marker(evs, mark, event)
    if len(got) != 1:
        raise h.Fail("want one %s event with %s in its cmdline, got %d" % (event, mark, len(got)),
                     [h.fmt(e) for e in got[:5]])
    return got[0]


def want(e, what, **fields):
    for k, v in fields.items():
        if e.get(k) != v:
            raise h.Fail("%s: %s=%r, want %r: %s" % (what, k, e.get(k), v, h.fmt(e)))


@h.test(timeout=90)
def test_identity_in_own_namespaces(ctx):
    """A process in its own pid, network and mount namespaces: its events and
    its who row say pid 1 in its namespace, that namespace, its parent
    (unshare), its exe and its command line; the explanation of a failed
    bind on its port names the pid it sees."""
    mark = marker()
    hold = script(ctx, "hold.py", HOLD)
    t = ctx.tracer("-e", "bind,listen")
    p = subprocess.Popen(["unshare", "--pid", "--net", "--fork", "--mount-proc", PY, hold,
                          mark], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    ctx.procs.append(p)
    line = p.stdout.readline()
    if not line:
        raise h.Fail("the unshare'd process printed nothing: %s" % p.stderr.read()[-300:])
    facts = json.loads(line)
    ctx.note("facts: %s" % facts)
    h.expect(facts["pid"] == 1, "inside its pid namespace the process is pid 1: %r" % facts)

    # the live row (a one-shot who: identity from /proc of the host pid)
    r = h.run_sockscope(ctx, "who", "127.0.0.1:%d" % facts["port"], "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    holders = [x for row in rows for x in row.get("holders", [])
               if mark in x.get("cmdline", "")]
    if len(holders) != 1:
        raise h.Fail("who: want one holder with the marker, got %d" % len(holders), rows)
    row = holders[0]
    want(row, "who holder", nspid=1, pidns=facts["pidns"], ppid=p.pid, pcomm="unshare",
         exe=facts["exe"], cmdline="%s %s %s" % (PY, hold, mark))
    host_pid = row["pid"]
    h.expect(host_pid != 1, "the holder's pid is the host's: %r" % row)

    p.stdin.close()
    p.wait(10)
    res = t.finish()
    for ev in ("bind", "listen"):
        e = only(res.events, mark, ev)
        want(e, ev, pid=host_pid, nspid=1, pidns=facts["pidns"], ppid=p.pid, pcomm="unshare",
             exe=facts["exe"], cmdline="%s %s %s" % (PY, hold, mark))


@h.test(timeout=90)
def test_identity_explains_with_namespace_pid(ctx):
    """A failed bind on a port a namespaced process holds names the pid the
    holder sees (... by pid N (python3, pid 1 in its namespace))."""
    mark = marker()
    ns = ctx.netns()
    t = ctx.tracer("-e", "bind", "--failed")
    # holder and the failing bind in the same netns: the holder via unshare
    # --pid inside it, the second bind from ip netns exec
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, "unshare", "--pid", "--fork",
                          "--mount-proc", PY, script(ctx, "hold.py", HOLD), mark], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    ctx.procs.append(p)
    line = p.stdout.readline()
    if not line:
        raise h.Fail("the holder printed nothing: %s" % p.stderr.read()[-300:])
    facts = json.loads(line)
    r = subprocess.run(["ip", "netns", "exec", ns.name, PY, "-c",
                        'import socket,sys\ns=socket.socket()\n'
                        'try: s.bind(("127.0.0.1", int(sys.argv[1])))\n'
                        'except OSError: pass', str(facts["port"])], capture_output=True,
                       timeout=20)
    h.expect(r.returncode == 0, "second bind ran: %r" % r.stderr[-200:])
    res = t.finish(ns)
    fails = [e for e in res.ours if e.get("error") == "EADDRINUSE"]
    if len(fails) != 1:
        raise h.Fail("want one EADDRINUSE, got %d" % len(fails), [h.fmt(e) for e in res.ours])
    reason = fails[0].get("reason", "")
    h.expect("(python3, pid 1 in its namespace)" in reason, "reason names the namespace pid: %r"
             % reason)
    p.stdin.close()
    p.wait(10)


@h.test(timeout=90)
def test_identity_bind_and_exit(ctx):
    """A process that binds and exits at once still has its exe and cmdline
    (captured in the kernel: /proc/PID is gone before userspace looks)."""
    mark = marker()
    t = ctx.tracer("-e", "bind")
    for _ in range(3):
        subprocess.run([PY, "-c", BIND_EXIT, mark], check=True, timeout=20)
    res = t.finish()
    got = with_marker(res.events, mark)
    if len(got) != 3:
        raise h.Fail("want 3 bind events with the marker, got %d" % len(got))
    for e in got:
        want(e, "bind-and-exit", exe=PY_EXE, cmdline="%s -c %s %s" % (PY, BIND_EXIT, mark),
             ppid=os.getpid(), nspid=e["pid"])
        h.expect("pcomm" in e and "pidns" in e, "pcomm and pidns known: %s" % h.fmt(e))


@h.test(timeout=90)
def test_identity_after_exec(ctx):
    """exec changes exe and cmdline: the records after it carry the new ones."""
    mark1, mark2 = marker(), marker()
    second = BIND_EXIT + "  # " + mark2
    first = ("import os, socket, sys\nsocket.socket().bind(('127.0.0.1', 0))\n"
             "os.execv('/bin/sh', ['sh', '-c', 'exec \"$0\" -c \"$1\"', sys.executable, %r])"
             % second)
    first_py = script(ctx, "first.py", first)
    t = ctx.tracer("-e", "bind")
    subprocess.run([PY, first_py, mark1], check=True, timeout=20)
    res = t.finish()
    a = only(res.events, mark1)
    b = only(res.events, mark2)
    want(a, "before exec", exe=PY_EXE, cmdline="%s %s %s" % (PY, first_py, mark1))
    want(b, "after exec", pid=a["pid"], exe=PY_EXE, cmdline="%s -c %s" % (PY, second))


def _spawn_at_pid(ctx, pid, argv, tries=200):
    """A process with pid, by setting the host's ns_last_pid just before the
    fork (other processes may fork in between: retried)."""
    for _ in range(tries):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        ctx.procs.append(p)
        if p.pid == pid:
            return p
        p.kill()
        p.wait(10)
    raise h.Skip("could not get pid %d again in %d tries (a busy host)" % (pid, tries))


@h.test(timeout=120)
def test_identity_recycled_pid(ctx):
    """A pid that comes back belongs to the new process: its records and its
    who row carry its own exe and cmdline, never the previous owner's."""
    old, new = marker(), marker()
    hold = script(ctx, "hold.py", HOLD)
    t = ctx.tracer("-e", "bind")
    a = subprocess.Popen([PY, "-c", BIND_EXIT, old])
    ctx.procs.append(a)
    h.expect(a.wait(20) == 0, "first process ran")
    res_pid = a.pid
    time.sleep(0.05)  # the second one starts in a later clock tick
    b = _spawn_at_pid(ctx, res_pid, [PY, hold, new])
    line = b.stdout.readline()
    facts = json.loads(line)
    h.expect(facts["pid"] == res_pid, "same pid again: %r" % facts)
    r = h.run_sockscope(ctx, "who", "127.0.0.1:%d" % facts["port"], "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    holders = [x for row in rows for x in row.get("holders", []) if x.get("pid") == res_pid]
    if len(holders) != 1:
        raise h.Fail("who: want the holder %d, got %d" % (res_pid, len(holders)), rows)
    want(holders[0], "who of the new process", cmdline="%s %s %s" % (PY, hold, new),
         exe=PY_EXE)
    b.stdin.close()
    b.wait(10)
    res = t.finish()
    e_old, e_new = only(res.events, old), only(res.events, new)
    want(e_old, "first process", pid=res_pid, cmdline="%s -c %s %s" % (PY, BIND_EXIT, old))
    want(e_new, "second process", pid=res_pid, cmdline="%s %s %s" % (PY, hold, new),
         exe=PY_EXE)
    bad = [e for e in res.events if e.get("pid") == res_pid and
           old in e.get("cmdline", "") and e["ts"] > e_new["ts"]]
    h.expect(not bad, "no record after the pid came back names the old process", bad)


@h.test(timeout=90)
def test_identity_hostile_cmdline(ctx):
    """Newlines, quotes, backslashes and invalid UTF-8 in argv: one valid JSON
    line per event, the cmdline as the process has it (U+FFFD for the
    invalid bytes), and one line per event in text mode too."""
    mark = marker()
    argv = [PY.encode(), b"-c", BIND_EXIT.encode(), mark.encode(), b"a\nb", b'"q"\\',
            b"\xff\xfe", b"\x1b[31m"]
    t = ctx.tracer("-e", "bind")
    tt = ctx.tracer("-e", "bind", json_mode=False)
    subprocess.run(argv, check=True, timeout=20)
    res = t.finish()
    e = only(res.events, mark)
    want(e, "hostile", cmdline="%s -c %s %s a\nb \"q\"\\ \ufffd\ufffd \x1b[31m"
         % (PY, BIND_EXIT, mark))
    raw = [x for x in t.output().splitlines() if mark.encode() in x]
    h.expect(len(raw) == 1, "the event is one line of its own", raw)
    tt.finish()  # every text line an event line, starting with its time


@h.test(timeout=120)
def test_identity_in_history(ctx):
    """The daemon stores the identity of the process behind ownership and
    failure rows; history --json gives it back (for processes long gone)."""
    import random
    from test_daemon import Daemon, run, wait_for
    mark1, mark2 = marker(), marker()
    port = random.randint(36100, 36999)
    hold = script(ctx, "hold.py", HOLD.replace('("127.0.0.1", 0)', '("127.0.0.1", %d)' % port))
    d = Daemon(ctx)
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", PY, hold, mark1],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    ctx.procs.append(p)
    facts = json.loads(p.stdout.readline() or b"{}")
    h.expect(facts.get("port") == port, "holder listening on %d: %r" % (port, facts))
    fail = 'import socket,sys\ns=socket.socket()\ntry: s.bind(("127.0.0.1", %d))\n' \
           'except OSError: pass' % port
    subprocess.run([PY, "-c", fail, mark2], check=True, timeout=20)
    p.stdin.close()
    p.wait(10)

    def rows():
        r = run(ctx, "history", "--json", "--port", port)
        return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]

    got = wait_for("owner and failure rows", lambda: (
        lambda rs: rs if any(r["kind"] == "failure" and mark2 in r.get("cmdline", "")
                             for r in rs) and
        any(r["kind"] == "owner" and mark1 in r.get("cmdline", "") for r in rs) and
        any(r["kind"] == "socket" for r in rs) else None)(rows()), timeout=20)
    d.stop()
    owner = [r for r in got if r["kind"] == "owner" and r.get("action") == "listen"]
    h.expect(len(owner) == 1, "one listen row", got)
    want(owner[0], "owner row", nspid=1, pidns=facts["pidns"], ppid=p.pid, pcomm="unshare",
         exe=facts["exe"], cmdline="%s %s %s" % (PY, hold, mark1))
    sock = [x for r in got if r["kind"] == "socket" and r.get("lport") == port
            for x in r.get("holders", []) if x.get("pid") == owner[0]["pid"]]
    h.expect(len(sock) == 1, "the closed socket's row has its holder", got)
    want(sock[0], "socket row holder (it released the socket)", nspid=1, pidns=facts["pidns"],
         exe=facts["exe"], cmdline="%s %s %s" % (PY, hold, mark1))
    f = [r for r in got if r["kind"] == "failure"][0]
    want(f, "failure row", exe=PY_EXE, cmdline="%s -c %s %s" % (PY, fail, mark2),
         ppid=os.getpid())
    h.expect("pid 1 in its namespace" in f.get("reason", ""), "reason: %r" % f.get("reason"))
