#!/usr/bin/env python3
"""The ss oracle: sockscope's live port map must agree with `ss -tuanp`.

Two network namespaces run the same kind of seeded random workload on the
same ports (oracle_workload.py) while `sockscope ports --watch --json --all`
builds its table from the event stream. When both workloads hold still, the
last complete table is compared, row by row, with `ip netns exec NS ss
-tuanpH`: same sockets (protocol, state, local and remote address:port),
same holder pids.

Usable alone (python3 oracle.py --binary ./sockscope [--seed N]) or from
run.py (run_oracle()).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SS_STATE = {
    "LISTEN": "LISTEN", "ESTABLISHED": "ESTAB", "SYN_SENT": "SYN-SENT",
    "SYN_RECV": "SYN-RECV", "FIN_WAIT1": "FIN-WAIT-1", "FIN_WAIT2": "FIN-WAIT-2",
    "TIME_WAIT": "TIME-WAIT", "CLOSE_WAIT": "CLOSE-WAIT", "LAST_ACK": "LAST-ACK",
    "CLOSING": "CLOSING", "UNCONN": "UNCONN", "ESTAB": "ESTAB",
}


def norm_addr(a):
    """ss and sockscope spell addresses differently; compare one canonical form."""
    a = a.strip("[]")
    a = a.split("%")[0]
    if a == "*":
        return "::"
    if a.lower().startswith("::ffff:") and "." in a:
        return a[7:]
    return a


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return norm_addr(host), (0 if port == "*" else int(port))


def parse_ss(text):
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 6:
            continue
        proto, state, local, peer = f[0], f[1], f[4], f[5]
        pids = sorted(set(int(p) for p in re.findall(r"pid=(\d+)", line)))
        la, lp = split_hostport(local)
        ra, rp = split_hostport(peer)
        if rp == 0:
            ra = ""
        rows.append((proto, state, la, lp, ra, rp, tuple(pids)))
    return sorted(rows)


def watch_rows(rows, netns):
    out = []
    for r in rows:
        if r.get("netns") != netns or r.get("change") == "gone":
            continue
        rp = r.get("rport", 0)
        ra = norm_addr(r["raddr"]) if rp else ""
        pids = sorted(set(h["pid"] for h in r.get("holders", [])))
        out.append((r["proto"], SS_STATE.get(r["state"], r["state"]), norm_addr(r["laddr"]),
                    r["lport"], ra, rp, tuple(pids)))
    return sorted(out)


def watch_frames(path):
    """The complete frames of a `ports --watch --json` file, as (table line,
    rows): a frame ends with an "event":"table" line."""
    frames, cur = [], []
    with open(path) as f:
        for line in f:
            obj = json.loads(line)
            if obj.get("event") == "table":
                frames.append((obj, cur))
                cur = []
            else:
                cur.append(obj)
    return frames


def last_frame(path):
    """Rows of the last complete frame."""
    frames = watch_frames(path)
    return frames[-1][1] if frames else None


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def compare_once(out_path, nss, inodes):
    """ss in each namespace, then the watch's next frame: (ok, problems, total)."""
    expected = {ns: parse_ss(sh("ip", "netns", "exec", ns, "ss", "-tuanpH").stdout)
                for ns in nss}
    time.sleep(0.6)
    rows = last_frame(out_path)
    if rows is None:
        return False, ["no complete table frame from ports --watch"], 0
    problems = []
    total = 0
    for ns in nss:
        got = watch_rows(rows, inodes[ns])
        exp = expected[ns]
        total += len(exp)
        missing = sorted(set(exp) - set(got))
        extra = sorted(set(got) - set(exp))
        if missing or extra or len(got) != len(exp):
            problems.append("%s: %d rows in ss, %d in sockscope\n  only in ss: %s\n"
                            "  only in sockscope: %s" % (ns, len(exp), len(got),
                                                         missing[:10], extra[:10]))
    return not problems, problems, total


def run_oracle(binary, seed=1, ops=300, log=print):
    """Returns (ok, message)."""
    tag = "ss-oracle-%d" % os.getpid()
    nss = [tag + "-a", tag + "-b"]
    procs, watch = [], None
    out_path = "/tmp/%s.json" % tag
    try:
        inodes = {}
        for ns in nss:
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            inodes[ns] = os.stat("/run/netns/" + ns).st_ino
        with open(out_path, "w") as out:
            watch = subprocess.Popen([binary, "ports", "--watch", "--json", "--all",
                                      "--interval", "0.25"], stdout=out,
                                     stderr=subprocess.PIPE, text=True)
        line = watch.stderr.readline()
        if "watching" not in line:
            return False, "watch did not start: %r" % line
        for i, ns in enumerate(nss):
            p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable,
                                  os.path.join(HERE, "oracle_workload.py"),
                                  "--seed", str(seed * 10 + i), "--ops", str(ops)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            procs.append(p)
        facts = []
        for p in procs:
            ready = p.stdout.readline()
            if not ready:
                return False, "workload died before it was ready"
            facts.append(json.loads(ready))
        log("workloads ready: " + "; ".join(
            "%s open=%d children=%d %s" % (ns, f["open"], len(f["children"]), f["stats"])
            for ns, f in zip(nss, facts)))
        # Let the stream settle: a few frames after the last operation.
        time.sleep(1.5)
        # A socket may still move on a timer between ss and the frame after
        # it (an orphan's FIN-WAIT-1 -> FIN-WAIT-2 once its FIN is acked):
        # compared again from a fresh ss, up to 3 times. A wrong row stays
        # wrong; only a transition caught in between goes away.
        for attempt in range(3):
            ok, problems, total = compare_once(out_path, nss, inodes)
            if ok:
                break
            log("attempt %d differs, comparing again:\n%s" % (attempt + 1, "\n".join(problems)))
        if problems:
            return False, "\n".join(problems)
        if total < 20:
            return False, "workload produced too few sockets to compare (%d)" % total
        return True, "%d sockets in 2 namespaces match ss" % total
    finally:
        for p in procs:
            try:
                p.stdin.close()
                p.wait(timeout=10)
            except Exception:
                p.kill()
        if watch:
            watch.terminate()
            try:
                watch.wait(timeout=10)
            except subprocess.TimeoutExpired:
                watch.kill()
        for ns in nss:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if os.path.exists(out_path):
            os.unlink(out_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="./sockscope")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", type=int, default=300)
    a = ap.parse_args()
    ok, msg = run_oracle(a.binary, a.seed, a.ops)
    print(("PASS " if ok else "FAIL ") + msg)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
