"""Snapshot rows: `ss -tuanp` and `sockscope ports --all --json` parsed
to comparable tuples, and the comparison of the two.
"""

import collections
import json
import re


def norm_addr(a):
    a = a.split("%", 1)[0]
    if a.startswith("[") and a.endswith("]"):
        a = a[1:-1]
    if a in ("*", "0.0.0.0", "::", ""):
        return "any"
    if a.lower().startswith("::ffff:") and "." in a:
        return a[7:]
    return a.lower()


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return norm_addr(host), (0 if port in ("*", "") else int(port))


TCP_STATES = {"ESTAB": "ESTABLISHED", "FIN_WAIT_1": "FIN_WAIT1", "FIN_WAIT_2": "FIN_WAIT2",
              "SYN_RECV": "SYN_RECV", "CLOSED": "CLOSE", "UNCONN": "CLOSE"}


def norm_state(proto, st):
    st = (st or "").upper().replace("-", "_")
    if proto == "udp":
        return "ESTAB" if st in ("ESTAB", "ESTABLISHED") else "UNCONN"
    return TCP_STATES.get(st, st)


def parse_ss(text):
    rows = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 6 or f[0] not in ("tcp", "udp"):
            continue
        la, lp = split_hostport(f[4])
        ra, rp = split_hostport(f[5])
        pids = frozenset(int(x) for x in re.findall(r"pid=(\d+)", " ".join(f[6:])))
        rows.append((f[0], norm_state(f[0], f[1]), la, lp, ra, rp, pids))
    return rows


def parse_ports(text, netns):
    rows, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if netns is not None and o.get("netns") not in (None, netns):
            continue
        proto = o.get("proto")
        pids = frozenset(h.get("pid") for h in o.get("holders", []) if h.get("pid"))
        rows.append((proto, norm_state(proto, o.get("state")), norm_addr(str(o.get("laddr", "*"))),
                     int(o.get("lport") or 0), norm_addr(str(o.get("raddr", "*"))),
                     int(o.get("rport") or 0), pids))
    return rows, bad


def compare_rows(ss_rows, p_rows, bad):
    a, b = collections.Counter(ss_rows), collections.Counter(p_rows)
    only_ss, only_p = a - b, b - a
    strip = lambda rows: collections.Counter(r[:6] for r in rows)
    a2, b2 = strip(ss_rows), strip(p_rows)

    def show(c):
        out = []
        for r, n in list(c.items())[:5]:
            out.append("%s %s %s:%d -> %s:%d pids=%s%s" % (r[0], r[1], r[2], r[3], r[4], r[5],
                                                          sorted(r[6]) if len(r) > 6 else "",
                                                          " x%d" % n if n > 1 else ""))
        return out

    return {"ss_rows": len(ss_rows), "ports_rows": len(p_rows), "unparsable": bad,
            "only_ss": sum(only_ss.values()), "only_ports": sum(only_p.values()),
            "tuple_only_ss": sum((a2 - b2).values()), "tuple_only_ports": sum((b2 - a2).values()),
            "examples_only_ss": show(only_ss), "examples_only_ports": show(only_p),
            "identical": not only_ss and not only_p and bad == 0}
