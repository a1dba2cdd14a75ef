#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<x>/):
small inputs that each reach one feature of a parser. Run it again after
changing a seed here; regression inputs (crashes found and fixed) are
committed next to these as crash-<what>, and this script leaves them be.

    python3 tests/fuzz/seeds.py
"""

import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- records (include/sockscope_abi.h, struct ss_event: 152 bytes) --------
ABI = 1
EV = dict(socket=1, bind=2, listen=3, connect=4, connect_done=5, accept=6, close=7, state=8,
          fork=10, exit=11, fdclose=12, fdrecv=13)
F_LOCAL, F_REMOTE, F_TCP_INFO, F_ASYNC, F_REUSEADDR = 0x02, 0x04, 0x10, 0x20, 0x40
AF4, AF6, TCP, UDP = 2, 10, 6, 17
LO4 = bytes([127, 0, 0, 1]) + bytes(12)
LO6 = bytes(15) + b"\x01"
TS = [1000000000]


def ev(type_, cookie, fam=AF4, proto=TCP, lport=0, rport=0, flags=0, err=0, pid=4242,
       comm=b"nginx", u=b"", laddr=None, raddr=None, size=152, version=ABI):
    TS[0] += 1500
    la = laddr if laddr is not None else (LO4 if fam == AF4 else LO6)
    ra = raddr if raddr is not None else la
    rec = struct.pack("<HHHHQQQIIIIiHHHHI16s16sHHI16s32s", EV[type_], size, version, flags,
                      TS[0], cookie, 1, pid, pid, 0, 4026531833, err, fam, proto, lport, rport,
                      0, la, ra, fam, fam, 0, comm[:16].ljust(16, b"\0"), u.ljust(32, b"\0"))
    assert len(rec) == 152
    return rec


def conn_cycle(fam):
    c, s = 101, 102
    return b"".join([
        ev("socket", c, fam, u=struct.pack("<II", 1, 6)),
        ev("connect", c, fam, rport=8080, flags=F_REMOTE),
        ev("state", c, fam, rport=8080, flags=F_REMOTE, u=struct.pack("<II", 7, 2)),
        ev("connect_done", c, fam, 40000, 8080, F_LOCAL | F_REMOTE | F_ASYNC,
           u=struct.pack("<QHHI", 63545, 0, 0, 0)),
        ev("state", s, fam, 8080, 40000, F_LOCAL | F_REMOTE, u=struct.pack("<II", 10, 12)),
        ev("accept", s, fam, 8080, 40000, F_LOCAL | F_REMOTE),
        ev("close", s, fam, 8080, 40000, F_LOCAL | F_REMOTE | F_TCP_INFO,
           u=struct.pack("<QQQII", 5000, 10, 20, 1, 0)),
        ev("close", c, fam, 0, 8080, F_REMOTE | F_TCP_INFO,
           u=struct.pack("<QQQII", 6000, 20, 10, 7, 0)),
    ])


def records():
    listen = b"".join([ev("socket", 7, u=struct.pack("<II", 1, 6)),
                       ev("bind", 7, lport=8080, flags=F_LOCAL | F_REUSEADDR),
                       ev("listen", 7, lport=8080, flags=F_LOCAL, u=struct.pack("<II", 128, 0))])
    return {
        "conn4": b"\0" + conn_cycle(AF4),
        "conn6-text": b"\1" + conn_cycle(AF6),
        "bind-eaddrinuse": b"\0" + listen + b"".join([
            ev("socket", 8, u=struct.pack("<II", 1, 6), pid=4343, comm=b"python3"),
            ev("bind", 8, lport=8080, flags=F_LOCAL, err=98, pid=4343, comm=b"python3"),
            ev("close", 8, pid=4343, comm=b"python3")]),
        "connect-refused": b"\1" + b"".join([
            ev("socket", 9, u=struct.pack("<II", 1, 6)),
            ev("connect_done", 9, rport=9, flags=F_REMOTE, err=111,
               u=struct.pack("<QHHI", 40000, 0, 0, 0))]),
        "udp-eaddrnotavail": b"\0" + b"".join([
            ev("socket", 10, proto=UDP, u=struct.pack("<II", 2, 17)),
            ev("connect_done", 10, proto=UDP, rport=53, flags=F_REMOTE, err=99,
               u=struct.pack("<QHHI", 100, 32768, 60999, 0))]),
        "fork-fdrecv-exit": b"\0" + listen + b"".join([
            ev("fork", 0, pid=5000, u=struct.pack("<II", 4242, 0)),
            ev("fdrecv", 7, pid=5000, lport=8080, flags=F_LOCAL),
            ev("fdclose", 7, lport=8080, flags=F_LOCAL),
            ev("exit", 0, pid=4242)]),
        "hostile-comm": b"\1" + ev("bind", 11, lport=80, flags=F_LOCAL, err=13,
                                   comm=b"a\"b\\c\n\x1b[2J\xff\xfe\x01",
                                   u=struct.pack("<II", 1024, 0)),
        "short-record": b"\0" + ev("socket", 12)[:100],
        "size-too-big": b"\0" + ev("socket", 13, size=400),
        "wrong-version": b"\0" + ev("socket", 14, version=99),
    }


# ---- text inputs -----------------------------------------------------------
TIMES = ["2026-11-20T14:02:11Z", "2026-11-20T14:02:11.123456789+01:00", "2026-11-20t14:02:11z",
         "2026-11-20 14:02", "2026-11-20 14:02:11.5", "2026-11-20", "90s", "30m", "1h30m",
         "2d", "now", "2026-02-30T00:00:00Z", "9999-12-31T23:59:59Z", "106752d",
         "1678-01-01T00:00:00Z", "2026-11-20T14:02:11-23:59"]

# selector byte: %3 picks u64 / size / ADDR:PORT, >>2 the bound or the flags
PARSES = [(252, "18446744073709551615"), (24, "8080"), (1, "64K"), (1, "1GiB"), (1, "2TB"),
          (1, "16M"), (1, "16EiB"), (2, "127.0.0.1:8080"), (2, "[::1]:9463"),
          (2, "[fe80::1%lo]:514"), (2, "[::ffff:127.0.0.1]:80"), (14, "8080"), (14, "10.0.0.1"),
          (14, "[::1]"), (14, ":8080"), (2, "::1:8080"), (2, "1.2.3.4:65536")]

SINKS = ["stdout", "syslog", "file:/var/log/sockscope/events.json",
         "file:///var/log/sockscope/events.json?max_bytes=104857600&keep=5",
         "file:/tmp/x?max_bytes=64K&keep=0", "syslog+udp://127.0.0.1:514",
         "syslog+tcp://[::1]:6514?facility=local3&format=rfc5424",
         "syslog+udp://[fe80::1%lo]:514?queue_bytes=1M", "syslog+unix:///dev/log",
         "file:relative/path", "syslog+udp://1.2.3.4"]

CONFIGS = {
    "packaged": open(os.path.join(HERE, "..", "..", "packaging", "sockscope.conf")).read(),
    "all-keys": "db = /tmp/s.db\nretain = 12h\nretain_size = 500M\n"
                "sink = stdout\nsink = syslog+udp://127.0.0.1:514\n"
                "metrics = [::1]:9463\nring_size = 4M\nhistory = 100\n",
    "errors": "retain = 0\nmetrics = ::1:80\nsink = file:rel\nbogus = 1\nno equals here\n"
              "ring_size =\n  # comment\r\nhistory = 99999999999999999999\n",
}

METRICS = ["GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9463\r\nAccept: */*\r\n\r\n",
           "GET /metrics?name[]=x HTTP/1.0\n\n", "GET / HTTP/1.0\r\n\r\n",
           "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "GET /metrics HTTP/1.1\r\n"]


def ctl_request(*args):
    return b"\0" + b"".join(a.encode() + b"\0" for a in args) + b"\0"


def frame(t, payload):
    return t.encode() + struct.pack("<I", len(payload)) + payload


CTL = {
    "ping": ctl_request(),
    "ports-json": ctl_request("ports", "--json"),
    "ports-all": ctl_request("ports", "--all", "--proto", "udp"),
    "who": ctl_request("who", "127.0.0.1:8080", "--proto", "tcp"),
    "who-at": ctl_request("who", "80", "--at", "1h"),
    "history": ctl_request("history", "--port", "8080", "--since", "2026-11-20 14:00",
                           "--until", "now", "--failed", "--limit", "5", "--json"),
    "not-answered": ctl_request("trace", "--json"),
    "reply": b"\1" + frame("O", b"PROTO ADDR\n") + frame("E", b"warning\n") +
             frame("X", struct.pack("<i", 6)),
    "reply-truncated": b"\1" + frame("O", b"rows")[:7],
    "reply-bad-type": b"\1" + frame("Q", b"x"),
    "reply-bad-exit": b"\1" + frame("X", b"\0\0"),
}


def write(name, items):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for key, data in items:
        if isinstance(data, str):
            data = data.encode()
        h = hashlib.sha1(data).hexdigest()[:8]
        with open(os.path.join(d, "seed-%s-%s" % (key, h)), "wb") as f:
            f.write(data)


def slug(s):
    return "".join(c if c.isalnum() else "_" for c in s)[:24]


def main():
    write("decode", records().items())
    write("timeparse", [(slug(t), t) for t in TIMES])
    write("parse", [(slug(t), bytes([sel]) + t.encode()) for sel, t in PARSES])
    write("sinkspec", [(slug(s), s) for s in SINKS])
    write("config", CONFIGS.items())
    write("metrics", [(slug(m), m) for m in METRICS])
    write("ctl", CTL.items())


if __name__ == "__main__":
    main()
