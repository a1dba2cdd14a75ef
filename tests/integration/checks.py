"""Event matching, assertions and the record schema (docs/CONTRACT.md).

Everything a test asserts with: Fail and Skip, predicates on fields (P, POS,
ABSENT), pick/one/check/expect..., validate() (the JSON schema of one record),
parse_ndjson() and text_lines() (the tracer's two output formats). No
processes here: see harness.py.
"""

import calendar
import errno as errno_mod
import ipaddress
import json
import re
import time


LOOP = {"4": "127.0.0.1", "6": "::1"}
FAMNAME = {"4": "inet", "6": "inet6"}
KERNEL_EVENTS = ("socket", "bind", "listen", "connect", "connect_done", "accept", "close",
                 "state")
TCP_STATES = {"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
              "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
              "BOUND_INACTIVE"}
INT_FIELDS = ("pid", "tid", "uid", "cgroup_id", "netns", "cookie", "lport", "rport", "errno",
              "backlog", "latency_ns", "duration_ns", "bytes_sent", "bytes_received", "lost",
              "sockets", "nspid", "pidns", "ppid")
NOT_EVENTS = ("lost", "resync")  # records the summary's event count leaves out
SUMMARY_RE = re.compile(r"^sockscope: (\d+) events, (\d+) lost$")
TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$")
TEXT_LINE_RE = re.compile(rb"^\d\d:\d\d:\d\d\.\d{6} ")


# ---- results -----------------------------------------------------------------


class Fail(Exception):
    """A test failure. details: extra lines shown with -v."""

    def __init__(self, msg, details=None):
        super().__init__(msg)
        self.details = details or []


class Skip(Exception):
    pass


class Timeout(BaseException):
    """Raised by the per-test alarm; BaseException so tests cannot swallow it."""


# ---- event matching and assertions -------------------------------------------


class _Absent:
    def __repr__(self):
        return "<absent>"


ABSENT = _Absent()


class P:
    """A predicate on one field value, with a readable description."""

    def __init__(self, fn, desc):
        self.fn, self.desc = fn, desc

    def __call__(self, v):
        try:
            return bool(self.fn(v))
        except Exception:
            return False

    def __repr__(self):
        return self.desc


POS = P(lambda v: type(v) is int and v > 0, "<int > 0>")


def fmt(e):
    """An event, compact, for messages."""
    skip = ("ts", "tid", "uid", "cgroup_id", "netns", "_i")
    d = {k: v for k, v in e.items() if k not in skip}
    return "#%s %s" % (e.get("_i", "?"), json.dumps(d, separators=(",", ":")))


def crit_str(crit):
    return " ".join("%s=%r" % kv for kv in crit.items())


def field_ok(e, k, want):
    have = e.get(k, ABSENT)
    if want is ABSENT:
        return have is ABSENT
    if isinstance(want, P):
        return have is not ABSENT and want(have)
    return have is not ABSENT and have == want and type(have) is type(want)


def pick(evs, **crit):
    return [e for e in evs if all(field_ok(e, k, w) for k, w in crit.items())]


def one(evs, what, **crit):
    m = pick(evs, **crit)
    if len(m) != 1:
        raise Fail("expected exactly one %s (%s), found %d%s" % (
            what, crit_str(crit), len(m), (": " + " | ".join(fmt(e) for e in m)) if m else ""),
            [fmt(e) for e in evs])
    return m[0]


def check(e, what, **crit):
    bad = ["%s=%r (want %r)" % (k, e.get(k, ABSENT), w) for k, w in crit.items()
           if not field_ok(e, k, w)]
    if bad:
        raise Fail("%s: %s in %s" % (what, ", ".join(bad), fmt(e)))


def expect(cond, msg, evs=None):
    if not cond:
        raise Fail(msg, [fmt(e) for e in evs] if evs else None)


def expect_count(evs, what, n, **crit):
    m = pick(evs, **crit)
    expect(len(m) == n, "expected %d %s (%s), found %d%s" % (
        n, what, crit_str(crit), len(m), (": " + " | ".join(fmt(e) for e in m[:6])) if m else ""),
        evs)
    return m


def ordered(seq, what):
    """The events appear in this order in the stream, with non-decreasing ts."""
    for a, b in zip(seq, seq[1:]):
        if not a["_i"] < b["_i"]:
            raise Fail("%s: out of order: %s before %s" % (what, fmt(b), fmt(a)))
        if ts_ns(a["ts"]) > ts_ns(b["ts"]):
            raise Fail("%s: ts goes backwards: %s (%s) then %s (%s)" % (
                what, a["ts"], fmt(a), b["ts"], fmt(b)))


def counts(evs, kinds=KERNEL_EVENTS):
    return {k: len([e for e in evs if e.get("event") == k]) for k in kinds}


def expect_counts(evs, what, want):
    got = counts(evs, tuple(want))
    if got != want:
        diff = ", ".join("%s: %d (want %d)" % (k, got[k], want[k]) for k in want
                         if got[k] != want[k])
        raise Fail("%s: wrong event counts: %s" % (what, diff), [fmt(e) for e in evs])


def holder_pids(e):
    """Pids in a close event's holders, sorted (each holder once)."""
    return sorted(x.get("pid") for x in e.get("holders", []))


def expect_holders(e, what, pids):
    got = holder_pids(e)
    expect(got == sorted(pids), "%s: holders %s, want pids %s (everyone who held it, once "
           "each): %s" % (what, got, sorted(pids), fmt(e)))
    for x in e.get("holders", []):
        expect(x.get("uid") == 0 and isinstance(x.get("comm"), str) and x["comm"],
               "%s: holder fields %r" % (what, x))


def ts_ns(ts):
    m = TS_RE.match(ts)
    if not m:
        raise Fail("bad ts %r" % ts)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(m.group(2))


# ---- record validation (the contract's JSON schema) ----------------------------


def _addr_problem(s, family):
    if not isinstance(s, str):
        return "not a string"
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        return "not an IP address"
    if a.version == 4:
        return None if str(a) == s else "not dotted-quad form"
    if family == "inet":
        return "IPv6 address on an inet socket"
    if a.ipv4_mapped is not None:
        return "v4-mapped address not printed as IPv4"
    return None if str(a) == s else "not RFC 5952 form (want %s)" % a


def validate(e, complete=False):
    """Problems with one record against the contract's schema. complete: the
    record is about a socket the test made while tracing, so every field the
    contract lists for its event must be there (a socket the tracer only saw
    part of may lack what it could not know, e.g. duration_ns)."""
    p = []
    ev = e.get("event")
    if ev not in KERNEL_EVENTS + NOT_EVENTS:
        p.append("unknown event %r" % (ev,))
    if not isinstance(e.get("ts"), str) or not TS_RE.match(e["ts"]):
        p.append("ts %r is not RFC 3339 UTC with nanoseconds" % (e.get("ts"),))
    for k in INT_FIELDS:
        if k in e and (type(e[k]) is not int or e[k] < 0):
            p.append("%s=%r is not a non-negative integer" % (k, e[k]))
    for k in ("lport", "rport"):
        if type(e.get(k)) is int and not 0 <= e[k] <= 65535:
            p.append("%s=%r out of range" % (k, e[k]))
    if ev == "lost":
        if not (type(e.get("lost")) is int and e["lost"] > 0):
            p.append("lost record without lost > 0")
        if not isinstance(e.get("since"), str) or not TS_RE.match(e["since"]):
            p.append("lost record: since %r is not RFC 3339" % (e.get("since"),))
        return p
    if ev == "resync":
        if type(e.get("sockets")) is not int:
            p.append("resync record without sockets")
        return p
    if "comm" in e and not isinstance(e["comm"], str):
        p.append("comm is not a string")
    if "pid" in e and "comm" not in e:
        p.append("pid without comm")
    for k in ("pcomm", "exe", "cmdline"):
        if k in e and (not isinstance(e[k], str) or not e[k]):
            p.append("%s=%r is not a non-empty string" % (k, e[k]))
    if ("nspid" in e) != ("pidns" in e):
        p.append("nspid and pidns must come together")
    if "pcomm" in e and "ppid" not in e:
        p.append("pcomm without ppid")
    if e.get("proto") not in ("tcp", "udp"):
        p.append("proto %r" % (e.get("proto"),))
    if e.get("family") not in ("inet", "inet6"):
        p.append("family %r" % (e.get("family"),))
    for a, port in (("laddr", "lport"), ("raddr", "rport")):
        if (a in e) != (port in e):
            p.append("%s without %s" % ((a, port) if a in e else (port, a)))
        if a in e:
            why = _addr_problem(e[a], e.get("family"))
            if why:
                p.append("%s=%r: %s" % (a, e[a], why))
    if ("error" in e) != ("errno" in e):
        p.append("error and errno must come together")
    if "errno" in e and type(e["errno"]) is int:
        if e["errno"] <= 0 or errno_mod.errorcode.get(e["errno"]) != e.get("error"):
            p.append("error %r does not name errno %r" % (e.get("error"), e["errno"]))
    if "async" in e and e["async"] is not True:
        p.append("async=%r (only true or absent)" % (e["async"],))
    if "implicit" in e and (e["implicit"] is not True or ev != "bind"):
        p.append("implicit=%r on %s (only true, only on bind)" % (e["implicit"], ev))
    if "reason" in e and (not isinstance(e["reason"], str) or not e["reason"] or
                          "error" not in e):
        p.append("reason %r (a non-empty string, on failures only)" % (e["reason"],))
    if "holders" in e:
        hs = e["holders"]
        if not isinstance(hs, list) or not all(isinstance(x, dict) for x in hs):
            p.append("holders is not a list of objects")
        else:
            for x in hs:
                for k in ("pid", "uid", "cookie", "lport", "rport"):
                    if k in x and (type(x[k]) is not int or x[k] < 0):
                        p.append("holder %s=%r" % (k, x[k]))
                if "comm" in x and not isinstance(x["comm"], str):
                    p.append("holder comm %r" % (x["comm"],))
                if ev == "close" and not ("pid" in x and "comm" in x and "uid" in x):
                    p.append("close holder without pid/comm/uid: %r" % (x,))
    if not complete:
        need = ()
    else:
        need = {"socket": ("type",), "listen": ("backlog",), "connect_done": ("latency_ns",),
                "close": ("duration_ns", "holders"), "state": ("old_state", "new_state")
                }.get(ev, ())
        for k in ("pid", "tid", "uid", "comm", "cgroup_id", "netns", "cookie"):
            if k not in e:
                p.append("%s event of a socket made while tracing, without %s" % (ev, k))
    for k in need:
        if k not in e:
            p.append("%s event without %s" % (ev, k))
    if ev == "socket" and e.get("type") not in ("stream", "dgram"):
        p.append("socket type %r" % (e.get("type"),))
    if ev == "socket" and {"stream": "tcp", "dgram": "udp"}.get(e.get("type")) != e.get("proto"):
        p.append("socket type %r with proto %r" % (e.get("type"), e.get("proto")))
    if complete and ev == "close" and e.get("proto") == "tcp":
        for k in ("bytes_sent", "bytes_received", "state"):
            if k not in e:
                p.append("tcp close without %s" % k)
    for k in ("old_state", "new_state") + (("state",) if ev == "close" else ()):
        if k in e and e[k] not in TCP_STATES:
            p.append("%s=%r is not a TCP state name" % (k, e[k]))
    return p


def parse_ndjson(data, what):
    """Every line must be one UTF-8 JSON object; returns them with _i = line."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise Fail("%s: last line is not terminated: %r" % (what, data[-200:]))

    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError("duplicate key %r" % k)
            d[k] = v
        return d

    def bad_constant(c):
        raise ValueError("non-JSON constant %s" % c)

    out = []
    for i, raw in enumerate(data[:-1].split(b"\n"), 1):
        try:
            obj = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dups,
                             parse_constant=bad_constant)
        except (UnicodeDecodeError, ValueError) as ex:
            raise Fail("%s: line %d is not valid JSON (%s): %r" % (what, i, ex, raw[:300]))
        if not isinstance(obj, dict):
            raise Fail("%s: line %d is not a JSON object: %r" % (what, i, raw[:300]))
        obj["_i"] = i
        out.append(obj)
    return out


def text_lines(data, what):
    """Text-mode output: a header line, then one line per event, each starting
    with a HH:MM:SS.micro timestamp (a line that does not is a broken event)."""
    lines = data.split(b"\n")
    expect(lines[-1] == b"", "%s: output does not end with a newline" % what)
    lines = lines[:-1]
    body = [l for l in lines if not l.startswith(b"TIME ")]
    bad = [l for l in body if not TEXT_LINE_RE.match(l)]
    if bad:
        raise Fail("%s: %d line(s) are not events (broken line?), e.g. %r" % (
            what, len(bad), bad[0][:200]))
    return body


def text_pid_lines(body, pid):
    return [l for l in body if re.match(rb"^\S+ +\S+ +%d " % pid, l)]
