"""A UDP port bound without bind(): the first sendto() of an unbound socket
reports the port the kernel chose, once (a `bind` event with `implicit`);
a socket bound with bind() is reported by its bind and never again.

Discovered by run.py; every test runs in a network namespace of its own
against the real kernel.
"""
import json
import sys

import harness as h
from test_ports import in_ns

SEND = r'''
import json, socket
dst = ("127.0.0.1", %d)
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sink.bind(dst)
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # never bound
for _ in range(3):
    a.sendto(b"x", dst)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
for _ in range(3):
    b.sendto(b"y", dst)
print(json.dumps({"a": a.getsockname()[1], "b": b.getsockname()[1]}))
'''


@h.test()
def test_udp_sendto_reports_its_port_once(ctx):
    ns = ctx.netns()
    tr = ctx.tracer()
    ports = json.loads(in_ns(ns, sys.executable, "-c", SEND % 9411).stdout)
    evs = tr.finish(ns).ours
    a = h.pick(evs, event="bind", lport=ports["a"])
    h.expect(len(a) == 1 and a[0].get("implicit") is True,
             "the unbound socket: one implicit bind for port %d" % ports["a"], a)
    b = h.pick(evs, event="bind", lport=ports["b"])
    h.expect(len(b) == 1 and "implicit" not in b[0],
             "the bound socket: its bind only, no implicit one for port %d" % ports["b"], b)
