#!/usr/bin/env python3
"""Socket workloads for the sockscope integration tests.

Run inside a network namespace the test created:

    ip netns exec NS python3 tests/integration/workload.py SCENARIO [ARGS...] [--hold PIDFILE]

Each scenario performs real socket operations on loopback only and prints ONE
JSON line of facts on stdout (pids, ports, errnos) that the test compares
with the events sockscope reported. Anything unexpected (an operation that
should have failed succeeds, a child process fails, ...) is an exception:
traceback on stderr, exit status 1, no facts line.

--hold PIDFILE: write our pid to PIDFILE, then wait for one line on stdin
before doing anything (lets a test start the tracer with --pid first).

Standard library only. Forked children never write to stdout; they report
to the parent through a pipe and leave with os._exit().
"""

import ctypes
import errno
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import traceback

LOOP = {"4": (socket.AF_INET, "127.0.0.1"), "6": (socket.AF_INET6, "::1")}
ANY = {"4": "0.0.0.0", "6": "::"}
PR_SET_NAME = 15

_libc = ctypes.CDLL(None, use_errno=True)


class WorkloadError(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise WorkloadError(msg)


def set_comm(name):
    """Set this thread's comm (what the kernel and sockscope call comm)."""
    if isinstance(name, str):
        name = name.encode()
    buf = ctypes.create_string_buffer(name)
    if _libc.prctl(PR_SET_NAME, buf, 0, 0, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "prctl(PR_SET_NAME): " + os.strerror(e))


def get_comm():
    """This thread's comm, as the kernel has it."""
    with open("/proc/self/task/%d/comm" % threading.get_native_id(), "rb") as f:
        return f.read().rstrip(b"\n")


def tcp_info(s):
    """(bytes_acked, bytes_received, state) from TCP_INFO: diagnostics only."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    acked, received = struct.unpack_from("QQ", b, 120)
    return {"bytes_acked": acked, "bytes_received": received, "state": b[0]}


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        require(chunk, "peer closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_eof(s):
    extra = 0
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return extra
        extra += len(chunk)


def tcp(af):
    return socket.socket(af, socket.SOCK_STREAM)


def udp(af):
    return socket.socket(af, socket.SOCK_DGRAM)


def fails(call, addr, what):
    """The errno of call(addr), a bind or connect that must fail."""
    try:
        call(addr)
    except OSError as e:
        return e.errno
    raise WorkloadError("%s unexpectedly succeeded" % what)


def bound(fam, port, kind=tcp, backlog=None):
    """A kind() socket of family fam bound to its loopback address and port
    (then listening with backlog, if given): (af, host, port, socket)."""
    af, host = LOOP[fam]
    port = int(port)
    s = kind(af)
    s.bind((host, port))
    if backlog is not None:
        s.listen(backlog)
    return af, host, port, s


class Child:
    """A forked child running fn(); its dict result comes back over a pipe."""

    def __init__(self, fn, *close_in_child):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(r)
                # Drop our copies of the parent's sockets: the parent still
                # holds them, so this releases nothing.
                for s in close_in_child:
                    s.close()
                res = fn() or {}
                os.write(w, json.dumps(res).encode())
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        self.pid = pid
        self._r = r

    def join(self, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                raise WorkloadError("child %d did not finish" % self.pid)
            time.sleep(0.005)
        data = b""
        while True:
            chunk = os.read(self._r, 65536)
            if not chunk:
                break
            data += chunk
        os.close(self._r)
        require(os.waitstatus_to_exitcode(status) == 0,
                "child %d failed (status %#x)" % (self.pid, status))
        return json.loads(data)


# ---- scenarios -------------------------------------------------------------


def sc_tcp_lifecycle(fam, port):
    """Server (this process) and client (forked child) over loopback.

    client: socket, connect, send 1000 bytes, receive 2000, close (first).
    server: socket, bind, listen(8), accept, receive 1000, send 2000,
            wait for the client's FIN, close the connection, close listener.
    """
    af, host, port, srv = bound(fam, port, backlog=8)

    def client():
        c = tcp(af)
        c.connect((host, port))
        cport = c.getsockname()[1]
        c.sendall(b"c" * 1000)
        recv_exact(c, 2000)
        info = tcp_info(c)
        c.close()
        return {"client_pid": os.getpid(), "client_port": cport, "client_tcp_info": info}

    child = Child(client, srv)
    conn, peer = srv.accept()
    recv_exact(conn, 1000)
    conn.sendall(b"s" * 2000)
    extra = recv_eof(conn)
    require(extra == 0, "client sent %d unexpected bytes" % extra)
    info = tcp_info(conn)
    conn.close()
    srv.close()
    facts = child.join()
    require(peer[1] == facts["client_port"], "peer port mismatch")
    facts.update(server_pid=os.getpid(), port=port, server_tcp_info=info)
    return facts


def sc_bind_inuse(fam, port):
    """A listener holds host:port; a second socket's bind() fails."""
    af, host, port, a = bound(fam, port, backlog=1)
    b = tcp(af)
    err = fails(b.bind, (host, port), "second bind")
    require(err == errno.EADDRINUSE, "bind failed with %d, not EADDRINUSE" % err)
    b.close()
    a.close()
    return {"pid": os.getpid(), "port": port, "addr": host, "errno": err}


def sc_bind_port0(fam):
    """bind(port 0) for a TCP then a UDP socket; report the ports chosen."""
    af, host = LOOP[fam]
    t = tcp(af)
    t.bind((host, 0))
    tport = t.getsockname()[1]
    t.close()
    u = udp(af)
    u.bind((host, 0))
    uport = u.getsockname()[1]
    u.close()
    require(tport and uport, "port 0 bind gave port 0")
    return {"pid": os.getpid(), "tcp_port": tport, "udp_port": uport, "addr": host}


def sc_listen_nobind(fam):
    """listen() on an unbound TCP socket: the kernel picks a port."""
    af, _ = LOOP[fam]
    s = tcp(af)
    s.listen(5)
    addr, port = s.getsockname()[:2]
    s.close()
    require(port, "auto-bound port is 0")
    return {"pid": os.getpid(), "port": port, "addr": addr}


def sc_connect_refused(fam, port):
    """Blocking connect to a port nothing listens on."""
    af, host = LOOP[fam]
    port = int(port)
    s = tcp(af)
    err = fails(s.connect, (host, port), "connect")
    require(err == errno.ECONNREFUSED, "connect failed with %d" % err)
    s.close()
    return {"pid": os.getpid(), "port": port, "addr": host, "errno": err}


def _nb_connect(af, host, port):
    s = tcp(af)
    s.setblocking(False)
    rc1 = s.connect_ex((host, port))
    require(rc1 in (0, errno.EINPROGRESS, errno.ECONNREFUSED),
            "non-blocking connect returned %d" % rc1)
    _, w, _ = select.select([], [s], [], 5)
    require(w, "socket never became writable")
    so_error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return s, rc1, so_error


def sc_nb_connect(fam, port):
    """Non-blocking connect from a forked child to a listener here.

    After the outcome the child calls connect() again twice, as polling loops
    do (Linux answers 0, then EISCONN): neither is a new attempt.
    """
    af, host, port, srv = bound(fam, port, backlog=8)

    def client():
        s, rc1, so_error = _nb_connect(af, host, port)
        require(so_error == 0, "SO_ERROR %d" % so_error)
        rc2 = s.connect_ex((host, port))
        require(rc2 in (0, errno.EISCONN), "second connect returned %d" % rc2)
        rc3 = s.connect_ex((host, port))
        require(rc3 == errno.EISCONN, "third connect returned %d" % rc3)
        cport = s.getsockname()[1]
        s.close()
        return {"client_pid": os.getpid(), "client_port": cport, "rc1": rc1, "rc2": rc2,
                "rc3": rc3}

    child = Child(client, srv)
    conn, _ = srv.accept()
    recv_eof(conn)
    conn.close()
    srv.close()
    facts = child.join()
    facts.update(server_pid=os.getpid(), port=port)
    return facts


def sc_nb_connect_refused(fam, port):
    """Non-blocking connect, from a forked child, to a closed port."""
    af, host = LOOP[fam]
    port = int(port)

    def client():
        s, rc1, so_error = _nb_connect(af, host, port)
        err = so_error or rc1
        require(err == errno.ECONNREFUSED, "outcome %d, not ECONNREFUSED" % err)
        s.close()
        return {"client_pid": os.getpid(), "rc1": rc1, "errno": err}

    facts = Child(client).join()
    facts.update(parent_pid=os.getpid(), port=port)
    return facts


def sc_nb_connect_delayed(fam, port, outcome):
    """Non-blocking connect whose outcome the kernel raises from a timer
    (softirq) while the connecting process sleeps in select().

    A listener with backlog 0 is made full by one unaccepted connection, so
    the child's SYN is dropped. After 0.3 s the parent either accepts (room
    again: the SYN retransmitted ~1 s later gets through -> success) or closes
    the listener (the retransmitted SYN meets no listener -> ECONNREFUSED).
    """
    require(outcome in ("ok", "refused"), "outcome: ok or refused")
    af, host, port, lst = bound(fam, port, backlog=0)
    first = tcp(af)
    first.connect((host, port))  # fills the accept queue

    def client():
        t0 = time.monotonic()
        s, rc1, so_error = _nb_connect(af, host, port)
        elapsed = time.monotonic() - t0
        cport = s.getsockname()[1]
        s.close()
        return {"client_pid": os.getpid(), "rc1": rc1, "errno": so_error,
                "elapsed": round(elapsed, 3), "client_port": cport}

    child = Child(client, lst, first)
    time.sleep(0.3)
    conns = []
    if outcome == "ok":
        conns.append(lst.accept()[0])  # the first connection: room for the child's
        lst.settimeout(10)
        conns.append(lst.accept()[0])
    else:
        lst.close()
    facts = child.join()
    for c in conns:
        c.close()
    first.close()
    if outcome == "ok":
        lst.close()
    want = 0 if outcome == "ok" else errno.ECONNREFUSED
    require(facts["errno"] == want, "outcome errno %d, want %d" % (facts["errno"], want))
    require(facts["rc1"] == errno.EINPROGRESS, "connect did not return EINPROGRESS")
    require(facts["elapsed"] >= 0.5, "outcome after %.3fs: the SYN was not retransmitted"
            % facts["elapsed"])
    facts.update(parent_pid=os.getpid(), port=port, outcome=outcome)
    return facts


def sc_unreachable(port):
    """Synchronous failures without sending anything (the namespace has only
    lo, so there is no route): TCP4/UDP4/TCP6 connect to documentation
    addresses -> ENETUNREACH; bind to a non-local address -> EADDRNOTAVAIL."""
    port = int(port)
    res = {}
    for name, af, kind, addr in (("tcp4", socket.AF_INET, socket.SOCK_STREAM, "192.0.2.1"),
                                 ("udp4", socket.AF_INET, socket.SOCK_DGRAM, "192.0.2.1"),
                                 ("tcp6", socket.AF_INET6, socket.SOCK_STREAM, "2001:db8::1")):
        s = socket.socket(af, kind)
        try:
            s.connect((addr, 9))
            raise WorkloadError("%s connect to %s succeeded" % (name, addr))
        except OSError as e:
            require(e.errno == errno.ENETUNREACH, "%s connect errno %d" % (name, e.errno))
            res[name + "_errno"] = e.errno
        s.close()
    s = tcp(socket.AF_INET)
    try:
        s.bind(("192.0.2.1", port))
        raise WorkloadError("bind to 192.0.2.1 succeeded")
    except OSError as e:
        require(e.errno == errno.EADDRNOTAVAIL, "bind errno %d" % e.errno)
        res["bind_errno"] = e.errno
    s.close()
    res.update(pid=os.getpid(), port=port)
    return res


def sc_preexisting(fam, port):
    """Sockets made BEFORE the tracer starts (this scenario holds itself, so
    use --hold): a listener, a bound UDP socket, an established pair. After
    'go': a forked client connects to the old listener (accepted here), then
    everything is closed: C0 first, then A0 (after its EOF), A1, U, L."""
    af, host, port, lst = bound(fam, port, backlog=8)
    u = udp(af)
    u.bind((host, port + 1))
    c0 = tcp(af)
    c0.connect((host, port))
    a0, _ = lst.accept()
    c0port = c0.getsockname()[1]
    maybe_hold()

    def client():
        c = tcp(af)
        c.connect((host, port))
        c.sendall(b"p" * 5)
        cport = c.getsockname()[1]
        c.close()
        return {"client_pid": os.getpid(), "client_port": cport}

    kid = Child(client, lst, u, c0, a0)
    a1, _ = lst.accept()
    require(recv_eof(a1) == 5, "A1 data")
    a1.close()
    c0.close()
    require(recv_eof(a0) == 0, "A0 data")
    a0.close()
    u.close()
    lst.close()
    facts = kid.join()
    facts.update(parent_pid=os.getpid(), port=port, udp_port=port + 1, c0_port=c0port)
    return facts


def sc_thread(port):
    """A thread named ssthread does UDP socket + bind + close."""
    port = int(port)
    out = {}

    def body():
        set_comm("ssthread")
        out["tid"] = threading.get_native_id()
        s = udp(socket.AF_INET)
        s.bind(("127.0.0.1", port))
        s.close()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    require(out.get("tid") and out["tid"] != os.getpid(), "thread id")
    out.update(pid=os.getpid(), port=port, main_comm=get_comm().decode())
    return out


def sc_udp(fam, port):
    """UDP server bound to host:port; client connect()s, sends, closes."""
    af, host, port, srv = bound(fam, port, udp)
    cli = udp(af)
    cli.connect((host, port))
    cport = cli.getsockname()[1]
    cli.send(b"u" * 100)
    data, peer = srv.recvfrom(1000)
    require(len(data) == 100 and peer[1] == cport, "datagram mismatch")
    cli.close()
    srv.close()
    return {"pid": os.getpid(), "port": port, "client_port": cport, "addr": host}


def sc_v4mapped(port):
    """AF_INET6 listener on :: (V6ONLY=0); an AF_INET client connects."""
    port = int(port)
    l6 = tcp(socket.AF_INET6)
    l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    l6.bind(("::", port))
    l6.listen(8)
    c = tcp(socket.AF_INET)
    c.connect(("127.0.0.1", port))
    cport = c.getsockname()[1]
    a, peer = l6.accept()
    require(peer[0] == "::ffff:127.0.0.1" and peer[1] == cport, "peer %r" % (peer,))
    c.close()
    a.close()
    l6.close()
    return {"pid": os.getpid(), "port": port, "client_port": cport, "peer": peer[0]}


def libc_accept(lst):
    """accept(2) itself (Python's socket.accept uses accept4)."""
    _libc.accept.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    fd = _libc.accept(lst.fileno(), None, None)
    if fd < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    conn = socket.socket(fileno=fd)
    return conn, conn.getpeername()


def sc_accept_child(fam, port, how="accept4"):
    """Listener made here; a forked child accepts (with accept4, or with
    accept(2) when how is 'accept'); the parent connects."""
    require(how in ("accept4", "accept"), "how: accept4 or accept")
    af, host, port, lst = bound(fam, port, backlog=8)

    def acceptor():
        conn, peer = libc_accept(lst) if how == "accept" else lst.accept()
        recv_exact(conn, 10)
        conn.close()
        lst.close()  # our copy only: the parent still holds the listener
        return {"child_pid": os.getpid(), "peer_port": peer[1]}

    child = Child(acceptor)
    c = tcp(af)
    c.connect((host, port))
    cport = c.getsockname()[1]
    c.sendall(b"x" * 10)
    extra = recv_eof(c)
    require(extra == 0, "unexpected data")
    facts = child.join()
    c.close()
    lst.close()
    require(facts["peer_port"] == cport, "peer port mismatch")
    facts.update(parent_pid=os.getpid(), port=port, client_port=cport, how=how)
    return facts


def sc_close_other(fam, port):
    """Parent creates and connects a socket, forks; the parent closes its fd
    first, the child closes the last reference later."""
    af, host, port, lst = bound(fam, port, backlog=8)
    c = tcp(af)
    c.connect((host, port))
    cport = c.getsockname()[1]
    a, _ = lst.accept()
    go_r, go_w = os.pipe()

    def closer():
        os.close(go_w)
        require(os.read(go_r, 1) == b"g", "no go from parent")
        time.sleep(0.05)
        c.close()  # the last reference: the socket is released here
        return {"child_pid": os.getpid()}

    child = Child(closer, lst, a)
    os.close(go_r)
    c.close()  # not the last reference
    os.write(go_w, b"g")
    os.close(go_w)
    facts = child.join()
    a.close()
    lst.close()
    facts.update(parent_pid=os.getpid(), port=port, client_port=cport)
    return facts


def sc_comm(hexname, port):
    """Set comm to the given bytes, then socket + bind + close (UDP)."""
    name = bytes.fromhex(hexname)
    port = int(port)
    set_comm(name)
    s = udp(socket.AF_INET)
    s.bind(("127.0.0.1", port))
    s.close()
    return {"pid": os.getpid(), "port": port, "comm_hex": get_comm().hex()}


def sc_basic_udp(comm, port):
    """comm=COMM; two rounds of UDP socket + bind + close (6 events, no TCP
    states)."""
    port = int(port)
    set_comm(comm)
    for p in (port, port + 1):
        s = udp(socket.AF_INET)
        s.bind(("127.0.0.1", p))
        s.close()
    return {"pid": os.getpid(), "port": port, "comm": get_comm().decode()}


def sc_burst(n):
    """n x (UDP socket, bind 127.0.0.1:0, close): 3n events as fast as we can."""
    n = int(n)
    t0 = time.monotonic()
    for _ in range(n):
        s = udp(socket.AF_INET)
        s.bind(("127.0.0.1", 0))
        s.close()
    return {"pid": os.getpid(), "n": n, "seconds": round(time.monotonic() - t0, 3)}


MIX_PARENT_COMM = "ssfiltcomm-par"
MIX_CHILD_COMM = "ssfiltcomm"


def sc_mix(p1, p2, p3, p4, p5):
    """Matching and non-matching events for every filter.

    parent (comm ssfiltcomm-par):
      L1  tcp4 listener 127.0.0.1:P1
      U6s udp6 bound [::1]:P2, U6c udp6 connected to it
      X   tcp4 bind 127.0.0.1:P1 -> EADDRINUSE
      R   tcp4 connect 127.0.0.1:P3 -> ECONNREFUSED
      L4  tcp6 listener [::]:P4, V6ONLY=0
      A1  accepted from L1, A4 accepted from L4 (v4-mapped)
    child (comm ssfiltcomm, forked):
      C1  tcp4 connect 127.0.0.1:P1
      U4  udp4 bound 127.0.0.1:P5
      C4  tcp4 connect 127.0.0.1:P4
    """
    p1, p2, p3, p4, p5 = (int(p) for p in (p1, p2, p3, p4, p5))
    set_comm(MIX_PARENT_COMM)
    l1 = tcp(socket.AF_INET)
    l1.bind(("127.0.0.1", p1))
    l1.listen(8)

    u6s = udp(socket.AF_INET6)
    u6s.bind(("::1", p2))
    u6c = udp(socket.AF_INET6)
    u6c.connect(("::1", p2))
    u6c.send(b"m" * 10)
    u6s.recvfrom(100)

    x = tcp(socket.AF_INET)
    err = fails(x.bind, ("127.0.0.1", p1), "bind X")
    require(err == errno.EADDRINUSE, "bind X errno %d" % err)
    x.close()

    r = tcp(socket.AF_INET)
    err = fails(r.connect, ("127.0.0.1", p3), "connect R")
    require(err == errno.ECONNREFUSED, "connect R errno %d" % err)
    r.close()

    l4 = tcp(socket.AF_INET6)
    l4.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    l4.bind(("::", p4))
    l4.listen(8)

    def child():
        set_comm(MIX_CHILD_COMM)
        c1 = tcp(socket.AF_INET)
        c1.connect(("127.0.0.1", p1))
        c1.sendall(b"c" * 10)
        u4 = udp(socket.AF_INET)
        u4.bind(("127.0.0.1", p5))
        u4.close()
        c4 = tcp(socket.AF_INET)
        c4.connect(("127.0.0.1", p4))
        ports = {"c1_port": c1.getsockname()[1], "c4_port": c4.getsockname()[1]}
        c1.close()
        c4.close()
        ports["child_pid"] = os.getpid()
        ports["child_comm"] = get_comm().decode()
        return ports

    kid = Child(child, l1, u6s, u6c, l4)
    a1, _ = l1.accept()
    a4, peer4 = l4.accept()
    require(recv_eof(a1) == 10, "A1 data")
    recv_eof(a4)
    a1.close()
    a4.close()
    l1.close()
    l4.close()
    u6c.close()
    u6s.close()
    facts = kid.join()
    facts.update(parent_pid=os.getpid(), parent_comm=get_comm().decode(),
                 p1=p1, p2=p2, p3=p3, p4=p4, p5=p5, peer4=peer4[0])
    return facts


SCENARIOS = {
    "tcp_lifecycle": sc_tcp_lifecycle,
    "bind_inuse": sc_bind_inuse,
    "bind_port0": sc_bind_port0,
    "listen_nobind": sc_listen_nobind,
    "connect_refused": sc_connect_refused,
    "nb_connect": sc_nb_connect,
    "nb_connect_refused": sc_nb_connect_refused,
    "udp": sc_udp,
    "v4mapped": sc_v4mapped,
    "accept_child": sc_accept_child,
    "close_other": sc_close_other,
    "comm": sc_comm,
    "basic_udp": sc_basic_udp,
    "burst": sc_burst,
    "mix": sc_mix,
    "nb_connect_delayed": sc_nb_connect_delayed,
    "unreachable": sc_unreachable,
    "preexisting": sc_preexisting,
    "thread": sc_thread,
}
SELF_HOLD = {"preexisting"}  # these call maybe_hold() themselves

_hold_file = None


def maybe_hold():
    """With --hold PIDFILE: write our pid there, wait for 'go' on stdin."""
    global _hold_file
    if _hold_file:
        pidfile, _hold_file = _hold_file, None
        hold(pidfile)


def hold(pidfile):
    tmp = pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, pidfile)
    line = sys.stdin.readline()
    require(line.strip() == "go", "expected 'go' on stdin, got %r" % line)


def main(argv):
    args = list(argv[1:])
    pidfile = None
    if "--hold" in args:
        i = args.index("--hold")
        pidfile = args[i + 1]
        del args[i:i + 2]
    if not args or args[0] not in SCENARIOS:
        sys.stderr.write("usage: workload.py {%s} [ARGS] [--hold PIDFILE]\n"
                         % "|".join(sorted(SCENARIOS)))
        return 2
    fn = SCENARIOS[args[0]]
    global _hold_file
    _hold_file = pidfile
    try:
        if args[0] not in SELF_HOLD:
            maybe_hold()
        facts = fn(*args[1:])
        require(_hold_file is None, "scenario never reached its hold point")
    except Exception:
        traceback.print_exc()
        return 1
    facts["scenario"] = args[0]
    sys.stdout.write(json.dumps(facts, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
