"""Holders across fork when only processes that may hold a socket report
their forks and exits (the kernel marks a process when it creates, accepts
or receives a socket, when its parent was marked, and at start-up for the
sockets it already holds): a socket older than the tracer is inherited by
a child forked later; a child of a socket-free parent that opens a socket,
and that child's own child, are its holders.

Discovered by run.py; every test runs in a network namespace of its own
against the real kernel.
"""
import json
import subprocess
import sys

import harness as h

# Phase 1 (before the tracer): a UDP socket on port A. On "go": fork a child
# that keeps it, close the parent's copy, let the child close it last. Then a
# socket-free process forks C; C opens B, forks D, closes its copy; D closes
# B last. Prints the pids.
SCRIPT = r'''
import json, os, socket, subprocess, sys, time
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", %d))
print("ready", flush=True)
sys.stdin.readline()
kid = os.fork()
if kid == 0:
    time.sleep(0.3); a.close(); os._exit(0)
a.close()
os.waitpid(kid, 0)
# a process that never held a traced socket forks C
code = """
import os, socket, sys, time
r, w = os.pipe()
c = os.fork()
if c == 0:
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", %d))
    d = os.fork()
    if d == 0:
        time.sleep(0.3); b.close(); os._exit(0)
    os.write(w, ("%%d %%d" %% (os.getpid(), d)).encode())
    b.close(); os.waitpid(d, 0); os._exit(0)
os.waitpid(c, 0)
print(os.read(r, 64).decode())
"""
cd = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
c, d = map(int, cd.stdout.split())
print(json.dumps({"parent": os.getpid(), "kid": kid, "c": c, "d": d}), flush=True)
'''


@h.test(timeout=60)
def test_holders_across_fork_of_marked_and_unmarked_processes(ctx):
    ns = ctx.netns()
    pa, pb = 9521, 9522
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c",
                          SCRIPT % (pa, pb)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        h.expect(p.stdout.readline().strip() == "ready", "the holder started")
        tr = ctx.tracer()  # the socket on port A is older than the tracer
        p.stdin.write("go\n")
        p.stdin.flush()
        pids = json.loads(p.stdout.readline())
        p.wait(timeout=20)
    finally:
        p.kill()
    evs = tr.finish(ns).ours
    ca = h.one(evs, "the close of the older socket", event="close", lport=pa)
    h.check(ca, "the older socket's last close: by the forked child", pid=pids["kid"])
    h.expect_holders(ca, "the older socket (the seeded parent, then its child)",
                     [pids["parent"], pids["kid"]])
    cb = h.one(evs, "the close of C's socket", event="close", lport=pb)
    h.check(cb, "C's socket's last close: by D", pid=pids["d"])
    h.expect_holders(cb, "C's socket (C opened it, D inherited it)", [pids["c"], pids["d"]])


# A socket passed over a UNIX socket (SCM_RIGHTS) to a process that held
# none: the receiver becomes a holder, and its own fork later passes it on.
PASS = r'''
import json, os, socket, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
r = os.fork()
if r == 0:  # the receiver: no traced socket of its own until it gets one
    a.close()
    msg, fds, flags, addr = socket.recv_fds(b, 16, 4)
    s = socket.socket(fileno=fds[0])
    g = os.fork()
    if g == 0:
        time.sleep(0.3); s.close(); os._exit(0)
    print(json.dumps({"receiver": os.getpid(), "grandchild": g}), flush=True)
    s.close(); os.waitpid(g, 0); os._exit(0)
b.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", %d))
socket.send_fds(a, [b"x"], [u.fileno()])
u.close()
os.waitpid(r, 0)
print(json.dumps({"sender": os.getpid()}), flush=True)
'''


@h.test(timeout=60)
def test_holders_of_a_socket_passed_over_scm_rights_and_forked_on(ctx):
    ns = ctx.netns()
    port = 9531
    tr = ctx.tracer()
    out = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-c", PASS % port],
                         capture_output=True, text=True, timeout=20)
    h.expect(out.returncode == 0, "the passing script: %s" % out.stderr[-500:])
    facts = {}
    for line in out.stdout.splitlines():
        facts.update(json.loads(line))
    evs = tr.finish(ns).ours
    c = h.one(evs, "the passed socket's close", event="close", lport=port)
    h.check(c, "its last close: by the receiver's child", pid=facts["grandchild"])
    h.expect_holders(c, "the passed socket (sender, receiver, the receiver's child)",
                     [facts["sender"], facts["receiver"], facts["grandchild"]])
