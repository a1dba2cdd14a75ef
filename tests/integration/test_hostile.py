"""Hostile names: a comm with quotes, backslashes, a newline and a
non-UTF-8 byte, in JSON and in text output.
"""

import re

from harness import check, expect, one, pick, test, text_pid_lines


@test()
def test_hostile_comm(ctx):
    ns = ctx.netns()
    comm = b'q"b\\s\nn\xffe'
    tr = ctx.tracer()
    f = ctx.workload(ns, "comm", comm.hex(), 21200)
    expect(bytes.fromhex(f["comm_hex"]) == comm, "prctl did not set the comm: %s" % f)
    evs = tr.finish(ns).ours
    bd = one(evs, "bind", event="bind", pid=f["pid"])
    check(bd, "bind by the hostile-comm process", lport=21200, laddr="127.0.0.1")
    c = bd.get("comm", "")
    m = re.match(r'^q"b\\s(.+)n(.+)e$', c, re.S)
    expect(m is not None, "comm %r does not round-trip the printable parts of %r" % (c, comm))
    for e in pick(evs, pid=f["pid"]):
        check(e, "comm of every event", comm=c)

    tr = ctx.tracer(json_mode=False)
    f = ctx.workload(ns, "comm", comm.hex(), 21201)
    body = tr.finish(ns).body
    mine = text_pid_lines(body, f["pid"])
    kinds = [l.split()[1] for l in mine]
    expect(kinds == [b"socket", b"bind", b"close"], "text: lines for pid %d are %r" % (
        f["pid"], mine))
    bind = mine[1]
    expect(b'q"b' in bind and b"127.0.0.1:21201" in bind,
           "text bind line lacks the comm or the port: %r" % bind)
