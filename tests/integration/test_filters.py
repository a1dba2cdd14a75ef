"""The tracer's filters (--pid, --comm, --port, --proto, --family,
--events, --failed) on one mixed workload whose unfiltered counts are
asserted first.
"""

from harness import (
    ABSENT, check, crit_str, expect, expect_count, expect_counts, field_ok, fmt, one, P, pick,
    test)


MIX_PORTS = (21001, 21002, 21003, 21004, 21005)
MIX_PARENT = {"socket": 6, "bind": 4, "listen": 2, "connect": 2, "connect_done": 2, "accept": 2,
              "close": 8}
MIX_CHILD = {"socket": 3, "bind": 1, "listen": 0, "connect": 2, "connect_done": 2, "accept": 0,
             "close": 3}


def run_mix(ctx, *args, by_pid=False):
    ns = ctx.netns()
    if by_pid:
        w = ctx.held_workload(ns, "mix", *MIX_PORTS)
        tr = ctx.tracer("-p", w.pid, *args)
        w.go()
        f = w.wait()
        expect(f["parent_pid"] == w.pid, "held pid %d != workload pid %d" % (w.pid,
                                                                          f["parent_pid"]))
    else:
        tr = ctx.tracer(*args)
        f = ctx.workload(ns, "mix", *MIX_PORTS)
    res = tr.finish(ns)
    expect(not res.lost, "unexpected lost records: %s" % res.lost)
    return f, res


def all_events(res, what, **crit):
    """Every event record in the whole output (any netns) matches crit."""
    bad = [e for e in res.events if not all(field_ok(e, k, w) for k, w in crit.items())]
    expect(not bad, "%s: %d event(s) in the output do not match the filter (%s), e.g. %s" % (
        what, len(bad), crit_str(crit), fmt(bad[0]) if bad else ""), bad[:20])


@test()
def test_mix_unfiltered_baseline(ctx):
    """The filter tests' workload, unfiltered: the counts they rely on."""
    f, res = run_mix(ctx)
    evs = res.ours
    expect_counts(pick(evs, pid=f["parent_pid"]), "mix parent", MIX_PARENT)
    expect_counts(pick(evs, pid=f["child_pid"]), "mix child", MIX_CHILD)
    expect_count(evs, "events with no pid (except state)", 0, pid=ABSENT,
                 event=P(lambda v: v != "state", "not state"))


@test()
def test_filter_pid(ctx):
    f, res = run_mix(ctx, by_pid=True)
    all_events(res, "--pid", pid=f["parent_pid"])
    expect_counts(res.ours, "--pid (parent only)", MIX_PARENT)


@test()
def test_filter_comm(ctx):
    f, res = run_mix(ctx, "-c", "ssfiltcomm")
    expect(f["child_comm"] == "ssfiltcomm" and f["parent_comm"] == "ssfiltcomm-par", "comm setup")
    all_events(res, "--comm ssfiltcomm (parent is ssfiltcomm-par)", comm="ssfiltcomm")
    expect_counts(res.ours, "--comm (child only)", MIX_CHILD)
    for e in res.ours:
        check(e, "--comm event", pid=f["child_pid"])


@test()
def test_filter_comm_15_bytes(ctx):
    """A comm of the kernel's full 15 bytes matches --comm of those 15 bytes."""
    ns = ctx.netns()
    tr = ctx.tracer("--comm", "ss15charsnameXY")
    f = ctx.workload(ns, "basic_udp", "ss15charsnameXYZ", 22600)  # the kernel keeps 15
    res = tr.finish(ns)
    expect(f["comm"] == "ss15charsnameXY", "comm setup: %r" % f["comm"])
    all_events(res, "--comm ss15charsnameXY", comm="ss15charsnameXY")
    expect_counts(res.ours, "--comm with 15 bytes", {"socket": 2, "bind": 2, "close": 2})


@test()
def test_filter_port(ctx):
    p1 = MIX_PORTS[0]
    f, res = run_mix(ctx, "-P", p1)
    bad = [e for e in res.events if e.get("lport") != p1 and e.get("rport") != p1]
    expect(not bad, "--port %d: events with neither lport nor rport %d, e.g. %s" % (
        p1, p1, fmt(bad[0]) if bad else ""), bad)
    evs = [e for e in res.ours if e["event"] != "state"]
    expect_counts(evs, "--port %d" % p1, {"socket": 0, "bind": 2, "listen": 1, "connect": 1,
                                          "connect_done": 1, "accept": 1, "close": 3})
    P_, Ch = f["parent_pid"], f["child_pid"]
    one(evs, "successful bind", event="bind", pid=P_, lport=p1, error=ABSENT)
    one(evs, "failed bind", event="bind", pid=P_, lport=p1, error="EADDRINUSE")
    one(evs, "connect", event="connect", pid=Ch, rport=p1)
    one(evs, "accept", event="accept", pid=P_, lport=p1, rport=f["c1_port"])


@test()
def test_filter_proto_udp(ctx):
    f, res = run_mix(ctx, "--proto", "udp")
    all_events(res, "--proto udp", proto="udp")
    expect_counts(res.ours, "--proto udp", {"socket": 3, "bind": 2, "listen": 0, "connect": 1,
                                            "connect_done": 1, "accept": 0, "close": 3,
                                            "state": 0})


@test()
def test_filter_family6(ctx):
    f, res = run_mix(ctx, "--family", "6")
    all_events(res, "--family 6", family="inet6")
    evs = [e for e in res.ours if e["event"] != "state"]
    expect_counts(evs, "--family 6", {"socket": 3, "bind": 2, "listen": 1, "connect": 1,
                                      "connect_done": 1, "accept": 1, "close": 4})
    ac = one(evs, "v4-mapped accept", event="accept")
    check(ac, "v4-mapped accept under --family 6", pid=f["parent_pid"], lport=f["p4"],
          raddr="127.0.0.1", rport=f["c4_port"])


@test()
def test_filter_events(ctx):
    f, res = run_mix(ctx, "-e", "bind,close")
    all_events(res, "--events bind,close", event=P(lambda v: v in ("bind", "close"),
                                                     "bind|close"))
    expect_counts(res.ours, "--events bind,close", {
        "socket": 0, "bind": 5, "listen": 0, "connect": 0, "connect_done": 0, "accept": 0,
        "close": 11, "state": 0})


@test()
def test_filter_failed(ctx):
    f, res = run_mix(ctx, "--failed")
    all_events(res, "--failed", error=P(lambda v: isinstance(v, str), "<present>"))
    evs = res.ours
    expect(len(evs) == 2, "--failed: want exactly 2 events (EADDRINUSE bind, ECONNREFUSED "
           "connect_done), got %d" % len(evs), evs)
    one(evs, "failed bind", event="bind", pid=f["parent_pid"], laddr="127.0.0.1",
        lport=f["p1"], error="EADDRINUSE", errno=98)
    one(evs, "refused connect_done", event="connect_done", pid=f["parent_pid"],
        raddr="127.0.0.1", rport=f["p3"], error="ECONNREFUSED", errno=111)
